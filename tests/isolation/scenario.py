"""The isolation scenario: topology, gateway, the three processes (churn
driver, traffic generator, checker), the run, the drain and the report.

    sources ns ──┐                       ┌── viewers ns (checker: AF_PACKET)
    (generator)  │   switch ns (br0)     │   displays' addresses are not
                 ├───────────┬───────────┤   local there: no ICMP back
                             │
                  root ns: srtpgw on net_af_packet (3 queue pairs,
                  2 workers), agent socket <- churn driver

Impairment (loss, duplication, delay with jitter, reordering) on the source
path and on the path towards the viewers: tc netem on the sources' veth and
on the bridge port towards the viewers when the kernel has sch_netem,
otherwise the same model as a stage in the generator (source path) and in
front of the checker (viewer path).

After the churn, unless --no-webrtc: the WebRTC phase (webrtc_phase.py),
srtpgw-control on the same gateway and WebRTC displays beside SDES viewers.

Run it with scripts/isolation; docs/isolation.md explains the checker.
"""
import argparse
import json
import multiprocessing
import os
import platform
import signal
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.path.insert(0, HERE)

import agentproto as ap  # noqa: E402
import sgwtest  # noqa: E402
from sgwtest import (Gateway, NetNS, Resources, af_packet_port, run, switch, switch_port,  # noqa: E402
                     uniq, wait_for)
from isocommon import GW_IP, GW_PREFIX, SRC_IP, VIEW_IPS  # noqa: E402
from pacing import Pacer  # noqa: E402

# drops the churn and the forged traffic cause on purpose
EXPECTED_DROPS = {
    'drop_no_flow': 'sources of deleted streams (zombies) and of owners being recreated',
    'drop_srtp_auth': 'forged packets; zombies on a reused port; old keys after END_OVERLAP',
    'drop_srtp_replay': 'duplicates and late reordered packets on the source path',
    'drop_owner_mismatch': 'viewers left attached by a revoke (per-packet owner check)',
    'drop_no_viewers': 'streams that nobody watches at that moment',
    'drop_icmp_other': 'stray ICMP (noise)',
    'drop_arp_other': 'stray ARP (noise)',
    'drop_l2_not_us': 'frames flooded by the bridge before it learnt the MACs',
}
DEFAULTS = dict(seconds=90, streams=1000, owners=50, displays=0, rate=5000, changes=10000,
                quarantine=1.0, overlap=0.5, orphan_fraction=0.1, orphan_life=0.3,
                owner_churn=1.0, owner_dead=0.5, forged_every=50, zombie=1.5, zombie_fraction=0.25, sample=1,
                impair='auto', loss=1.0, dup=0.5, delay=5.0, jitter=3.0, reorder=5.0, seed=1,
                build=None, max_batch=4000, mix=None, quiet=False, until_checked=0, max_unread=0,
                webrtc=True, webrtc_rate=100, webrtc_rounds=3)


def netem_available():
    """True if this kernel has sch_netem (many VM kernels do not)."""
    name = uniq('sgwn')
    run('ip', 'netns', 'add', name)
    try:
        r = run('ip', 'netns', 'exec', name, 'ip', 'link', 'add', 'n0', 'type', 'veth', 'peer', 'name', 'n1',
                check=False)
        if r.returncode != 0:
            return False
        r = run('ip', 'netns', 'exec', name, 'tc', 'qdisc', 'add', 'dev', 'n0', 'root', 'netem',
                'delay', '1ms', check=False)
        return r.returncode == 0
    finally:
        run('ip', 'netns', 'del', name, check=False)


def _links(ns):
    return {l['ifname'] for l in json.loads(ns.run('ip', '-j', 'link', 'show').stdout)}


def _port(res, sw, ns, addrs):
    """switch_port, and the name of its end inside the switch."""
    before = _links(sw)
    outer = switch_port(res, sw, ns, addrs)
    inner, = _links(sw) - before
    return outer, inner


def _netem_stats(ns, dev):
    q = json.loads(ns.run('tc', '-s', '-j', 'qdisc', 'show', 'dev', dev).stdout)
    q = [x for x in q if x.get('kind') == 'netem'][0]
    return {'out': q.get('packets', 0), 'lost': q.get('drops', 0), 'backlog': q.get('qlen', 0)}


def _stop_proc(p):
    if p.is_alive():
        p.terminate()
        p.join(5)
    if p.is_alive():
        p.kill()
        p.join(5)


