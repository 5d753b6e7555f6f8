"""srtpgw-loadgen against srtpgw over net_memif, on one host.

srtpgw is the memif server, srtpgw-loadgen (the project's DPDK load
generator, docs/loadgen.md) the client. Both are configured from one op file:
the gateway through srtpgw-agentctl apply, the load generator with --ops.
The load generator sends SRTP (plain RTP for the plain stream), answers the
gateway's ARP for the viewers, receives what the gateway sends them,
decrypts a sample with each viewer's key and counts every packet.

Also: srtpgw survives its memif peer being killed in the middle of traffic
(gateway/port_guard.c), again and again, and forwards exactly once the peer
is back.
"""
import json
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (BUILD, Gateway, Resources, b64, new_key, run, uniq,  # noqa: E402
                     wait_for)

LOADGEN = os.path.join(BUILD, 'tools', 'loadgen', 'srtpgw-loadgen')
GW4, GW6 = '10.78.0.1', 'fd78::1'
SUITE_CYCLE = ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_32',
               'AEAD_AES_256_GCM']


def description():
    """8 streams x 2 viewers, every suite in and out, one plain stream in,
    one plain viewer out, one IPv6 stream. Sources and viewers are on the
    gateway's prefix (the load generator answers ARP/ND for them)."""
    ops = []
    for s in range(8):
        sid, v6 = 300 + s, s == 5
        gw, host = ('[%s]' % GW6, lambda n: '[fd78::%x]' % n) if v6 else (GW4, lambda n: '10.78.0.%d' % n)
        key = 'plain' if s == 7 else 'suite=%s key=%s' % (
            SUITE_CYCLE[s % 4], b64(new_key(SUITE_CYCLE[s % 4])))
        ops.append('stream add %d owner=%d listen=%s:%d source=%s:%d %s'
                   % (sid, 1 + s % 3, gw, 24000 + 2 * s, host(2), 34000 + s, key))
        for v in range(2):
            vs = SUITE_CYCLE[(s + v + 1) % 4]
            vkey = 'plain' if (s, v) == (2, 1) else 'suite=%s key=%s' % (vs, b64(new_key(vs)))
            ops.append('viewer add %d stream=%d owner=%d to=%s:%d %s'
                       % (sid * 10 + v, sid, 1 + s % 3, host(100 + v), 44000 + s, vkey))
    return ops


def expected_verified(received, first):
    """How many of a viewer's received packets the load generator decrypts:
    its first `first`, then every 1024th (docs/loadgen.md)."""
    return min(received, first) + sum(1 for k in range(first + 1, received + 1) if k % 1024 == 0)


class Loadgen:
    """One srtpgw-loadgen process, memif client of gw's port."""

    def __init__(self, res, gw, ops_path, args, name):
        self.res, self.prefix = res, uniq('sgwlg')
        self.json = os.path.join(gw.dir, name + '.json')
        self.log_path = os.path.join(gw.dir, name + '.log')
        res.add(run, 'rm', '-rf', os.path.join('/var/run/dpdk', self.prefix))
        cmd = [LOADGEN, '--no-huge', '-m', '128', '--no-pci', '--file-prefix', self.prefix,
               '--lcores', '(0-1)@(0,1)', '--log-level', 'lib.eal:warning',
               '--vdev', 'net_memif0,role=client,socket=' + gw.memif_sock, '--',
               '--ops', ops_path, '--rx-queues', '2', '--json', self.json] + list(args)
        with open(self.log_path, 'w') as log:
            self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        res.add(self._kill)

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def wait(self, timeout=120):
        rc = self.proc.wait(timeout)
        return rc, self.log()

    def report(self):
        with open(self.json) as f:
            return json.load(f)


