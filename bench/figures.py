"""The six figures of scripts/bench. Each function takes the Env and
returns {'lines': [text], ...values...}, or raises Skip with the reason."""
import json
import os
import subprocess


class Skip(Exception):
    pass


class Env:
    def __init__(self, build, smoke):
        self.build, self.smoke = build, smoke
        self.results = {}   # figure number -> result, for later figures' ratios

    def exe(self, rel):
        path = os.path.join(self.build, rel)
        if not os.access(path, os.X_OK):
            raise Skip('%s is not built' % path)
        return path


def _json_lines(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith('{')]


def crypto(env):
    """The crypto limit: raw libsrtp unprotect + protect on one core"""
    args = ['--rounds', '3', '--packets', '512'] if env.smoke else ['--rounds', '15', '--packets', '8192']
    rows = _json_lines([env.exe('bench/bench_crypto'), '--json'] + args)
    lines = ['%-24s %4d B  unprotect %7.1f ns  protect %7.1f ns  round trip %7.1f ns = %.2f Mpps'
             % (r['suite'], r['size'], r['unprotect_ns'], r['protect_ns'], r['roundtrip_ns'],
                1e3 / r['roundtrip_ns']) for r in rows]
    short = {'AES_CM_128_HMAC_SHA1_80': 'CM-80', 'AEAD_AES_128_GCM': 'GCM-128'}
    lines.append('ratio protect / unprotect: %s' % ', '.join(
        '%s %d B %.2f' % (short.get(r['suite'], r['suite']), r['size'], r['protect_ns'] / r['unprotect_ns'])
        for r in rows))
    # the same crypto on the burst engine (bench_burst: a copy, unprotect
    # under the camera's key, protect under the viewer's; bursts of 32;
    # rounds of the two interleaved, the ratio the median of the rounds')
    engine = []
    streams = '1,16' if env.smoke else '1,100'
    bargs = ['--rounds', '3', '--packets', '512'] if env.smoke else ['--rounds', '15', '--packets', '32000']
    for suite in ENGINE_SUITES:
        engine += _json_lines([env.exe('bench/bench_burst'), '--json', '--streams', streams,
                               '--suite', suite] + bargs)
    for r in engine:
        lines.append('burst engine, transcrypt %s %d B, %4d stream%s: libsrtp loop %7.1f ns, engine %6.1f ns '
                     '= %.2f Mpps: %.2fx (ipsec-mb %s)' % (
                         short.get(r['suite'], r['suite']), r['size'], r['streams'],
                         ' ' if r['streams'] == 1 else 's', r['libsrtp_ns'], r['burst_ns'], r['burst_mpps'],
                         r['ratio'], r['arch']))
    return {'lines': lines, 'rows': rows, 'engine': engine}