def _say(cfg, *a):
    if not cfg.get('quiet'):
        print(*a, flush=True)


class Link:
    """The main process's end of one child: its messages, its errors."""

    def __init__(self, name, proc, conn):
        self.name, self.proc, self.conn = name, proc, conn
        self.progress = {}

    def get(self, want, timeout):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError('%s: no %r within %ds' % (self.name, want, timeout))
            if self.conn.poll(min(left, 0.5)):
                msg = self.conn.recv()
                if msg[0] == 'error':
                    raise AssertionError(msg[1])
                if msg[0] == 'progress':
                    self.progress = msg[1]
                    continue
                if msg[0] != want:
                    raise AssertionError('%s: %r, expected %r' % (self.name, msg[0], want))
                return msg
            elif not self.proc.is_alive():
                raise AssertionError('%s exited (%s)' % (self.name, self.proc.exitcode))

    def pump(self):
        while self.conn.poll():
            msg = self.conn.recv()
            if msg[0] == 'error':
                raise AssertionError(msg[1])
            if msg[0] == 'progress':
                self.progress = msg[1]
        if not self.proc.is_alive():
            raise AssertionError('%s exited (%s)' % (self.name, self.proc.exitcode))


def run_scenario(**kw):
    """Runs the scenario; returns the report (a dict). Everything it made
    is gone when it returns or raises."""
    cfg = dict(DEFAULTS)
    cfg.update(kw)
    if not cfg['displays']:
        cfg['displays'] = cfg['streams'] * 2
    if cfg['build']:
        sgwtest.SRTPGW = os.path.join(os.path.abspath(cfg['build']), 'gateway', 'srtpgw')
    mode = cfg['impair']
    if mode == 'auto':
        mode = 'netem' if netem_available() else 'stage'
    imp = None if mode in ('netem', 'none') else dict(
        loss=cfg['loss'] / 100, dup=cfg['dup'] / 100, delay_ms=cfg['delay'], jitter_ms=cfg['jitter'],
        reorder=cfg['reorder'] / 100)
    cfg['impair_params'] = imp
    netem = ['delay', '%gms' % cfg['delay'], '%gms' % cfg['jitter'], 'loss', '%g%%' % cfg['loss'],
             'duplicate', '%g%%' % cfg['dup'], 'reorder', '%g%%' % cfg['reorder']]
    report = {'config': {k: v for k, v in cfg.items() if k not in ('impair_params', 'quiet')},
              'impairment_mode': mode,
              'impairment': ' '.join(netem) if mode != 'none' else 'none',
              'machine': {'cpus': os.cpu_count(), 'cpu': _cpu_model(), 'kernel': platform.release(),
                          'load_before': os.getloadavg()},
              'date': time.strftime('%Y-%m-%d %H:%M:%S %Z'), 'gateway': sgwtest.SRTPGW}
    res = Resources()
    ctx = multiprocessing.get_context('fork')
    links = []
    t_wall = time.monotonic()
    try:
        sw = switch(res)
        src, view = NetNS(res), NetNS(res)
        src_if, sw_src = _port(res, sw, src, [SRC_IP + '/16'])
        view_if, sw_view = _port(res, sw, view, [])
        gw_if, sw_gw = _port(res, sw, None, [])
        for k in ('all', 'default', view_if):
            view.run('sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % k, check=False)
        # the displays' addresses are not local in the viewers' namespace
        # and it does not forward: frames for them are read by the checker
        # and then dropped without an ICMP error back to the gateway
        view.run('sysctl', '-qw', 'net.ipv4.conf.all.forwarding=0')
        view_mac = view.mac(view_if)
        gw_mac = json.loads(run('ip', '-j', 'link', 'show', 'dev', gw_if).stdout)[0]['address']
        src.run('ip', 'neigh', 'replace', GW_IP, 'lladdr', gw_mac, 'dev', src_if, 'nud', 'permanent')
        for mac, port in ((gw_mac, sw_gw), (view_mac, sw_view), (src.mac(src_if), sw_src)):
            sw.run('bridge', 'fdb', 'replace', mac, 'dev', port, 'master', 'static', check=False)
        if mode == 'netem':
            src.run('tc', 'qdisc', 'add', 'dev', src_if, 'root', 'netem', *netem)
            sw.run('tc', 'qdisc', 'add', 'dev', sw_view, 'root', 'netem', *netem)
        gw = Gateway(res, ports=[af_packet_port(gw_if, [GW_PREFIX], 3,
                                                neighbours=[(ip, view_mac) for ip in VIEW_IPS])],
                     workers=[[('lan', 0), ('lan', 2)], [('lan', 1)]]).start()
        stats = ap.AgentClient(gw.sock)
        res.add(stats.close)

        from checker import checker_main
        from model import driver_main
        from traffic import generator_main
        wcfg = dict(cfg, impair=imp)
        chk_from_drv, drv_to_chk = ctx.Pipe(duplex=False)
        gen_from_drv, drv_to_gen = ctx.Pipe(duplex=False)

        def spawn(name, target, *args):
            mine, theirs = ctx.Pipe()
            p = ctx.Process(target=target, args=args + (theirs,), name=name, daemon=True)
            p.start()
            res.add(_stop_proc, p)
            link = Link(name, p, mine)
            links.append(link)
            return link

        chk = spawn('checker', checker_main, view.name, view_if, wcfg, chk_from_drv)
        chk.get('ready', 30)
        gen = spawn('generator', generator_main, src.name, wcfg, gen_from_drv)
        gen.get('ready', 30)
        drv = spawn('driver', driver_main, gw.sock, wcfg, drv_to_chk, drv_to_gen)
        _, n_ops = drv.get('ready', 120)
        _say(cfg, 'isolation: %d streams, %d owners, %d displays (%d ops) on %s; impairment: %s (%s)' % (
            cfg['streams'], cfg['owners'], cfg['displays'], n_ops, sgwtest.SRTPGW, mode,
            report['impairment']))
        c0 = stats.counters()
        gen.conn.send(('go',))
        drv.conn.send(('go',))
        t_go = time.monotonic()
        next_print = t_go + 10
        pacer, seen = Pacer(cfg['rate'], cfg['max_unread']), None
        # SIGUSR1 ends the churn now, with the drain and the full report
        # (SIGINT aborts without one): for a long run that must end early
        end_now = []
        signal.signal(signal.SIGUSR1, lambda *_: end_now.append(True))
        while time.monotonic() - t_go < cfg['seconds']:
            if cfg['until_checked'] and chk.progress.get('checked', 0) >= cfg['until_checked']:
                break
            if end_now:
                _say(cfg, 'SIGUSR1: ending the churn at %.0f s' % (time.monotonic() - t_go))
                break
            time.sleep(0.2)  # the run's length: paced by time
            for link in links:
                link.pump()
            if cfg['max_unread'] and chk.progress is not seen:
                # back-pressure, on each progress report (2 s): pacing.py
                seen = chk.progress
                new = pacer.update(time.monotonic(), seen.get('checked', 0), seen.get('backlog_mib', 0))
                if new is not None:
                    gen.conn.send(('rate', new))
            if gw.proc.poll() is not None:
                raise AssertionError('srtpgw exited %d:\n%s' % (gw.proc.returncode, gw.read_log()))
            if time.monotonic() >= next_print:
                next_print += 10
                _say(cfg, '  %3ds: changes %s, checked %s (%s waiting, %.0f ms behind the driver, '
                     '%s MiB unread, %s lost), misdeliveries %s, unauthenticated %s' % (
                         time.monotonic() - t_go, drv.progress.get('changes', 0), chk.progress.get('checked', 0),
                         chk.progress.get('pending', 0), chk.progress.get('watermark_lag_ms', 0),
                         chk.progress.get('backlog_mib', 0), chk.progress.get('socket_drops', 0),
                         chk.progress.get('misdeliveries', 0), chk.progress.get('unauthenticated', 0))
                     + (', sources at %d/s' % pacer.rate if cfg['max_unread'] else ''))
        # churn stops first: the checker may then decide everything
        drv.conn.send(('stop',))
        _, report['driver'] = drv.get('done', 60)
        gen.conn.send(('stop',))
        _, report['generator'], logs = gen.get('done', 60)

        # drain: the gateway's counters stop moving (nothing left in its
        # queues or hand-off rings), then the checker has every frame
        last = {}

        def drained():
            ws = stats.worker_stats()[:-1]
            now = (sum(w['rx'] for w in ws), sum(w['tx'] for w in ws),
                   sum(w['handoff_in'] for w in ws), sum(w['handoff_out'] for w in ws))
            same = last.get('v') == now and now[2] == now[3]
            last['n'] = last.get('n', 0) + 1 if same else 0
            last['v'] = now
            return last['n'] >= 3
        wait_for(drained, 30, 'the gateway to drain', interval=0.1)
        c1 = stats.counters()
        to_viewers = last['v'][1]
        if mode == 'netem':
            report['netem'] = {'source': _netem_stats(src, src_if), 'viewers': _netem_stats(sw, sw_view)}
            # what left the viewers' qdisc (its losses out, its duplicates in)
            to_viewers = report['netem']['viewers']['out']
        chk.conn.send(('finish', to_viewers, 20))
        _, report['checker'] = chk.get('checked', 300)
        chk.conn.send(('logs', logs, report['generator']['t_stop']))
        _, report['deliveries'] = chk.get('deliveries', 300)
        report['gateway_counters'] = {k: c1.get(k, 0) - c0.get(k, 0) for k in c1 if c1.get(k, 0) != c0.get(k, 0)}
        report['gateway_tx_to_viewers'] = last['v'][1]
        if cfg['webrtc']:
            # after the churn: srtpgw-control replaces the gateway's state
            # when it connects (webrtc_phase.py)
            from webrtc_phase import run_phase
            _say(cfg, 'WebRTC phase: srtpgw-control, WebRTC displays (aiortc) and SDES viewers')
            report['webrtc'] = run_phase(res, cfg, gw, stats, sw, src, lambda *a: _say(cfg, *a))
        rc = gw.stop()
        report['gateway_exit'] = rc
    finally:
        res.cleanup()
    report['wall_seconds'] = time.monotonic() - t_wall
    _summarise(report)
    return report


def _cpu_model():
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    return line.split(':', 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _summarise(rep):
    ck, g, gen = rep['checker'], rep['gateway_counters'], rep['generator']
    drops = {k: v for k, v in g.items() if k.startswith('drop_')}
    rep['gateway_drops_expected'] = {k: v for k, v in drops.items() if k in EXPECTED_DROPS}
    rep['gateway_drops_unexpected'] = {k: v for k, v in drops.items() if k not in EXPECTED_DROPS}
    src_loss = view_loss = None
    to_gateway = gen['wire']          # frames the sources' side put on the wire
    if rep['impairment_mode'] == 'stage':
        src_loss = gen['impairment']['lost']
        view_loss = ck['impairment']['lost']
    elif rep['impairment_mode'] == 'netem':
        src_loss = rep['netem']['source']['lost']
        view_loss = rep['netem']['viewers']['lost']
        to_gateway = rep['netem']['source']['out']
    dl = rep['deliveries']
    rep['loss'] = {
        'source_path_impairment': src_loss,
        'between_source_and_gateway': max(0, to_gateway - g.get('rx', 0)),
        'gateway_drops': sum(drops.values()),
        'viewer_path_impairment': view_loss,
        'checker_socket': ck['socket_drops'],
        'had_to_arrive': dl['expected'], 'arrived': dl['delivered'],
        'missing_percent': 100.0 * (dl['expected'] - dl['delivered']) / dl['expected'] if dl['expected'] else 0,
    }
    rep['failures'] = []
    if ck['misdeliveries']:
        rep['failures'].append('%d misdeliveries %s' % (ck['misdeliveries'], ck['misdelivery_kinds']))
    if ck['unauthenticated']:
        rep['failures'].append('%d unauthenticated forwards %s' % (ck['unauthenticated'],
                                                                   ck['unauthenticated_kinds']))
    if ck['stale_egress_key']:
        rep['failures'].append('%d packets under a replaced viewer key' % ck['stale_egress_key'])
    if ck['duplicates_gateway']:
        rep['failures'].append('%d packets protected twice by the gateway' % ck['duplicates_gateway'])
    if rep.get('webrtc'):
        rep['failures'] += rep['webrtc']['failures']
    if rep.get('gateway_exit'):
        rep['failures'].append('srtpgw exit code %d' % rep['gateway_exit'])


def format_report(rep):
    ck, d, gen, loss = rep['checker'], rep['driver'], rep['generator'], rep['loss']
    m = rep['machine']
    lines = [
        'isolation run %s on %d x %s, kernel %s (load before %.1f)' % (
            rep['date'], m['cpus'], m['cpu'], m['kernel'], m['load_before'][0]),
        '  scenario: %d streams, %d owners, %d displays, %.0f s of churn; 2 workers; impairment %s (%s)' % (
            d['streams'], d['owners'], d['displays'], d['seconds'], rep['impairment_mode'], rep['impairment']),
        '  packets checked:          %d (of %d frames at the viewers; %d under a rolled-over ROC)' % (
            ck['checked'], ck['frames'], ck['after_wrap']),
        '  misdeliveries:            %d %s' % (ck['misdeliveries'], ck['misdelivery_kinds'] or ''),
        '  unauthenticated forwards: %d %s' % (ck['unauthenticated'], ck['unauthenticated_kinds'] or ''),
        '  stale viewer keys:        %d' % ck['stale_egress_key'],
        '  duplicates:               %d by the network, %d by the gateway' % (
            ck['duplicates_network'], ck['duplicates_gateway']),
        '  arrived after their authorisation ended (sent before it): %d, at most %.1f ms late' % (
            ck['arrived_after_end'], ck['arrived_after_end_max_ms']),
        '  changes applied:          %d in %.1f s = %.0f/s (target %d/s; %d ops = %.0f ops/s; %d transactions, '
        'latency median %.1f ms, p99 %.1f ms)' % (
            d['changes'], d['seconds'], d['changes_per_s'], d['target_changes_per_s'], d['ops'], d['ops_per_s'],
            d['txns'], d['txn_latency_ms']['median'], d['txn_latency_ms']['p99']),
        '    by kind: %s' % ', '.join('%s %d' % kv for kv in sorted(d['by_kind'].items())),
        '  sources: %d packets (%.0f/s; %d to deleted streams), %d forged (%d plain, %d wrong key), '
        '%d skipped behind schedule' % (
            gen['genuine'] + gen['zombie'], gen['pps'], gen['zombie'], gen['forged_plain'] + gen['forged_key'],
            gen['forged_plain'], gen['forged_key'], gen['behind'])
        + ('; back-pressure changed the rate %d times, lowest %d/s' % (gen['rate_changes'], gen['rate_min'])
           if gen.get('rate_changes') else ''),
        '  loss by cause: source path impairment %s; between sources and gateway %d; gateway drops %d; '
        'viewer path impairment %s; checker socket %d' % (
            loss['source_path_impairment'], loss['between_source_and_gateway'], loss['gateway_drops'],
            loss['viewer_path_impairment'], loss['checker_socket']),
        '  packets that had to arrive: %d, arrived %d, missing %.2f%%' % (
            loss['had_to_arrive'], loss['arrived'], loss['missing_percent']),
        '  gateway drops expected under churn: %s' % (
            ', '.join('%s %d' % kv for kv in sorted(rep['gateway_drops_expected'].items())) or 'none'),
        '  gateway drops unexpected: %s' % (
            ', '.join('%s %d' % kv for kv in sorted(rep['gateway_drops_unexpected'].items())) or 'none'),
        '  wall time %.0f s' % rep['wall_seconds'],
    ]
    w = rep.get('webrtc')
    if w:
        lines += [
            '  WebRTC phase: %d displays, %d WebRTC sessions and %d SDES viewers on %d streams of %d owners '
            '(%.0f s); 1 offer for another owner\'s stream refused (403, nothing made); a revoked grant '
            'ended its session (close_notify) %.0f ms after srtpgwctl was started' % (
                w['displays'], w['webrtc_sessions'], w['sdes_viewers'], w['streams'], w['owners'], w['seconds'],
                w['revoked_session_closed_after_s'] * 1000),
            '    packets checked: %d (RTP: %d at WebRTC displays, %d at SDES viewers; %d sender reports; '
            '%d SRTP and SRTCP frames captured, %d sent by the gateway\'s workers); misdeliveries %d %s; '
            'undecryptable %d; duplicates %d by the gateway' % (
                w['checked'], w['checked_webrtc'], w['checked_sdes'], w['checked_rtcp'], w['frames'],
                w['gateway_sent'], w['misdeliveries'],
                w['misdelivery_kinds'] or '', w['undecryptable'], w['duplicates_gateway']),
            '    per session, RTP and sender reports (checked / aiortc decrypted): %s' % ', '.join(
                '%s %s/%s %d/%s %d/%s' % (s['name'], s['owner'], s['stream'], s['checked'], s['aiortc_rtp'],
                                          s['rtcp_checked'], s['aiortc_rtcp'])
                for s in w['sessions'] if s['kind'] == 'webrtc'),
            '    arrived after their session ended (sent before): %d; orphans (a grant withdrawn on the agent '
            'socket, %d viewers left attached): %d packets dropped by the owner check' % (
                w['arrived_after_end'], w['orphans'], w['orphan_drop_owner_mismatch']),
        ]
        for smp in w['samples'][:10]:
            lines.append('    %s' % smp)
    if loss['checker_socket']:
        lines.append('  WARNING: %d frames were lost at the checker\'s socket and never checked: the '
                     'traffic was faster than the checker (lower --rate)' % loss['checker_socket'])
    if ck['samples']:
        lines.append('  first violations:')
        for s in ck['samples'][:10]:
            lines.append('    %s' % s)
    lines.append('RESULT: %s' % ('FAIL: ' + '; '.join(rep['failures']) if rep['failures'] else 'PASS'))
    return '\n'.join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(description='srtpgw isolation under churn (docs/isolation.md)')
    p.add_argument('--seconds', type=float, default=DEFAULTS['seconds'], help='churn duration')
    p.add_argument('--until-checked', type=int, default=0, metavar='N',
                   help='stop the churn (before --seconds) once the checker has checked N packets; '
                        'SIGUSR1 to the scenario also stops it early, with the full report')
    p.add_argument('--max-unread', type=int, default=0, metavar='MIB',
                   help='back-pressure: while the checker has more than MIB unread and it grows, the '
                        "sources go to just below what it checks (not below a tenth of --rate), and back "
                        'up to --rate when it has caught up (tests/isolation/pacing.py); '
                        'for long runs on a shared machine, where the CPU the checker gets varies')
    p.add_argument('--streams', type=int, default=DEFAULTS['streams'])
    p.add_argument('--owners', type=int, default=DEFAULTS['owners'])
    p.add_argument('--displays', type=int, default=0, help='default 1.5 x streams')
    p.add_argument('--rate', type=int, default=DEFAULTS['rate'], help='source packets per second, all streams')
    p.add_argument('--changes', type=int, default=DEFAULTS['changes'], help='target changes per second')
    p.add_argument('--quarantine', type=float, default=DEFAULTS['quarantine'], help='s before a port is reused')
    p.add_argument('--orphan-fraction', type=float, default=DEFAULTS['orphan_fraction'],
                   help='revokes that leave the viewers attached')
    p.add_argument('--orphan-life', type=float, default=DEFAULTS['orphan_life'])
    p.add_argument('--owner-churn', type=float, default=DEFAULTS['owner_churn'], help='owners deleted per s')
    p.add_argument('--forged-every', type=int, default=DEFAULTS['forged_every'])
    p.add_argument('--sample', type=int, default=DEFAULTS['sample'],
                   help='loss accounting on every Nth stream slot (memory for long runs)')
    p.add_argument('--impair', choices=('auto', 'netem', 'stage', 'none'), default='auto')
    p.add_argument('--loss', type=float, default=DEFAULTS['loss'], help='%%')
    p.add_argument('--dup', type=float, default=DEFAULTS['dup'], help='%%')
    p.add_argument('--delay', type=float, default=DEFAULTS['delay'], help='ms')
    p.add_argument('--jitter', type=float, default=DEFAULTS['jitter'], help='ms')
    p.add_argument('--reorder', type=float, default=DEFAULTS['reorder'], help='%%')
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--checker-nice', type=int, default=5,
                   help='nice increment of the checker (default 5: it yields to the gateway and the '
                        'sources and catches up from its socket buffer; -10 on long runs, so it has a CPU '
                        'to itself and keeps up)')
    p.add_argument('--generator-nice', type=int, default=0,
                   help='nice increment of the sources (5 on long runs: they yield to the checker)')
    p.add_argument('--no-webrtc', dest='webrtc', action='store_false',
                   help='leave out the WebRTC phase after the churn (docs/isolation.md, "WebRTC displays")')
    p.add_argument('--webrtc-rate', type=int, default=DEFAULTS['webrtc_rate'],
                   help='WebRTC phase: packets per second of each of its streams')
    p.add_argument('--webrtc-rounds', type=int, default=DEFAULTS['webrtc_rounds'],
                   help='WebRTC phase: rounds in which all four displays switch streams at once')
    p.add_argument('--build', help='build directory of the srtpgw to test (default: build/)')
    p.add_argument('--json', help='write the full report here')
    a = p.parse_args(argv)
    kw = {k: v for k, v in vars(a).items() if k != 'json'}
    rep = run_scenario(**kw)
    print(format_report(rep))
    if a.json:
        with open(a.json, 'w') as f:
            json.dump(rep, f, indent=1, default=str)
    return 1 if rep['failures'] else 0


if __name__ == '__main__':
    sys.exit(main())