class LoadgenMemif(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.res = Resources()
        try:
            gw = Gateway(cls.res, ports=[], workers=[[('lan', 0)]])
            gw.memif_sock = os.path.join(gw.dir, 'memif.sock')
            gw.ports = [{'name': 'lan', 'device': 'net_memif0',
                         'vdev': 'net_memif0,role=server,socket=' + gw.memif_sock,
                         'addresses': [GW4 + '/24', GW6 + '/64']}]
            cls.gw = gw.start()
            cls.ops = description()
            cls.ops_path = os.path.join(gw.dir, 'streams.ops')
            with open(cls.ops_path, 'w') as f:
                f.write('# the description both programs read\n' + '\n'.join(cls.ops) + '\n')
            cls.gw.apply(cls.ops)
        except BaseException:
            cls.res.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            alive = cls.gw.proc.poll() is None
            rc = cls.gw.stop() if alive else cls.gw.proc.returncode
            assert rc == 0, 'srtpgw exit code %d:\n%s' % (rc, cls.gw.read_log())
        finally:
            cls.res.cleanup()

    def loadgen(self, name, *args):
        return Loadgen(self.res, self.gw, self.ops_path, args, name)

    def totals(self):
        """Per-stream accepted and per-viewer sent packets of the gateway."""
        st, vw = self.gw.streams(), self.gw.viewers()
        return ({k: (v['packets'], v['auth_fail'], v['replay_fail'], v['other_fail'])
                 for k, v in st.items()},
                {k: (v['packets'], v['drops']) for k, v in vw.items()})

    def assert_exact(self, rep, before, verify_first=64):
        """Every viewer got exactly its stream's packets, checked by the
        load generator and by the gateway's own counters (deltas since
        before)."""
        self.assertEqual(rep['streams'], 8)
        self.assertEqual(rep['viewers'], 16)
        sent = {s['stream']: s['sent'] for s in rep['per_stream']}
        self.assertTrue(all(n > 0 for n in sent.values()), sent)
        self.assertEqual(sum(sent.values()), rep['sent'])
        for v in rep['per_viewer']:
            self.assertEqual(v['expected'], sent[v['stream']], v)
            self.assertEqual(v['received'], v['expected'], v)
            self.assertEqual((v['decrypt_failures'], v['mismatches'], v['misdelivered']), (0, 0, 0), v)
            self.assertGreater(v['verified'], 0, v)
            self.assertEqual(v['verified'], expected_verified(v['received'], verify_first), v)
        self.assertEqual((rep['unknown'], rep['decrypt_failures'], rep['mismatches']), (0, 0, 0))
        self.assertEqual(rep['received'], rep['expected'])
        self.assertEqual(rep['expected'], 2 * rep['sent'])
        streams0, viewers0 = before

        def gateway_matches():
            streams, viewers = self.totals()
            return all(streams[s][0] - streams0.get(s, (0,))[0] == n for s, n in sent.items()) and \
                all(viewers[v['viewer']][0] - viewers0.get(v['viewer'], (0,))[0] == v['received']
                    for v in rep['per_viewer'])
        wait_for(gateway_matches, 10, 'the gateway counters to match the load generator')
        streams, viewers = self.totals()
        for s in sent:
            self.assertEqual(streams[s][1:], streams0.get(s, (0, 0, 0, 0))[1:], 'failures of %d' % s)
        for v in rep['per_viewer']:
            self.assertEqual(viewers[v['viewer']][1], viewers0.get(v['viewer'], (0, 0))[1], v)

    def test_1c_lanes(self):
        """A third viewer of each keyed stream with an egress lane, as
        srtpgw-control's viewers have (its SSRC, the gateway's sequence
        numbers; with crypto = "burst" the engine protects them): exact too."""
        lanes = []
        for line in self.ops:
            w = line.split()
            if w[:2] == ['stream', 'add'] and 'plain' not in w:
                sid = int(w[2])
                owner = next(x for x in w if x.startswith('owner='))
                to = '[fd78::%x]' % 102 if sid == 305 else '10.78.0.102'
                k = new_key('AES_CM_128_HMAC_SHA1_80')
                lanes.append('viewer add %d stream=%d %s to=%s:%d suite=AES_CM_128_HMAC_SHA1_80 key=%s '
                             'lanes=%x' % (sid * 10 + 5, sid, owner, to, 46000 + sid, b64(k),
                                           0x1a000000 + sid))
        path = os.path.join(self.gw.dir, 'lanes.ops')
        with open(path, 'w') as f:
            f.write('\n'.join(self.ops + lanes) + '\n')
        self.gw.apply(lanes)
        self.addCleanup(self.gw.apply, ['viewer del %d' % int(x.split()[2]) for x in lanes])
        lg = Loadgen(self.res, self.gw, path, ['--rate', '2000', '--warmup', '0.5', '--duration', '1',
                                               '--drain', '10', '--strict'], 'lanes')
        rc, log = lg.wait()
        self.assertEqual(rc, 0, log)
        rep = lg.report()
        by_id = {v['viewer']: v for v in rep['per_viewer']}
        for x in lanes:
            v = by_id[int(x.split()[2])]
            self.assertEqual((v['received'], v['decrypt_failures'], v['mismatches'], v['misdelivered']),
                             (v['expected'], 0, 0, 0), v)
            self.assertGreater(v['verified'], 0, v)
        self.assertEqual(rep['received'], rep['expected'])
        _, viewers = self.totals()
        for x in lanes:
            vid = int(x.split()[2])
            self.assertEqual(viewers[vid][1], 0, 'drops of viewer %d' % vid)

    def test_1_exact_counts(self):
        """Low rate, short run: the load generator and the gateway agree on
        every packet of every stream and viewer; every viewer's sample
        decrypts with its own key to what was sent."""
        before = self.totals()
        lg = self.loadgen('exact', '--rate', '2000', '--warmup', '0.5', '--duration', '2',
                          '--drain', '10', '--strict')
        rc, log = lg.wait()
        self.assertEqual(rc, 0, log)
        rep = lg.report()
        self.assertGreaterEqual(rep['sent'], 4000, rep)
        self.assertFalse(rep['exhausted'])
        self.assertGreater(rep['latency_us']['samples'], 0)
        self.assert_exact(rep, before)
        # the text report names no key
        for line in self.ops:
            if 'key=' in line:
                self.assertNotIn(line.split('key=')[1][:12], log)

    def test_1d_verify_first(self):
        """--verify-first 3: each viewer's first three packets are decrypted
        and compared, then every 1024th; everything else still exact. A
        bad value is a usage error (exit 2)."""
        before = self.totals()
        lg = self.loadgen('verify3', '--rate', '4000', '--warmup', '0.2', '--duration', '2.5',
                          '--drain', '10', '--strict', '--verify-first', '3')
        rc, log = lg.wait()
        self.assertEqual(rc, 0, log)
        rep = lg.report()
        # some viewer went past 1024 packets: the sampling after the first shows
        self.assertTrue(any(v['received'] >= 1024 for v in rep['per_viewer']), rep['per_viewer'])
        self.assert_exact(rep, before, verify_first=3)
        bad = self.loadgen('verifybad', '--verify-first', 'three')
        rc, log = bad.wait()
        self.assertEqual(rc, 2, log)
        self.assertIn('--verify-first', log)

    def test_1b_strict_notices_a_missing_viewer(self):
        """A description with one viewer more than the gateway has: that
        viewer gets nothing, --strict says so (exit 3), the others are
        exact."""
        extra = os.path.join(self.gw.dir, 'extra.ops')
        with open(extra, 'w') as f:
            f.write('\n'.join(self.ops) + '\nviewer add 3999 stream=300 owner=1 to=10.78.0.120:45000 plain\n')
        lg = Loadgen(self.res, self.gw, extra, ['--rate', '500', '--warmup', '0', '--duration', '1',
                                                '--drain', '3', '--strict', '--quiet'], 'extra')
        rc, log = lg.wait()
        self.assertEqual(rc, 3, log)
        rep = lg.report()
        by_id = {v['viewer']: v for v in rep['per_viewer']}
        self.assertEqual(by_id[3999]['received'], 0)
        self.assertGreater(by_id[3999]['expected'], 0)
        self.assertEqual(rep['received'], rep['expected'] - by_id[3999]['expected'])

    def test_2_peer_killed_mid_traffic(self):
        """SIGKILL the memif peer in the middle of traffic, five times;
        srtpgw stays up, and forwards every packet of the next run."""
        for i in range(5):
            fwd0 = self.gw.counters().get('forwarded', 0)
            lg = self.loadgen('killed%d' % i, '--rate', '0', '--duration', '60', '--warmup', '0',
                              '--max-packets', '400000', '--quiet')

            def flowing():
                if lg.proc.poll() is not None:
                    raise AssertionError('loadgen exited %d:\n%s' % (lg.proc.returncode, lg.log()))
                return self.gw.counters().get('forwarded', 0) - fwd0 >= 2000
            wait_for(flowing, 60, 'traffic through the gateway', interval=0.002)
            os.kill(lg.proc.pid, signal.SIGKILL)
            lg.proc.wait()
            self.assertIsNone(self.gw.proc.poll(), 'srtpgw died when its peer was killed (round %d):\n%s'
                              % (i, self.gw.read_log()))
        self.gw.status()  # the agent answers
        before = self.totals()
        lg = self.loadgen('after', '--rate', '2000', '--warmup', '0', '--duration', '1',
                          '--drain', '10', '--strict')
        rc, log = lg.wait()
        self.assertEqual(rc, 0, log)
        self.assert_exact(lg.report(), before)
        self.assertIsNone(self.gw.proc.poll())


if __name__ == '__main__':
    unittest.main(verbosity=2)
