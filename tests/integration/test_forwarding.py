"""srtpgw forwards SRTP to each viewer with the viewer's own key.

The real srtpgw on a net_pcap port (a veth whose other end is in a
namespace); SRTP made and checked by pylibsrtp.
"""
import os
import socket
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (GatewayCase, SUITES, b64, counter_deltas, marked_payload, new_key,  # noqa: E402
                     pcap_port, recv_all, rtp, srtp_session)

GW4, PEER4 = '10.77.0.1', '10.77.0.2'
GW6, PEER6 = 'fd77::1', 'fd77::2'


class Forwarding(GatewayCase):
    PEER_ADDRS = [PEER4 + '/24', PEER6 + '/64']
    next_port = 20000

    @classmethod
    def port(cls):
        return pcap_port(cls.iface, [GW4 + '/24', GW6 + '/64'])

    def listen_port(self):
        Forwarding.next_port += 2
        return Forwarding.next_port

    def test_all_suites_two_viewers_each_own_key(self):
        """Every ingress suite, two viewers with their own (different) suite:
        each decrypts exactly the packets the camera sent."""
        sid = 100
        for in_suite in SUITES:
            sid += 1
            out_suites = [s for s in SUITES if s != in_suite][:2]
            k_in = new_key(in_suite)
            listen = self.listen_port()
            viewers = []
            ops = ['stream add %d owner=1 listen=%s:%d suite=%s key=%s' % (sid, GW4, listen, in_suite, b64(k_in))]
            for i, vs in enumerate(out_suites):
                k = new_key(vs)
                sock = self.ns.socket()
                sock.bind((PEER4, 0))
                vid = sid * 10 + i
                ops.append('viewer add %d stream=%d owner=1 to=%s:%d suite=%s key=%s' %
                           (vid, sid, PEER4, sock.getsockname()[1], vs, b64(k)))
                viewers.append((vid, sock, srtp_session(vs, k, outbound=False)))
            self.gw.apply(ops)

            cam = self.ns.socket()
            cam.bind((PEER4, 0))
            tx = srtp_session(in_suite, k_in, outbound=True)
            sent = [rtp(seq, ts=seq * 3000, payload=marked_payload(sid, seq)) for seq in range(40000, 40020)]
            for p in sent:
                cam.sendto(tx.protect(p), (GW4, listen))
            for vid, sock, rx in viewers:
                got = recv_all(sock, len(sent))
                self.assertEqual([rx.unprotect(d) for d, _ in got], sent, in_suite)
                self.assertTrue(all(a == (GW4, listen) for _, a in got), 'source is the listen address')
            st = self.gw.streams()[sid]
            self.assertEqual((st['packets'], st['auth_fail'], st['replay_fail']), (len(sent), 0, 0))
            self.assertEqual(st['bytes'], sum(len(p) for p in sent))
            vst = self.gw.viewers()
            for vid, _, _ in viewers:
                self.assertEqual((vst[vid]['packets'], vst[vid]['drops']), (len(sent), 0))

    def test_plain_in_plain_out_and_ipv6(self):
        """Plain RTP in, to an IPv6 viewer in plain and an IPv4 viewer in SRTP."""
        listen = self.listen_port()
        k = new_key('AES_CM_128_HMAC_SHA1_80')
        v6 = self.ns.socket(socket.AF_INET6)
        v6.bind((PEER6, 0))
        v4 = self.ns.socket()
        v4.bind((PEER4, 0))
        self.gw.apply([
            'stream add 200 owner=2 listen=[%s]:%d plain' % (GW6, listen),
            'viewer add 2001 stream=200 owner=2 to=[%s]:%d plain' % (PEER6, v6.getsockname()[1]),
            'viewer add 2002 stream=200 owner=2 to=%s:%d suite=AES_CM_128_HMAC_SHA1_80 key=%s' %
            (PEER4, v4.getsockname()[1], b64(k)),
        ])
        cam = self.ns.socket(socket.AF_INET6)
        cam.bind((PEER6, 0))
        sent = [rtp(seq, payload=marked_payload(200, seq)) for seq in range(10)]
        for p in sent:
            cam.sendto(p, (GW6, listen))
        got6 = recv_all(v6, len(sent))
        self.assertEqual([d for d, _ in got6], sent)
        self.assertEqual(got6[0][1][:2], (GW6, listen))
        rx = srtp_session('AES_CM_128_HMAC_SHA1_80', k, outbound=False)
        self.assertEqual([rx.unprotect(d) for d, _ in recv_all(v4, len(sent))], sent)

    def test_busy_time_counts_passes_with_packets(self):
        """busy_polls and busy_us (docs/counters.md) grow with the passes
        that got packets: at least one for 10 packets, at most one a packet."""
        listen = self.listen_port()
        v = self.ns.socket()
        v.bind((PEER4, 0))
        self.gw.apply(['stream add 300 owner=3 listen=%s:%d plain' % (GW4, listen),
                       'viewer add 3001 stream=300 owner=3 to=%s:%d plain' % (PEER4, v.getsockname()[1])])
        c0 = self.gw.counters()
        cam = self.ns.socket()
        cam.bind((PEER4, 0))
        sent = [rtp(seq, payload=marked_payload(300, seq)) for seq in range(10)]
        for p in sent:
            cam.sendto(p, (GW4, listen))
        self.assertEqual([d for d, _ in recv_all(v, len(sent))], sent)
        d = counter_deltas(c0, self.gw.counters(), load=True)
        self.assertGreaterEqual(d.get('rx', 0), len(sent))
        self.assertGreaterEqual(d.get('busy_polls', 0), 1)
        self.assertLessEqual(d['busy_polls'], d['rx'] + d.get('handoff_in', 0))
        self.assertGreater(d.get('busy_us', 0), 0)


if __name__ == '__main__':
    unittest.main(verbosity=2)
