"""The load kit's pcap (scripts/pktgen/gen_pcap.py) is accepted by srtpgw,
and a second pass of it is dropped as replays (docs/load-testing.md).

The generator writes the pcap, the srtpgw configuration and the ops. The
real srtpgw runs with that configuration on a net_pcap port over a veth;
the ops are applied with srtpgw-agentctl; then the pcap's frames are sent
from the namespace's end of the veth (a raw socket: the pcap as it is on
the wire). Every viewer is a UDP socket in the namespace: it must receive
each packet of its stream exactly once, decrypting with its own key
(pylibsrtp) to the RTP the pcap carries. The second pass: every SRTP
packet dropped as a replay, the plain RTP streams forwarded again.
"""
import base64
import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'lib'))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'scripts', 'pktgen'))
import frames  # noqa: E402
from sgwtest import (Gateway, NetNS, Resources, assert_nothing_queued, counter_deltas,  # noqa: E402
                     pcap_port, recv_all, run, veth, wait_for)

GEN = os.path.join(HERE, '..', '..', 'scripts', 'pktgen', 'gen_pcap.py')
GW4, PEER4, PEER4B = '10.79.0.1', '10.79.0.2', '10.79.0.3'
N, P, V = 20, 30, 2
IN_SUITES = 'AES_CM_128_HMAC_SHA1_80,AES_CM_128_HMAC_SHA1_32,AEAD_AES_128_GCM,AEAD_AES_256_GCM,plain'
OUT_SUITES = 'AEAD_AES_128_GCM,AES_CM_128_HMAC_SHA1_80,plain,AEAD_AES_256_GCM,AES_CM_128_HMAC_SHA1_32'
CHUNK = 100  # frames sent before waiting for the gateway to have received them