def lookup(env):
    """Lookup scaling: flow-table work per packet, 1k vs 1M installed streams"""
    sizes = ['1000', '65536'] if env.smoke else ['1000', '65536', '1048576']
    args = ['--rounds', '3', '--packets', '100000'] if env.smoke else ['--rounds', '9', '--packets', '2000000']
    cmd = [env.exe('bench/bench_lookup'), '--json'] + args
    for s in sizes:
        cmd += ['--streams', s]
    rows = _json_lines(cmd)
    small, big = rows[0], rows[-1]
    lines = ['%8d streams  one-by-one %6.2f ns/packet  staged+prefetch %6.2f ns/packet'
             % (r['streams'], r['one_by_one_ns'], r['staged_ns']) for r in rows]
    res = {'rows': rows}
    for k, name in (('one_by_one_ns', 'one-by-one'), ('staged_ns', 'staged+prefetch')):
        ratio = small[k] / big[k]
        res['ratio_' + k] = ratio
        lines.append('throughput at %d / at %d streams, %s: %.2f' % (big['streams'], small['streams'], name, ratio))
    f1 = env.results.get(1)
    if f1:
        # in context: the crypto a 200 B AES-CM packet with one viewer costs
        rt = next(r['roundtrip_ns'] for r in f1['rows']
                  if r['suite'] == 'AES_CM_128_HMAC_SHA1_80' and r['size'] == 200)
        for k, name in (('one_by_one_ns', 'one-by-one'), ('staged_ns', 'staged+prefetch')):
            model = (rt + small[k]) / (rt + big[k])
            res['model_ratio_' + k] = model
            lines.append('model, with the round trip of (1) (%.0f ns, 200 B AES-CM) added to the table work: '
                         '%s %.2f (libsrtp contexts missing the cache at 1M are not in it)' % (rt, name, model))
    # end to end: srtpgw transcrypting with few and with many streams
    try:
        env.exe(LOADGEN)
    except Skip as e:
        lines.append('through the gateway: skipped (%s)' % e)
        res['lines'] = lines
        return res
    seconds, warmup = _timing(env)
    e2e = []
    for n in ((100, 1000) if env.smoke else (1000, 65536, 160000)):
        # the load generator decrypts each viewer's first packet (and every
        # 1024th): its default, the first 64, would be every packet of a
        # run at 160,000 viewers, and its libsrtp would set the pace
        rep = _gateway_run(env, n, 1, False, 0, seconds, warmup, crypto='burst', lanes=True, verify_first=1)
        e2e.append((n, rep['rx_pps']))
        wns, _ = _worker_time(rep)
        lines.append('through srtpgw (burst engine), %6d SRTP streams x 1 viewer, round robin over the streams: '
                     '%.3f Mpps%s' % (n, rep['rx_pps'] / 1e6, '; worker busy %.0f ns per packet' % wns if wns else ''))
    res['e2e'] = e2e
    res['e2e_ratio'] = e2e[-1][1] / e2e[0][1] if e2e[0][1] else 0
    lines.append('through srtpgw, throughput at %d / at %d streams: %.2f' % (e2e[-1][0], e2e[0][0], res['e2e_ratio']))
    res['lines'] = lines
    return res


LOADGEN = 'tools/loadgen/srtpgw-loadgen'
SUITE = 'AES_CM_128_HMAC_SHA1_80'
GCM = 'AEAD_AES_128_GCM'
ENGINE_SUITES = (SUITE, GCM)
# A 10 GbE port full of 200-byte SRTP packets, as issue 13 counts it: the
# headline says how many worker cores that takes.
PORT_10G_PPS = 5.3e6


# size: RTP payload bytes; 188 + the 12-byte header = figure 1's 200 B RTP packet
def _through(env, procs, d, ops, start_target, rate, seconds, warmup, size=188, during=None, rx_queues=2,
             verify_first=None, no_arp=False):
    """The load generator (CPU 0, the memif server, started first) against
    the target start_target(ops file) starts once the generator's socket is
    there (a memif client in zero-copy mode, its streams installed from the
    file before its port starts) and returns; returns the generator's JSON
    report. during(target), if given, runs while the load generator does (it
    should take about warmup + seconds); its result goes into the report as
    'during'. no_arp: a target that answers no ARP (testpmd)."""
    import gwrun
    opsf = os.path.join(d, 'ops')
    gwrun.write_secret(opsf, ops)
    out = os.path.join(d, 'lg.json')
    sock = os.path.join(d, 'memif.sock')
    cmd = [env.exe(LOADGEN), '--no-huge', '-m', '2048', '--no-pci', '--file-prefix', procs.prefix('lg'),
           '--lcores', '0@0', '--log-level', 'lib.eal:warning',
           '--vdev', 'net_memif0,role=server,socket=%s,socket-abstract=no,mac=%s,rsize=11' % (sock, gwrun.LG_MAC),
           '--', '--ops', opsf, '--port', 'net_memif0', '--rate', str(rate), '--duration', str(seconds),
           '--warmup', str(warmup), '--size', str(size), '--dst-mac', gwrun.GW_MAC, '--json', out, '--quiet',
           # memif pairs rings: one RX queue per TX queue of the peer (srtpgw: workers + 1)
           '--rx-queues', str(rx_queues),
           # the target installs every stream before its port comes up
           '--link-timeout', '120'] + (['--no-arp'] if no_arp else []) + (
               ['--verify-first', str(verify_first)] if verify_first is not None else []) + [
           '--max-packets', str(int(max(rate, 1.5e6) * (seconds + warmup) * 1.1))]
    log = os.path.join(d, 'lg.log')
    p = procs.start(cmd, log)
    gwrun.wait_for(lambda: os.path.exists(sock) or p.poll() is not None, 60, 'the load generator\'s memif socket')
    if p.poll() is not None:
        raise RuntimeError('srtpgw-loadgen exited %d:\n%s' % (p.returncode, open(log).read()[-3000:]))
    target = start_target(opsf)
    extra = during(target) if during is not None else None
    rc = p.wait(timeout=300)
    if rc != 0:
        raise RuntimeError('srtpgw-loadgen exited %d:\n%s' % (rc, open(log).read()[-3000:]))
    with open(out) as f:
        rep = json.load(f)
    rep['during'] = extra
    return rep


