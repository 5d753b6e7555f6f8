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
    return {'lines': lines, 'rows': rows}


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
    res['lines'] = lines
    return res


def _needs_loadgen(env):
    env.exe('tools/loadgen/srtpgw-loadgen')
    raise Skip('the load generator figures are not written yet')


def transcrypt(env):
    """srtpgw transcrypting on one worker, 1 and 4 viewers per stream, vs (1)"""
    _needs_loadgen(env)


def passthrough(env):
    """Plain-RTP passthrough: srtpgw vs dpdk-testpmd io forwarding over net_memif"""
    _needs_loadgen(env)


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
        ops, layout = gwrun.make_ops(streams, 1, 'AES_CM_128_HMAC_SHA1_80')
        gwrun.write_secret(os.path.join(d, 'ops'), ops)
        gw.apply_file(os.path.join(d, 'ops'))
        ids = [s for s, _, _ in layout]
        rows = [churn.churn(gw.sock, ids, seconds, batch=b) for b in (10, 100, 1000)]
        rc = gw.stop()
        if rc != 0:
            raise RuntimeError('srtpgw exited %d' % rc)
    finally:
        procs.stop_all()
    lines = ['%5d changes per transaction: %8.0f changes/s  publish-to-visible p50 %6.0f us  p99 %6.0f us'
             % (r['batch'], r['changes_per_s'], r['visible_p50_us'], r['visible_p99_us']) for r in rows]
    lines.append('(grant add/del on %d streams, one worker busy polling, no traffic: '
                 'the forwarding dip needs the load generator)' % streams)
    return {'lines': lines, 'rows': rows, 'streams': streams}


def latency(env):
    """Latency through the gateway at half its maximum rate"""
    _needs_loadgen(env)


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
    f2 = figs.get(2, {})
    if f2.get('by_viewers'):
        out['throughput-vs-viewers'] = dict(
            title='srtpgw transcrypt throughput vs viewers per stream (1 worker)',
            xlabel='viewers per stream', ylabel='Mpps received by viewers',
            series=[('srtpgw', [(v, r) for v, r in f2['by_viewers']]),
                    ('raw libsrtp limit', [(v, r) for v, r in f2['limit_by_viewers']])])
    return out
