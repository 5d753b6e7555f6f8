#!/usr/bin/env python3
"""Changes per second through srtpgw-control, on SQLite and on etcd, side
by side in one run (docs/fleet.md, "Figures"). A benchmark, not a test: it
prints figures and ratios and fails only if something does not work.

Each round adds and deletes streams (one change each: a key generated and
sealed, rows written, for etcd one transaction conditioned on the fleet's
head) over one control connection, as fast as the daemon answers, with no
gateway (every change is committed and left pending, as while a gateway is
away: the push is the same on both stores). Then two controllers of one
fleet change the same owner at once: the changes both get done, and the
races they lost and ran again.

    bench/fleet_changes.py [--build DIR] [--changes N] [--members 1|3]
"""
import argparse
import json
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
import types

top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(top, 'tests', 'lib'))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else 0.0


class Conn:
    """One connection to a daemon's control socket."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.f = self.s.makefile('rwb')

    def call(self, cmd, **args):
        self.f.write((json.dumps({'v': 1, 'cmd': cmd, 'args': args}) + '\n').encode())
        self.f.flush()
        r = json.loads(self.f.readline())
        return r

    def close(self):
        self.f.close()
        self.s.close()


def run_changes(path, tag, n):
    """n changes (stream add, then delete, alternating): per-change latency."""
    c = Conn(path)
    lat = []
    refused = 0
    try:
        r = c.call('owner.add', name='o' + tag)
        assert r.get('ok'), r
        t_all = time.monotonic()
        for i in range(n // 2):
            for cmd, args in (('stream.add', {'name': '%s-%d' % (tag, i), 'owner': 'o' + tag}),
                              ('stream.del', {'name': '%s-%d' % (tag, i)})):
                t0 = time.monotonic()
                r = c.call(cmd, **args)
                lat.append(time.monotonic() - t0)
                if not r.get('ok'):
                    if r.get('code') != 'EAGAIN':
                        raise RuntimeError('%s: %s' % (cmd, r))
                    refused += 1
                    break  # not added: nothing to delete
        elapsed = time.monotonic() - t_all
    finally:
        c.close()
    return {'changes': len(lat), 'per_s': len(lat) / elapsed, 'p50_ms': pct(lat, 50) * 1e3,
            'p99_ms': pct(lat, 99) * 1e3, 'refused': refused}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--build', default=os.environ.get('SRTPGW_BUILD', os.path.join(top, 'build')))
    ap.add_argument('--changes', type=int, default=400, help='changes per run (default 400)')
    ap.add_argument('--members', type=int, default=1, choices=(1, 3), help='etcd members (default 1)')
    a = ap.parse_args()
    os.environ['SRTPGW_BUILD'] = a.build
    from sgwtest import Control, Resources  # noqa: E402 (after SRTPGW_BUILD)
    from etcd_cluster import EtcdCluster  # noqa: E402

    res = Resources()
    tmp = tempfile.mkdtemp(prefix='sgw-fleet-bench-')
    res.add(shutil.rmtree, tmp, ignore_errors=True)
    try:
        etcd = EtcdCluster(a.members, res=res)
        kek = os.urandom(32)

        def control(name, fleet):
            gw = types.SimpleNamespace(dir=os.path.join(tmp, name), sock=os.path.join(tmp, 'none.sock'))
            extra = ('store = "etcd";\netcd_endpoints = [ %s ];\netcd_prefix = "/bench/";\n'
                     'fleet_gateway = "%s";\n' % (', '.join('"%s"' % u for u in etcd.endpoints().split(',')),
                                                  name)) if fleet else ''
            c = Control(res, gw, ['10.99.0.1'], name=name, extra_config=extra)
            with open(c.kek, 'wb') as f:
                os.fchmod(f.fileno(), 0o600)
                f.write(kek)
            return c.start()

        solo = control('solo', False)
        fa, fb = control('fa', True), control('fb', True)
        print('srtpgw-control changes (stream add/delete, no gateway), %d per run, etcd %d member%s' % (
            a.changes, a.members, 's' if a.members > 1 else ''))
        print('%-34s %10s %9s %9s' % ('', 'changes/s', 'p50 ms', 'p99 ms'))
        rs = run_changes(solo.sock, 's', a.changes)
        print('%-34s %10.0f %9.2f %9.2f' % ('sqlite', rs['per_s'], rs['p50_ms'], rs['p99_ms']))
        re_ = run_changes(fa.sock, 'e', a.changes)
        print('%-34s %10.0f %9.2f %9.2f' % ('etcd, one controller', re_['per_s'], re_['p50_ms'], re_['p99_ms']))
        out = {}

        def racer(c, tag):
            out[tag] = run_changes(c.sock, tag, a.changes)

        th = [threading.Thread(target=racer, args=(fa, 'ra')), threading.Thread(target=racer, args=(fb, 'rb'))]
        for t in th:
            t.start()
        for t in th:
            t.join()
        both = out['ra']['per_s'] + out['rb']['per_s']
        conflicts = (Conn(fa.sock).call('status')['result']['fleet']['conflicts'] +
                     Conn(fb.sock).call('status')['result']['fleet']['conflicts'])
        print('%-34s %10.0f %9.2f %9.2f' % ('etcd, two controllers at once', both,
                                           max(out['ra']['p50_ms'], out['rb']['p50_ms']),
                                           max(out['ra']['p99_ms'], out['rb']['p99_ms'])))
        print('ratio etcd/sqlite (one controller): %.2f; two controllers: races lost and run again %d, '
              'refused after 9 losses (EAGAIN) %d' % (re_['per_s'] / rs['per_s'], conflicts,
                                                    out['ra']['refused'] + out['rb']['refused']))
        for c in (solo, fa, fb):
            c.stop()
    finally:
        res.cleanup()


if __name__ == '__main__':
    main()