def _gateway_run(env, streams, viewers, plain, rate, seconds, warmup, size=188, during=None, crypto=None,
                 lanes=False, suite=SUITE, verify_first=None):
    import gwrun
    procs = gwrun.Procs()
    try:
        d = procs.tmpdir()
        # srtpgw is the memif client in zero-copy mode: the copies between
        # the shared rings and mbufs are the load generator's, as a NIC's
        # DMA would be nobody's (docs/performance.md, "Set-up")
        gw = gwrun.Gateway(procs, env.build, os.path.join(d, 'memif.sock'), crypto=crypto, memif_client=True)
        ops, _ = gwrun.make_ops(streams, viewers, suite, plain=plain, lanes=lanes)
        rep = _through(env, procs, d, ops, lambda opsf: gw.start('0@0,1@1', ops=opsf), rate, seconds, warmup,
                       size, during, verify_first=verify_first)
        rep['gateway_counters'] = gw.counters()
        rc = gw.stop()
        if rc != 0:
            raise RuntimeError('srtpgw exited %d' % rc)
        return rep
    finally:
        procs.stop_all()


def _worker_time(rep):
    """The worker's busy time per received packet (ns) and what one core
    could take at that (packets/s), from its busy_us counter: a busy-polling
    worker's CPU time is always 100%, and the generator, not the gateway,
    may set the pace."""
    c = rep.get('gateway_counters') or {}
    pkts = c.get('rx', 0) + c.get('handoff_in', 0)
    if not c.get('busy_us') or not pkts:
        return None, None
    ns = c['busy_us'] * 1e3 / pkts
    return ns, 1e9 / ns


def _timing(env):
    return (1, 0.5) if env.smoke else (4, 1)


# Issue 13's transcrypt targets: (suite, streams, viewers per stream) ->
# the least ratio of the burst engine through srtpgw to the raw libsrtp loop
TARGETS = (((SUITE, 1, 1), 3.0), ((SUITE, 100, 1), 2.5), ((SUITE, 100, 4), 2.5),
           ((GCM, 1, 1), 3.0), ((GCM, 100, 1), 2.5), ((GCM, 100, 4), 2.5))
# runs of the burst engine per target configuration (the median is kept)
REPEATS = 3


def _raw_now(env, suite):
    """(unprotect, protect) ns of a 200 B packet in a short run of (1)'s raw
    libsrtp loop, now (about a second)"""
    args = ['--rounds', '3', '--packets', '512'] if env.smoke else ['--rounds', '5', '--packets', '8192']
    rows = _json_lines([env.exe('bench/bench_crypto'), '--json', '--suite', suite, '--size', '200'] + args)
    r = next(r for r in rows if r['suite'] == suite and r['size'] == 200)
    return r['unprotect_ns'], r['protect_ns']


