#!/usr/bin/env python3
"""Failover and placement changes of a fleet, measured at the viewers
(docs/fleet.md, "Figures"). A benchmark, not a test: it prints figures and
fails only if something does not work.

Three etcd members and three gateways on one bridge (tests/lib/fleet_net.py),
streams with one viewer each under traffic (tests/lib/fleet_traffic.py,
which also checks every packet: its viewer's key, its stream, no index
twice). Then, in turn, the busiest gateway's srtpgw, its srtpgw-control,
or both, are killed (kill -9), and brought back once its streams flow
elsewhere: the failover time of a stream is the longest silence at its
viewer around the kill. Then streams are moved one at a time (`srtpgwctl
stream move`) to the least loaded other gateway: the command's time, the
time until the new gateway forwards the stream, and the silence at the
viewer.

    bench/fleet_failover.py [--build DIR] [--kills N] [--moves N] [--streams N] [--pps N]
"""
import argparse
import os
import sys
import time

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(top, 'tests', 'lib'))


def ms(x):
    return '-' if x is None else '%.0f' % (x * 1000)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', default=os.path.join(top, 'build'), help='the build directory (default build)')
    ap.add_argument('--kills', type=int, default=21, help='kills, srtpgw, controller and both in turn (21)')
    ap.add_argument('--moves', type=int, default=10, help='planned moves (10)')
    ap.add_argument('--streams', type=int, default=30, help='streams, one viewer each (30)')
    ap.add_argument('--pps', type=int, default=50, help='packets per second per stream (50)')
    a = ap.parse_args()
    os.environ['SRTPGW_BUILD'] = os.path.abspath(a.build)

    from sgwtest import Resources, wait_for
    from fleet_net import FleetNet
    from fleet_traffic import FleetTraffic
    from fleet_failure import add_streams, busiest, fail_and_measure, on_gateway, p50, placements

    suite = 'AES_CM_128_HMAC_SHA1_80'
    res = Resources()
    try:
        net = FleetNet(res, gateways=3, etcd_members=3, ttl=1, service_addrs=a.streams)
        c = net.ctl(0)
        c.ctl('owner', 'add', 'bench')
        streams = add_streams(net, a.streams, lambda i: 'bench', lambda i: 1, suite, 30000)
        traffic = FleetTraffic(net.hosts, streams, pps=a.pps).start()
        traffic.wait_all_flowing(30)
        print('fleet: 3 etcd members, 3 gateways, lease TTL 1 s; %d streams at %d packets/s each' % (
            a.streams, a.pps))

        kinds = {'srtpgw': [], 'srtpgw-control': [], 'both': []}
        per_kill = {k: [] for k in kinds}
        for k in range(a.kills):
            kind = list(kinds)[k % 3]
            i = busiest(net)
            fail = {'srtpgw': lambda: net.kill_gateway(i),
                    'srtpgw-control': lambda: net.kill_controller(i),
                    'both': lambda: (net.kill_controller(i), net.kill_gateway(i))}[kind]

            def restore(kind=kind, i=i):
                if kind != 'srtpgw-control':
                    net.start_gateway(i)
                if kind != 'srtpgw':
                    net.start_controller(i)
            lost, others = fail_and_measure(net, traffic, i, fail, restore)
            times = [t for t in lost.values() if t is not None]
            kinds[kind] += times
            per_kill[kind].append(max(times))
            stopped = [s for s, t in others.items() if t is None or t > 0.5]
            print('kill %2d: %-14s of %s: %2d streams moved, failover p50 %s ms, max %s ms%s' % (
                k + 1, kind, net.name(i), len(lost), ms(p50(times)), ms(max(times)),
                ', OTHER STREAMS STOPPED: %s' % stopped if stopped else ''))

        moves = []
        for m in range(a.moves):
            pl = placements(net)
            load = {net.name(i): len(on_gateway(net, i)) for i in range(net.n)}
            s = streams[m * 7 % len(streams)]
            src = pl[s.name]
            dst = min((g for g in load if g != src), key=lambda g: (load[g], g))
            j = [net.name(i) for i in range(net.n)].index(dst)
            before = net.gw(j).streams()
            t0 = time.monotonic()
            c.ctl('stream', 'move', s.name, '--to', dst)
            t_cmd = time.monotonic() - t0

            def forwarding():
                # the stream the gateway did not have before, with packets
                return any(sid not in before and f['packets'] > 0 for sid, f in net.gw(j).streams().items())
            wait_for(forwarding, 10, '%s to forward %s' % (dst, s.name), interval=0.005)
            t_fwd = time.monotonic() - t0
            traffic.wait_all_flowing(10, after=time.monotonic())
            time.sleep(0.3)
            gap = traffic.gaps(t0, time.monotonic())[s.name]
            moves.append((t_cmd, t_fwd, gap))
            print('move %2d: %s %s -> %s: command %s ms, forwarded by %s after %s ms, silence at the viewer %s ms' % (
                m + 1, s.name, src, dst, ms(t_cmd), dst, ms(t_fwd), ms(gap)))

        traffic.stop()
        print()
        print('| failure | kills | streams moved | p50 | max |')
        print('| --- | --- | --- | --- | --- |')
        for kind, times in kinds.items():
            print('| kill -9 %s | %d | %d | %s ms | %s ms |' % (kind, len(per_kill[kind]), len(times),
                                                             ms(p50(times)), ms(max(times) if times else None)))
        if moves:
            print('| stream move (command / forwarded by the new gateway / silence) | %d | | %s / %s / %s ms | %s / %s / %s ms |' % (
                len(moves), ms(p50([x[0] for x in moves])), ms(p50([x[1] for x in moves])),
                ms(p50([x[2] for x in moves if x[2] is not None])), ms(max(x[0] for x in moves)),
                ms(max(x[1] for x in moves)), ms(max((x[2] for x in moves if x[2] is not None), default=None))))
        cnt = traffic.counts
        print('viewers: %s' % ', '.join('%s %d' % kv for kv in sorted(cnt.items())))
        bad = {k: cnt[k] for k in ('misdelivered', 'undecryptable', 'index_reused', 'duplicates',
                                   'forged_delivered') if cnt[k]}
        net.close()
        if bad:
            print('FAILED: viewers got what they must not: %s' % bad)
            return 1
        return 0
    finally:
        res.cleanup()


if __name__ == '__main__':
    sys.exit(main())
