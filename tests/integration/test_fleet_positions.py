"""Two gateways of a fleet (each with its own srtpgw-control, store =
"etcd", one etcd); a stream placed on gateway a (stream add --gateway a).
The stream's ingress position a's controller stores is the fleet's: the
other controller, whose gateway reports no position for the stream, must
not delete it (it did before: every sweep of the quiet gateway removed
what the busy one had stored, so a restart or a failover would have lost
the stream's ROC).

Each gateway is on a veth of its own into a namespace of its own. The
stream listens on a service address (SVC4), which only the gateway the
stream is placed on answers for: b never gets the stream at all.
"""
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (Control, Gateway, NetNS, Resources, b64, marked_payload, new_key,  # noqa: E402
                     pcap_port, recv_all, rtp, srtp_session, veth, wait_for)
from etcd_cluster import EtcdCluster  # noqa: E402

GW4, PEER4, SVC4 = '10.95.0.1', '10.95.0.2', '10.95.0.100'
SUITE = 'AES_CM_128_HMAC_SHA1_80'
PORT = 24000


class FleetPositions(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.res = Resources()
        try:
            cls.etcd = EtcdCluster(1, res=cls.res)
            kek = os.urandom(32)
            cls.sites = []
            for name in ('a', 'b'):
                ns = NetNS(cls.res)
                iface, nsif = veth(cls.res, ns, [PEER4 + '/24'])
                gw = Gateway(cls.res, ports=[pcap_port(iface, [GW4 + '/24'],
                                                       neighbours=[(PEER4, ns.mac(nsif))])],
                             workers=[[('lan', 0)]]).start()
                c = Control(cls.res, gw, [SVC4], name='control-' + name, extra_config=(
                    'position_poll = 1;\nstore = "etcd";\netcd_endpoints = [ "%s" ];\n'
                    'etcd_prefix = "/sgwt/pos/";\nfleet_gateway = "%s";\n' % (cls.etcd.client_url(0), name)))
                with open(c.kek, 'wb') as f:
                    os.fchmod(f.fileno(), 0o600)
                    f.write(kek)
                c.start()
                cls.sites.append((ns, gw, c))
        except BaseException:
            cls.res.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            for _, gw, c in cls.sites:
                assert c.stop() == 0, c.read_log()
                assert gw.stop() == 0
        finally:
            cls.res.cleanup()

    def sock(self, ns):
        s = ns.socket()
        self.addCleanup(s.close)
        s.bind((PEER4, 0))
        return s

    def test_quiet_gateway_keeps_the_busy_ones_position(self):
        (ns_a, gw_a, ca), (ns_b, gw_b, cb) = self.sites
        k_in, k_out = new_key(SUITE), new_key(SUITE)
        cam, view = self.sock(ns_a), self.sock(ns_a)
        ca.ctl('owner', 'add', 'alice')
        # both gateways hold a lease before the stream is placed on a
        wait_for(lambda: len(ca.ctl('fleet', 'status')['gateways']) == 2, 20, 'both gateways in the fleet',
                 interval=0.05)
        r = ca.ctl('stream', 'add', 'cam', '--owner', 'alice', '--listen', '%s:%d' % (SVC4, PORT), '--key', '-',
                   '--gateway', 'a', input=b64(k_in))
        self.assertEqual(r['gateway'], 'a')
        ca.ctl('viewer', 'add', 'tv', '--stream', 'cam', '--to', '%s:%d' % (PEER4, view.getsockname()[1]),
               '--key', '-', input=b64(k_out))
        # a has it, fenced with the placement's revision; b never gets it
        wait_for(lambda: len(gw_a.streams()) == 1, 20, 'gateway a to carry the stream', interval=0.05)
        token = wait_for(lambda: cb.ctl('fleet', 'status')['placements'][0].get('fence'), 20,
                         'b to see the placement', interval=0.05)
        self.assertEqual([s['fence'] for s in gw_a.streams().values()], [token])
        self.assertEqual(cb.ctl('stream', 'show', 'cam')['streams'][0]['gateway'], 'a')
        tx, rx = srtp_session(SUITE, k_in, outbound=True), srtp_session(SUITE, k_out, outbound=False)
        # 200 packets, 20 at a time (net_pcap's buffer, two gateways on two CPUs)
        for base in range(1000, 1200, 20):
            sent = [rtp(seq, ts=seq * 90, payload=marked_payload(1, seq)) for seq in range(base, base + 20)]
            for p in sent:
                cam.sendto(tx.protect(p), (SVC4, PORT))
            got = recv_all(view, len(sent))
            # the viewer's lane has its own SSRC and sequence: the payloads
            self.assertEqual([rx.unprotect(d)[12:] for d, _ in got], [p[12:] for p in sent])
        # a's sweep stores the position; the fleet has it
        pos = wait_for(lambda: ca.ctl('stream', 'show', 'cam')['streams'][0]['position'], 20, 'a position stored',
                       interval=0.1)
        self.assertEqual(pos['seq'] // 100, 1199 // 100)
        wait_for(lambda: cb.ctl('stream', 'show', 'cam')['streams'][0]['position'] == pos, 20, 'b to have it too',
                 interval=0.05)
        # two whole sweeps of b, whose gateway has nothing of the stream
        self.assertEqual(gw_b.streams(), {})
        n = cb.ctl('status')['position_sweeps']
        wait_for(lambda: cb.ctl('status')['position_sweeps'] >= n + 2, 20, 'two sweeps of b', interval=0.1)
        self.assertEqual(cb.ctl('stream', 'show', 'cam')['streams'][0]['position'], pos)
        self.assertEqual(ca.ctl('stream', 'show', 'cam')['streams'][0]['position'], pos)


if __name__ == '__main__':
    unittest.main(verbosity=2)