def generate(out, *args):
    """Run the generator as a user would (its own #! line)."""
    return subprocess.run([GEN, '-o', out] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def parse_ops(path):
    """{stream id: {...}}, {viewer id: {...}} from the generated ops."""
    streams, viewers = {}, {}
    with open(path) as f:
        for line in f:
            t = line.split()
            if not t or t[0].startswith('#'):
                continue
            kv = dict(x.split('=', 1) for x in t[3:] if '=' in x)
            plain = 'plain' in t[3:]
            rec = {'suite': 'plain' if plain else kv['suite'],
                   'key': None if plain else base64.b64decode(kv['key']), 'owner': int(kv['owner'])}
            if t[:2] == ['stream', 'add']:
                rec['listen'] = int(kv['listen'].rsplit(':', 1)[1])
                streams[int(t[2])] = rec
            elif t[:2] == ['viewer', 'add']:
                ip, port = kv['to'].rsplit(':', 1)
                rec.update(stream=int(kv['stream']), to=(ip, int(port)))
                viewers[int(t[2])] = rec
            else:
                raise AssertionError('unexpected op %s %s' % tuple(t[:2]))
    return streams, viewers


class GeneratedGateway(Gateway):
    """A Gateway that runs with the generator's configuration file."""
    conf_path = None

    def config_text(self):
        with open(self.conf_path) as f:
            return f.read()


class PktgenPcap(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.res = Resources()
        try:
            cls._setup()
        except BaseException:
            cls.res.cleanup()
            raise

    @classmethod
    def _setup(cls):
        res = cls.res
        cls.ns = NetNS(res)
        cls.iface, cls.nsif = veth(res, cls.ns, [PEER4 + '/24', PEER4B + '/24'])
        # IPv4 only: no IPv6 chatter in the gateway's exact counters
        cls.ns.run('sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % cls.nsif)
        cls.ns_mac = cls.ns.mac(cls.nsif)
        cls.out = tempfile.mkdtemp(prefix='srtpgw-pktgen-')
        res.add(run, 'rm', '-rf', cls.out)
        cls.gw = GeneratedGateway(res, ports=[pcap_port(cls.iface, [GW4 + '/24'])],
                                  workers=[[('load', 0)]])
        seed = str(int.from_bytes(os.urandom(4), 'big'))
        cls.gen_args = ['--streams', str(N), '--packets', str(P), '--viewers', str(V), '--payload', '200',
                        '--suite', IN_SUITES, '--viewer-suite', OUT_SUITES, '--owners', '3',
                        '--gw-ip', GW4 + '/24', '--gw-port', '21000',
                        '--src-mac', cls.ns_mac, '--src-ip', PEER4, '--src-port', '41000',
                        '--viewer-ip', PEER4, '--viewer-ip', PEER4B, '--viewer-port', '51000',
                        '--viewer-mac', cls.ns_mac, '--device', 'net_pcap0',
                        '--agent-socket', cls.gw.sock, '--seed', seed]
        # The configuration does not depend on the gateway's MAC, the pcap
        # does: generate, start the gateway, learn its MAC by ARP, and
        # generate again from the same seed.
        first = os.path.join(cls.out, 'first')
        r = generate(first, '--gw-mac', '02:00:00:00:00:01', *cls.gen_args)
        assert r.returncode == 0, r.stderr
        cls.gw.conf_path = os.path.join(first, 'srtpgw.conf')
        cls.gw.start()
        cls.ns.run('ping', '-c', '1', '-W', '5', GW4)
        neigh = json.loads(cls.ns.run('ip', '-j', 'neigh', 'show', GW4, 'dev', cls.nsif).stdout)
        cls.gw_mac = neigh[0]['lladdr']
        cls.dir = os.path.join(cls.out, 'run')
        cls.gen = generate(cls.dir, '--gw-mac', cls.gw_mac, *cls.gen_args)
        assert cls.gen.returncode == 0, cls.gen.stderr
        for name in ('srtpgw.conf', 'flows.ops'):
            with open(os.path.join(first, name)) as a, open(os.path.join(cls.dir, name)) as b:
                assert a.read() == b.read(), name + ' differs between two runs with one seed'

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.gw.proc is not None:
                rc = cls.gw.stop()
                assert rc == 0, 'srtpgw exit code %d' % rc
        finally:
            cls.res.cleanup()

    # ---- helpers ------------------------------------------------------------
    def viewer_sockets(self):
        socks = {}
        for vid, v in self.viewers.items():
            s = self.ns.socket()
            self.addCleanup(s.close)
            s.bind(v['to'])
            socks[vid] = s
        return socks

    def expected_rtp(self):
        """{stream id: [RTP]}: the pcap's packets, decrypted with the
        stream's key, in order. Checks what the generator promises:
        consecutive sequence numbers, advancing timestamps, round robin."""
        by_port = {s['listen']: sid for sid, s in self.streams.items()}
        rx = {sid: frames.srtp_session(s['suite'], s['key'], outbound=False)
              for sid, s in self.streams.items() if s['suite'] != 'plain'}
        out = {sid: [] for sid in self.streams}
        order = []
        for f in self.pcap:
            self.assertEqual(f[:6], bytes.fromhex(self.gw_mac.replace(':', '')))
            sid = by_port[int.from_bytes(f[36:38], 'big')]
            data = f[42:]
            out[sid].append(rx[sid].unprotect(data) if sid in rx else data)
            order.append(sid)
        self.assertEqual(order, sorted(self.streams) * P, 'round robin')
        for sid, pkts in out.items():
            seq0 = int.from_bytes(pkts[0][2:4], 'big')
            self.assertEqual([int.from_bytes(p[2:4], 'big') for p in pkts],
                             [(seq0 + i) & 0xffff for i in range(P)])
            ts = [int.from_bytes(p[4:8], 'big') for p in pkts]
            self.assertTrue(all((b - a) & 0xffffffff == 3000 for a, b in zip(ts, ts[1:])))
            self.assertTrue(all(p[12:16] == frames.MARK for p in pkts))
        return out

    def replay(self):
        """Send the pcap's frames from the namespace, CHUNK at a time, each
        chunk once the gateway has received the previous one."""
        with self.ns.inside():
            raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.addCleanup(raw.close)
        raw.bind((self.nsif, 0))
        rx0 = self.gw.counters().get('rx', 0)
        for i in range(0, len(self.pcap), CHUNK):
            for f in self.pcap[i:i + CHUNK]:
                raw.send(f)
            sent = min(i + CHUNK, len(self.pcap))
            wait_for(lambda: self.gw.counters().get('rx', 0) - rx0 >= sent, 20,
                     'the gateway to receive %d frames' % sent)

    def receive(self, socks, vids, expected):
        """Each viewer in vids receives its stream's packets once, in order,
        from the stream's listen address; nothing more."""
        for vid in vids:
            v = self.viewers[vid]
            got = recv_all(socks[vid], P)
            rx = None if v['suite'] == 'plain' else frames.srtp_session(v['suite'], v['key'], outbound=False)
            plain = [d if rx is None else rx.unprotect(d) for d, _ in got]
            self.assertEqual(plain, expected[v['stream']], 'viewer %d' % vid)
            listen = self.streams[v['stream']]['listen']
            self.assertTrue(all(a == (GW4, listen) for _, a in got))
        for s in socks.values():
            assert_nothing_queued(s)

    def wait_counters(self, before, names, total):
        """Until the counters names have grown by total together."""
        def done():
            d = counter_deltas(before, self.gw.counters())
            return sum(d.get(k, 0) for k in names) >= total
        wait_for(done, 20, '%s to grow by %d' % ('+'.join(names), total))

    # ---- the test -------------------------------------------------------------
    def test_pcap_forwarded_once_then_replays_dropped(self):
        self.streams, self.viewers = parse_ops(os.path.join(self.dir, 'flows.ops'))
        self.pcap = frames.read_pcap(os.path.join(self.dir, 'flows.pcap'))
        self.assertEqual((len(self.streams), len(self.viewers), len(self.pcap)), (N, N * V, N * P))
        srtp_sids = [sid for sid, s in self.streams.items() if s['suite'] != 'plain']
        plain_sids = [sid for sid in self.streams if sid not in srtp_sids]
        self.assertEqual(len(plain_sids), N // 5)
        self.assertEqual({s['suite'] for s in self.streams.values()}, set(IN_SUITES.split(',')))
        self.assertEqual({v['suite'] for v in self.viewers.values()}, set(OUT_SUITES.split(',')))
        self.assertEqual({v['to'][0] for v in self.viewers.values()}, {PEER4, PEER4B})
        expected = self.expected_rtp()
        socks = self.viewer_sockets()

        with open(os.path.join(self.dir, 'flows.ops')) as f:
            r = self.gw.agentctl('apply', input=f.read())
        self.assertEqual(r.returncode, 0, r.stderr)
        st = self.gw.status()
        self.assertEqual((st['streams'], st['viewers']), (N, N * V))

        # first pass: every packet to every viewer, exactly once
        c0 = self.gw.counters()
        self.replay()
        self.wait_counters(c0, ['forwarded'], N * P)
        self.receive(socks, self.viewers, expected)
        got = counter_deltas(c0, self.gw.counters())
        self.assertEqual(got, {'rx': N * P, 'forwarded': N * P, 'tx': N * P * V})
        st = self.gw.streams()
        for sid in self.streams:
            self.assertEqual((st[sid]['packets'], st[sid]['auth_fail'], st[sid]['replay_fail']), (P, 0, 0))
            self.assertEqual(st[sid]['bytes'], sum(len(p) for p in expected[sid]))
        vst = self.gw.viewers()
        for vid in self.viewers:
            self.assertEqual((vst[vid]['packets'], vst[vid]['drops']), (P, 0))

        # second pass: SRTP dropped as replays; plain RTP forwarded again,
        # but only to plain viewers: under a viewer's key, the repeated
        # packets would reuse indices (invariant 8)
        c1 = self.gw.counters()
        self.replay()
        n_srtp, n_plain = len(srtp_sids) * P, len(plain_sids) * P
        again = [vid for vid, v in self.viewers.items() if v['stream'] in plain_sids and v['suite'] == 'plain']
        refused = [vid for vid, v in self.viewers.items()
                   if v['stream'] in plain_sids and v['suite'] != 'plain']
        self.assertTrue(refused)
        self.wait_counters(c1, ['forwarded', 'drop_srtp_replay'], N * P)
        self.wait_counters(c1, ['tx', 'drop_srtp_index_used'], n_plain * V)
        self.receive(socks, again, expected)
        got = counter_deltas(c1, self.gw.counters())
        want = {'rx': N * P, 'forwarded': n_plain, 'drop_srtp_replay': n_srtp,
                'tx': len(again) * P, 'drop_srtp_index_used': len(refused) * P}
        self.assertEqual(got, {k: v for k, v in want.items() if v})
        st = self.gw.streams()
        for sid in srtp_sids:
            self.assertEqual((st[sid]['packets'], st[sid]['auth_fail'], st[sid]['replay_fail']), (P, 0, P))
        for sid in plain_sids:
            self.assertEqual((st[sid]['packets'], st[sid]['replay_fail']), (2 * P, 0))
        vst = self.gw.viewers()
        for vid, v in self.viewers.items():
            self.assertEqual(vst[vid]['packets'], 2 * P if vid in again else P)
            self.assertEqual(vst[vid]['drops'], P if vid in refused else 0)


class Generator(unittest.TestCase):
    """The generator's own promises: keys only in the ops file (0600), fresh
    keys without --seed, one clear line and a non-zero exit on bad input."""

    def setUp(self):
        self.out = tempfile.mkdtemp(prefix='srtpgw-gen-')
        self.addCleanup(run, 'rm', '-rf', self.out)

    def test_keys_private_and_fresh(self):
        outs = []
        for name in ('a', 'b'):
            r = generate(os.path.join(self.out, name), '--streams', '3', '--packets', '2',
                         '--viewers', '2', '--suite', 'AEAD_AES_256_GCM')
            self.assertEqual(r.returncode, 0, r.stderr)
            ops = os.path.join(self.out, name, 'flows.ops')
            self.assertEqual(stat.S_IMODE(os.stat(ops).st_mode), 0o600)
            with open(ops) as f:
                keys = [t.split('=', 1)[1] for t in f.read().split() if t.startswith('key=')]
            self.assertEqual(len(keys), 3 + 3 * 2)
            self.assertEqual(len(set(keys)), len(keys), 'every stream and viewer has its own key')
            for name2 in os.listdir(os.path.join(self.out, name)):
                if name2 != 'flows.ops':
                    with open(os.path.join(self.out, name, name2), 'rb') as f:
                        text = f.read()
                    self.assertFalse(any(k.encode() in text for k in keys), name2)
            self.assertFalse(any(k in r.stdout + r.stderr for k in keys))
            outs.append(set(keys))
        self.assertFalse(outs[0] & outs[1], 'os.urandom keys differ run to run')

    def test_bad_input(self):
        for args in (['--suite', 'AES_CM_256'], ['--streams', '0'], ['--device', 'net_pcap0'],
                     ['--loops', '2'], ['--viewer-ip', '192.0.2.1'], ['--gw-mac', '01:00:5e:00:00:01']):
            r = generate(os.path.join(self.out, 'bad'), *args)
            self.assertEqual(r.returncode, 2, args)
            self.assertEqual(r.stdout, '')
            self.assertIn('gen_pcap.py: error: ', r.stderr.splitlines()[-1], args)
            self.assertNotIn('Traceback', r.stderr)
            self.assertFalse(os.path.exists(os.path.join(self.out, 'bad')), args)


if __name__ == '__main__':
    unittest.main(verbosity=2)