def transcrypt(env):
    """srtpgw transcrypting on one worker, 1 and 4 viewers per stream, vs (1);
    viewers with lanes (as srtpgw-control makes them), crypto = "libsrtp"
    and "burst" side by side, AES-CM and GCM"""
    env.exe(LOADGEN)
    seconds, warmup = _timing(env)
    streams = 16 if env.smoke else 100
    f1 = env.results.get(1)
    lines, by_viewers, limit, burst_by_viewers = [], [], [], []
    rows, one, gcm, targets = {}, {}, {}, []

    def raw(suite):
        """(unprotect, protect) ns of 200 B from (1), or None"""
        if not f1:
            return None
        r1 = next((r for r in f1['rows'] if r['suite'] == suite and r['size'] == 200), None)
        return (r1['unprotect_ns'], r1['protect_ns']) if r1 else None

    def burst_runs(n_streams, n, suite, times):
        """The burst engine through srtpgw, `times` runs, each between two
        short runs of (1)'s raw libsrtp loop: this machine's speed drifts by
        tens of percent within minutes, so the ratio is taken per run, next
        to its own raw loop. Returns the run of the median ratio and all
        the ratios, ascending."""
        runs = []
        for _ in range(times):
            u0, p0 = _raw_now(env, suite)
            rep = _gateway_run(env, n_streams, n, False, 0, seconds, warmup, crypto='burst', lanes=True,
                               suite=suite)
            u1, p1 = _raw_now(env, suite)
            rep['raw_cost_ns'] = (u0 + u1) / 2 + n * (p0 + p1) / 2   # U + n P, beside the run
            rep['raw_ratio'] = rep['rx_pps'] / n * rep['raw_cost_ns'] / 1e9
            runs.append(rep)
        runs.sort(key=lambda r: r['raw_ratio'])
        return runs[len(runs) // 2], [r['raw_ratio'] for r in runs]

    def both(n_streams, n, suite=SUITE):
        """libsrtp's run, then the burst engine's (repeated for a target
        configuration), and the burst engine's ratios to the raw loop"""
        lib = _gateway_run(env, n_streams, n, False, 0, seconds, warmup, crypto='libsrtp', lanes=True, suite=suite)
        target = next((t for (s, ns, v), t in TARGETS if (s, ns, v) == (suite, n_streams, n)), None)
        burst, ratios = burst_runs(n_streams, n, suite, 1 if env.smoke or target is None else REPEATS)
        if target is not None:
            med = burst['raw_ratio']
            targets.append({'suite': suite, 'streams': n_streams, 'viewers': n, 'target': target,
                            'ratio': med, 'ratios': ratios, 'met': med >= target})
        return lib, burst, ratios

    def engines(src_lib, burst, ratios, n):
        src_burst = burst['rx_pps'] / n
        return '; burst engine %.3f M/s: %.2fx libsrtp, %.2fx the raw libsrtp loop run beside it%s' % (
            src_burst / 1e6, src_burst / src_lib, burst['raw_ratio'],
            ' (median of %s)' % ', '.join('%.2f' % r for r in ratios) if len(ratios) > 1 else '')

    def worker_times(lib, burst):
        # the worker's busy time per source packet: what a core could take
        # where the generator set the pace
        out = []
        for name, r in (('libsrtp', lib), ('burst', burst)):
            ns, _ = _worker_time(r)
            if ns:
                out.append('%s %.0f ns = %.3f M/s' % (name, ns, 1e3 / ns))
        return ' [worker time per source packet: %s]' % ', '.join(out) if out else ''

    rt = raw(SUITE)
    # one stream first: the same single pair of contexts as (1), hot in the cache
    for n in (1, 4):
        lib, burst, ratios = both(1, n)
        one[n] = lib['rx_pps'] / n
        line = '1 stream, %d viewer%s: %.3f M source packets/s -> %.3f M viewer packets/s' % (
            n, '' if n == 1 else 's', one[n] / 1e6, lib['rx_pps'] / 1e6)
        if rt:
            line += '; ratio to the raw libsrtp limit %.2f' % (one[n] * (rt[0] + n * rt[1]) / 1e9)
        lines.append(line + engines(one[n], burst, ratios, n) + worker_times(lib, burst))
    for n in ((1, 4) if env.smoke else (1, 2, 4, 8)):
        rep, burst, ratios = both(streams, n)
        src_pps = rep['rx_pps'] / n
        row = {'viewers': n, 'rx_pps': rep['rx_pps'], 'tx_pps': rep['tx_pps'], 'source_pps': src_pps,
               'decrypt_failures': rep['decrypt_failures'], 'latency_us': rep['latency_us'],
               'burst_source_pps': burst['rx_pps'] / n, 'burst_decrypt_failures': burst['decrypt_failures'],
               'burst_vs_libsrtp': burst['rx_pps'] / rep['rx_pps'] if rep['rx_pps'] else None,
               'burst_ratio': burst['raw_ratio'], 'burst_ratios': ratios,
               'worker_ns': _worker_time(rep)[0], 'burst_worker_ns': _worker_time(burst)[0]}
        line = '%d streams, %d viewer%s: %.3f M source packets/s -> %.3f M viewer packets/s' % (
            streams, n, '' if n == 1 else 's', src_pps / 1e6, rep['rx_pps'] / 1e6)
        if rt:
            cost = rt[0] + n * rt[1]            # ns of crypto per source packet, from (1)
            row['limit_source_pps'] = 1e9 / cost
            row['ratio'] = src_pps / row['limit_source_pps']
            line += '; raw libsrtp limit %.3f M/s (U + %d P = %.0f ns): ratio %.2f' % (
                row['limit_source_pps'] / 1e6, n, cost, row['ratio'])
            limit.append((n, n * row['limit_source_pps'] / 1e6))
        lines.append(line + engines(src_pps, burst, ratios, n) + worker_times(rep, burst))
        by_viewers.append((n, rep['rx_pps'] / 1e6))
        burst_by_viewers.append((n, burst['rx_pps'] / 1e6))
        rows[n] = row
    # the targets again with AEAD_AES_128_GCM
    for ns, n in ((1, 1), (streams, 1), (streams, 4)):
        lib, burst, ratios = both(ns, n, GCM)
        src_lib, src_burst = lib['rx_pps'] / n, burst['rx_pps'] / n
        gcm['%dx%d' % (ns, n)] = {'source_pps': src_lib, 'burst_source_pps': src_burst,
                                 'worker_ns': _worker_time(lib)[0], 'burst_worker_ns': _worker_time(burst)[0],
                                 'burst_ratio': burst['raw_ratio'], 'burst_ratios': ratios}
        lines.append('%s, %d stream%s, %d viewer%s: libsrtp %.3f M source packets/s%s' % (
            GCM, ns, '' if ns == 1 else 's', n, '' if n == 1 else 's', src_lib / 1e6,
            engines(src_lib, burst, ratios, n)) + worker_times(lib, burst))
    lines.append('(SRTP streams of 200 B packets, each viewer with one egress lane, one worker busy polling, load '
                 'generator over net_memif as fast as it can; viewer packets verified by the load generator; '
                 'on the burst engine both the sources\' unprotect and the viewers\' protect run in bursts; '
                 'each burst-engine run between two short runs of (1)\'s raw loop, its ratio to their mean; '
                 'target configurations run %d times, the median kept)' % (1 if env.smoke else REPEATS))
    for t in targets:
        lines.append('TARGET %-24s %3d stream%s x %d viewer%s >= %.1fx the raw libsrtp loop: %.2fx, %s' % (
            t['suite'], t['streams'], ' ' if t['streams'] == 1 else 's', t['viewers'],
            ' ' if t['viewers'] == 1 else 's', t['target'], t['ratio'],
            'met' if t['met'] else 'missed by %.0f%%' % (100 * (1 - t['ratio'] / t['target']))))
    # the headline: one worker core's transcrypt rate, and what a 10 GbE
    # port of 200-byte SRTP needs
    head = rows[1]['burst_source_pps']
    wns = rows[1]['burst_worker_ns']
    res = {'lines': lines, 'rows': rows, 'one_stream_source_pps': one, 'by_viewers': by_viewers,
           'burst_by_viewers': burst_by_viewers, 'limit_by_viewers': limit, 'gcm': gcm, 'targets': targets,
           'headline_mpps_per_core': head / 1e6, 'headline_cores_10g': PORT_10G_PPS / head if head else None}
    lines.append('HEADLINE: one worker core transcrypts %.3f Mpps (200 B %s, %d streams x 1 viewer, burst '
                 'engine, through srtpgw): a 10 GbE port of 200 B SRTP (%.1f Mpps) takes %.1f worker cores' % (
                     head / 1e6, SUITE, streams, PORT_10G_PPS / 1e6, PORT_10G_PPS / head if head else float('inf')))
    if wns:
        cap = 1e9 / wns
        res['headline_worker_mpps_per_core'] = cap / 1e6
        lines.append('          by the worker\'s busy time (%.0f ns per packet, the generator may have set the pace): '
                     '%.3f Mpps per core, %.1f worker cores for %.1f Mpps' % (
                         wns, cap / 1e6, PORT_10G_PPS / cap, PORT_10G_PPS / 1e6))
    eng = next((r for r in (f1 or {}).get('engine', []) if r['suite'] == SUITE and r['streams'] > 1), None)
    if eng:
        lines.append('          the engine alone (1) does %.3f Mpps per core: %.1f cores of crypto for %.1f Mpps' % (
            eng['burst_mpps'], PORT_10G_PPS / 1e6 / eng['burst_mpps'], PORT_10G_PPS / 1e6))
    return res


def _testpmd_run(env, streams, seconds, warmup):
    """dpdk-testpmd io forwarding (memif zero-copy client, CPU 1, as srtpgw
    in _gateway_run) against the load generator; returns its report"""
    import subprocess
    import gwrun
    procs = gwrun.Procs()
    try:
        d = procs.tmpdir()
        tplog = os.path.join(d, 'testpmd.log')

        def start(_opsf):
            cmd = ['dpdk-testpmd', '--no-huge', '-m', '1024', '--no-pci', '--file-prefix', procs.prefix('tp'),
                   '--lcores', '0@0,1@1', '--log-level', 'lib.eal:warning', '--single-file-segments',
                   '--vdev', 'net_memif0,role=client,zero-copy=yes,socket=%s,socket-abstract=no,mac=%s,rsize=11' % (
                       os.path.join(d, 'memif.sock'), gwrun.GW_MAC),
                   '--', '--forward-mode=io', '--port-topology=loop', '--nb-cores=1', '--auto-start',
                   # one queue pair: as many TX queues as the load generator has RX queues
                   '--total-num-mbufs=65535',
                   '--stats-period', '60']  # runs until signalled, not until stdin closes
            tp = procs.start(cmd, tplog, stdin=subprocess.DEVNULL)

            def forwarding():
                with open(tplog) as f:
                    return 'start packet forwarding' in f.read() or tp.poll() is not None
            gwrun.wait_for(forwarding, 60, 'testpmd to start forwarding')
            if tp.poll() is not None:
                raise RuntimeError('dpdk-testpmd exited %d:\n%s' % (tp.returncode, open(tplog).read()[-2000:]))
            return None
        ops, _ = gwrun.make_ops(streams, 1, SUITE, plain=True)
        return _through(env, procs, d, ops, start, 0, seconds, warmup, rx_queues=1, no_arp=True)
    finally:
        procs.stop_all()


def passthrough(env):
    """Plain-RTP passthrough: srtpgw vs dpdk-testpmd io forwarding over net_memif"""
    env.exe(LOADGEN)
    seconds, warmup = _timing(env)
    streams = 16 if env.smoke else 100
    # srtpgw and testpmd in pairs, one after the other; the pair of the
    # median ratio is kept (both near the load generator's limit, and the
    # machine drifts between runs)
    pairs = []
    for _ in range(1 if env.smoke else REPEATS):
        gwrep = _gateway_run(env, streams, 1, True, 0, seconds, warmup)
        tprep = _testpmd_run(env, streams, seconds, warmup)
        pairs.append((gwrep['rx_pps'] / tprep['rx_pps'] if tprep['rx_pps'] else 0, gwrep, tprep))
    pairs.sort(key=lambda p: p[0])
    ratio, gwrep, tprep = pairs[len(pairs) // 2]
    wns, _ = _worker_time(gwrep)
    return {'lines': ['srtpgw   %.3f Mpps forwarded (plain RTP, 1 viewer per stream, 200 B RTP packets)%s' % (
                          gwrep['rx_pps'] / 1e6, '; its worker busy %.0f ns per packet' % wns if wns else ''),
                      'testpmd  %.3f Mpps io forwarding, same load generator and port kind' % (tprep['rx_pps'] / 1e6),
                      'ratio srtpgw / testpmd: %.2f%s' % (ratio, ' (the median of %d pairs run one after the '
                                                          'other: %s)' % (len(pairs), ', '.join(
                                                              '%.2f' % p[0] for p in pairs)) if len(pairs) > 1 else '')],
            'srtpgw_pps': gwrep['rx_pps'], 'testpmd_pps': tprep['rx_pps'], 'ratio': ratio, 'worker_ns': wns,
            'ratios': [p[0] for p in pairs]}


def latency(env):
    """Latency through the gateway at half its maximum rate"""
    env.exe(LOADGEN)
    seconds, warmup = _timing(env)
    streams = 16 if env.smoke else 100
    f2 = env.results.get(2)
    if f2 and 1 in f2['rows']:
        top = f2['rows'][1]['source_pps']
    else:
        top = _gateway_run(env, streams, 1, False, 0, seconds, warmup)['rx_pps']
    rep = _gateway_run(env, streams, 1, False, int(top / 2), seconds, warmup)
    lat = rep['latency_us']
    return {'lines': ['at %.3f Mpps (half of %.3f): p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us '
                      '(%d samples; load generator TX to RX over net_memif, 1 viewer, %s 200 B)'
                      % (top / 2e6, top / 1e6, lat['p50'], lat['p99'], lat['p999'], lat['max'],
                         lat['samples'], SUITE)],
            'rate': top / 2, 'latency_us': lat, 'received': rep['received'], 'expected': rep['expected']}


def updates(env):
    """Updates: changes per second while forwarding, the dip, publish-to-visible latency"""
    import churn
    import gwrun
    streams = 100 if env.smoke else 1000
    seconds = 1 if env.smoke else 5
    procs = gwrun.Procs()
    try:
        d = procs.tmpdir()
        gw = gwrun.Gateway(procs, env.build, os.path.join(d, 'memif.sock')).start('0@0,1@1')
        ops, layout = gwrun.make_ops(streams, 1, SUITE)
        gwrun.write_secret(os.path.join(d, 'ops'), ops)
        gw.apply_file(os.path.join(d, 'ops'))
        ids = [s for s, _, _ in layout]
        rows = [churn.churn(gw.sock, ids, seconds, batch=b) for b in (10, 100, 1000)]
        rc = gw.stop()
        if rc != 0:
            raise RuntimeError('srtpgw exited %d' % rc)
    finally:
        procs.stop_all()
    lines = ['%5d changes per transaction: %8.0f changes/s  publish-to-visible p50 %6.0f us  p99 %6.0f us (no traffic)'
             % (r['batch'], r['changes_per_s'], r['visible_p50_us'], r['visible_p99_us']) for r in rows]
    res = {'rows': rows, 'streams': streams}
    try:
        env.exe(LOADGEN)
    except Skip as e:
        lines.append('the forwarding dip: skipped (%s)' % e)
        res['lines'] = lines
        return res
    # the dip: the same fixed load without and with changes, fresh gateway each
    t_sec, warmup = _timing(env)
    f2 = env.results.get(2)
    rate = int(f2['rows'][1]['source_pps'] / 2) if f2 and 1 in f2['rows'] else 100000
    base = _gateway_run(env, streams, 1, False, rate, t_sec, warmup)
    busy = _gateway_run(env, streams, 1, False, rate, t_sec, warmup,
                        during=lambda g: churn.churn(g.sock, list(range(1, streams + 1)), t_sec + warmup, batch=100))
    c = busy['during']

    def frac(r):
        return r['rx_pps'] / r['tx_pps'] if r['tx_pps'] else 0
    dip = 1 - (busy['rx_pps'] / base['rx_pps']) if base['rx_pps'] else 0
    lines.append('forwarding at %.3f Mpps offered (half of figure 2\'s maximum, 1 viewer): %.3f Mpps without changes, '
                 '%.3f Mpps with %.0f changes/s (100 per transaction): dip %.1f%% (delivered %.4f vs %.4f of sent); '
                 'publish-to-visible p50 %.0f us, p99 %.0f us' % (
                     rate / 1e6, base['rx_pps'] / 1e6, busy['rx_pps'] / 1e6, c['changes_per_s'], 100 * dip,
                     frac(busy), frac(base), c['visible_p50_us'], c['visible_p99_us']))
    res.update({'lines': lines, 'offered_pps': rate, 'base_rx_pps': base['rx_pps'], 'churn_rx_pps': busy['rx_pps'],
                'dip': dip, 'churn': c})
    return res


ALL = {1: crypto, 2: transcrypt, 3: passthrough, 4: lookup, 5: updates, 6: latency}


def plots(figs):
    """The plots docs/performance.md shows, from what this run measured."""
    out = {}
    f4 = figs.get(4, {})
    if f4.get('rows'):
        out['lookup-vs-table-size'] = dict(
            title='Flow-table work per packet vs installed streams (bench_lookup, random stream order)',
            xlabel='installed streams', ylabel='ns per packet, one core (table work only)', logx=True,
            series=[(name, [(r['streams'], r[k]) for r in f4['rows']])
                    for k, name in (('one_by_one_ns', 'one by one'), ('staged_ns', 'staged + prefetch'))])
    if f4.get('e2e'):
        out['throughput-vs-table-size'] = dict(
            title='srtpgw transcrypt throughput vs installed streams (1 worker, 1 viewer each, AES-CM 200 B, burst engine)',
            xlabel='installed streams (traffic round robin over all)', ylabel='Mpps', logx=True,
            series=[('srtpgw, burst engine', [(n, pps / 1e6) for n, pps in f4['e2e']])])
    f2 = figs.get(2, {})
    if f2.get('by_viewers'):
        out['throughput-vs-viewers'] = dict(
            title='srtpgw transcrypt throughput vs viewers per stream (1 worker)',
            xlabel='viewers per stream', ylabel='Mpps received by viewers',
            series=[('srtpgw, libsrtp', [(v, r) for v, r in f2['by_viewers']]),
                    ('srtpgw, burst engine', [(v, r) for v, r in f2.get('burst_by_viewers', [])]),
                    ('raw libsrtp limit', [(v, r) for v, r in f2['limit_by_viewers']])])
    return out
