"""Fencing in the data plane (docs/agent-protocol.md, "Fencing"): a stream
with a fencing token forwards only before the lease deadline LEASE sets; a
stream without one forwards whatever the deadline; a LEASE re-arms the
deadline and the fenced stream goes on with its SRTP state (no re-keying);
LEASE 0 clears it. Transactions with a stale token, or that change a fenced
stream without its token, are refused over the real agent socket (ESTALE,
the op's index, srtpgw-agentctl's exit code) and change nothing.

The fenced stream's camera crosses the 16-bit sequence wrap first, so its
ROC is 1: a context made anew after the deadline would authenticate
nothing. Its viewer keeps one pylibsrtp session throughout and has a port
of its own, whose SRTCP (the viewer's feedback) stops with the stream.
"""
import errno
import os
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import agentproto as ap  # noqa: E402
from sgwtest import (GatewayCase, assert_nothing_queued, b64, counter_deltas,  # noqa: E402
                     marked_payload, new_key, pcap_port, recv_all, rtp, srtp_session, wait_for)

GW4, PEER4 = '10.83.0.1', '10.83.0.2'
SUITE = 'AES_CM_128_HMAC_SHA1_80'
NOISE = {'drop_icmp_other', 'drop_arp_other'}
WRAP = list(range(65530, 65536))  # then 0, 1, ...


def rr(ssrc):
    """An RTCP receiver report with one block about ssrc."""
    return struct.pack('!BBHII', 0x81, 201, 7, 0xdeadbeef, ssrc) + struct.pack('!IIIII', 0, 1000, 5, 0, 0)


class Camera:
    """One SRTP sender; seq counts on across the 16-bit wrap."""

    def __init__(self, sock, sid, port):
        self.sock, self.sid, self.port = sock, sid, port
        self.seq = WRAP[0]
        self.key = new_key(SUITE)
        self.tx = srtp_session(SUITE, self.key, outbound=True)

    def line(self):
        return 'stream add %d owner=1 listen=%s:%d suite=%s key=%s' % (
            self.sid, GW4, self.port, SUITE, b64(self.key))

    def send(self, n):
        sent = []
        for _ in range(n):
            seq = self.seq & 0xffff
            self.seq += 1
            plain = rtp(seq, ts=self.seq * 3000, payload=marked_payload(self.sid, seq))
            self.sock.sendto(self.tx.protect(plain), (GW4, self.port))
            sent.append(plain)
        return sent


class Fence(GatewayCase):
    PEER_ADDRS = [PEER4 + '/24']
    PIN_GATEWAY = True  # the first packets' order is checked

    @classmethod
    def port(cls):
        return pcap_port(cls.iface, [GW4 + '/24'], neighbours=[(PEER4, cls.ns_mac)])

    @classmethod
    def ready(cls):
        st = cls.gw.status()
        cls.lease_at_start = (st['lease'], st['lease_ms'])

    # ---- helpers ----------------------------------------------------------
    def setUp(self):
        # every test leaves the gateway without a deadline
        self.addCleanup(self.gw.agentctl, 'lease', '0')

    def lease(self, ttl_ms):
        r = self.gw.agentctl('lease', str(ttl_ms))
        self.assertEqual(r.returncode, 0, r.stderr)

    def lease_state(self):
        st = self.gw.status()
        return st['lease'], st['lease_ms']

    def drops(self):
        return {k: v for k, v in self.gw.counters().items() if k.startswith('drop_') and k not in NOISE}

    def assert_receives(self, sock, rx, sent):
        got = recv_all(sock, len(sent))
        self.assertEqual([rx.unprotect(d) for d, _ in got], sent)

    def refused(self, lines):
        """srtpgw-agentctl apply that the gateway refuses: its stderr."""
        r = self.gw.agentctl('apply', input='\n'.join(lines) + '\n')
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn('(%s)' % os.strerror(errno.ESTALE), r.stderr)
        return r.stderr

    # ---- tests -------------------------------------------------------------
    def test_lease_deadline_stops_fenced_streams_only(self):
        fenced, plain = Camera(self.sock(), 1, 26000), Camera(self.sock(), 2, 26002)
        v1, v2 = self.sock(), self.sock()
        k1, k2, k_rtcp = new_key(SUITE), new_key(SUITE), new_key(SUITE)
        vport = 26100
        self.gw.apply([fenced.line(), 'stream fence 1 token=7',
                       'viewer add 11 stream=1 owner=1 to=%s:%d suite=%s key=%s port=%d rtcp-key=%s' % (
                           PEER4, v1.getsockname()[1], SUITE, b64(k1), vport, b64(k_rtcp)),
                       plain.line(),
                       'viewer add 21 stream=2 owner=1 to=%s:%d suite=%s key=%s' % (
                           PEER4, v2.getsockname()[1], SUITE, b64(k2))])
        self.addCleanup(self.gw.apply, ['stream fence 1 token=7', 'stream del 1', 'stream del 2'])
        rx1, rx2 = srtp_session(SUITE, k1, outbound=False), srtp_session(SUITE, k2, outbound=False)
        v1_tx = srtp_session(SUITE, k_rtcp, outbound=True)
        st = self.gw.streams()
        self.assertEqual((st[1]['fence'], st[2]['fence']), (7, 0))
        # a gateway starts with its deadline passed: a fenced stream waits
        # for its controller's first LEASE
        self.assertEqual(self.lease_at_start, ('expired', 0))
        self.lease(0)
        self.assertEqual(self.lease_state(), ('none', 0))

        # no deadline: both forward; the fenced stream's ROC goes to 1
        sent = fenced.send(len(WRAP) + 10)
        self.assert_receives(v1, rx1, sent)
        self.assert_receives(v2, rx2, plain.send(5))
        n1 = len(sent)
        # a deadline ahead: the fenced stream forwards, its viewer's RTCP is read
        self.lease(60000)
        state, left = self.lease_state()
        self.assertEqual(state, 'armed')
        self.assertTrue(0 < left <= 60000, left)
        self.assert_receives(v1, rx1, fenced.send(5))
        n1 += 5
        v1.sendto(v1_tx.protect_rtcp(rr(0x11223344)), (GW4, vport))
        wait_for(lambda: self.gw.viewers()[11]['rtcp_in'] == 1, what="the viewer's report read")

        # the deadline passes: the fenced stream's packets, and its viewer's
        # RTCP, are dropped before any crypto; the other stream forwards
        self.lease(200)
        wait_for(lambda: self.lease_state() == ('expired', 0), what='the lease deadline to pass')
        before, fwd0 = self.drops(), self.gw.counters()['forwarded']
        fenced.send(10)
        v1.sendto(v1_tx.protect_rtcp(rr(0x11223344)), (GW4, vport))
        self.assert_receives(v2, rx2, plain.send(10))
        wait_for(lambda: counter_deltas(before, self.drops()).get('drop_lease_expired') == 11,
                 what='11 packets dropped after the deadline')
        self.assertEqual(counter_deltas(before, self.drops()), {'drop_lease_expired': 11})
        self.assertEqual(self.gw.counters()['forwarded'] - fwd0, 10)
        assert_nothing_queued(v1)
        st = self.gw.streams()[1]
        self.assertEqual((st['packets'], st['auth_fail'], st['replay_fail'], st['other_fail']),
                         (n1, 0, 0, 0))
        self.assertEqual(self.gw.viewers()[11]['rtcp_in'], 1)

        # LEASE again: re-armed, the fenced stream goes on where it was
        # (ROC 1, its replay window, the viewer's session: no re-keying)
        self.lease(60000)
        self.assertEqual(self.lease_state()[0], 'armed')
        self.assert_receives(v1, rx1, fenced.send(5))
        n1 += 5
        st = self.gw.streams()[1]
        self.assertEqual((st['packets'], st['auth_fail'], st['replay_fail'], st['other_fail']),
                         (n1, 0, 0, 0))
        self.assertEqual(st['position']['roc'], 1)
        self.assertEqual(st['fence'], 7)

        # LEASE 0 clears a deadline that passed: the fenced stream forwards
        self.lease(100)
        wait_for(lambda: self.lease_state() == ('expired', 0), what='the lease deadline to pass')
        before = self.drops()
        fenced.send(3)
        wait_for(lambda: counter_deltas(before, self.drops()).get('drop_lease_expired') == 3,
                 what='3 packets dropped after the deadline')
        self.lease(0)
        self.assertEqual(self.lease_state(), ('none', 0))
        self.assert_receives(v1, rx1, fenced.send(4))
        self.assertEqual(counter_deltas(before, self.drops()), {'drop_lease_expired': 3})
        wait_for(lambda: self.gw.streams()[1]['packets'] == n1 + 4, what='stream 1 packets')
        self.assertEqual(self.gw.streams()[1]['auth_fail'], 0)

    def test_stale_and_missing_tokens_refused(self):
        cam = Camera(self.sock(), 3, 26004)
        view = self.sock()
        self.gw.apply([cam.line(), 'stream fence 3 token=10',
                       'viewer add 31 stream=3 owner=1 to=%s:%d suite=%s key=%s' % (
                           PEER4, view.getsockname()[1], SUITE, b64(new_key(SUITE)))])
        self.addCleanup(self.gw.apply, ['stream fence 3 token=99', 'stream del 3'])
        version = self.gw.status()['version']

        # srtpgw-agentctl: exit 1, the gateway's reason
        err = self.refused(['stream fence 3 token=9', 'stream source 3 source=any'])
        self.assertIn('op 0 (stream_fence): stale fencing token 9: stream 3 has token 10', err)
        err = self.refused(['viewer add 32 stream=3 owner=1 to=%s:7000 plain' % PEER4, 'viewer del 31'])
        self.assertIn('op 0 (viewer_add): stream 3 is fenced (token 10)', err)
        self.assertIn('fenced stream changed without its token', err)
        # the protocol: errno and op index
        c = ap.AgentClient(self.gw.sock)
        self.addCleanup(c.close)
        for ops, code, index in (([ap.grant_add(3, 5), ap.stream_fence(3, 9)], errno.ESTALE, 1),
                                 ([ap.stream_del(3)], errno.ESTALE, 0),
                                 ([ap.viewer_del(31)], errno.ESTALE, 0),
                                 ([ap.stream_fence(3, 0)], errno.EINVAL, 0)):
            with self.assertRaises(ap.AgentError) as cm:
                c.transaction(ops)
            self.assertEqual((cm.exception.code, cm.exception.op_index), (code, index), cm.exception.msg)
        # nothing of it applied
        self.assertEqual(self.gw.status()['version'], version)
        self.assertEqual(c.flow_stats()[3]['fence'], 10)
        self.assertEqual(set(self.gw.viewers()), {31})

        # the same token, and a higher one, are taken
        self.gw.apply(['stream fence 3 token=10', 'viewer del 31'])
        self.gw.apply(['stream fence 3 token=11'])
        self.assertEqual(self.gw.streams()[3]['fence'], 11)
        self.assertEqual(self.gw.status()['version'], version + 2)

        # a bad LEASE changes nothing
        for ttl, pad in ((0xffffffff, 0), (10, 1)):
            with self.assertRaises(ap.AgentError) as cm:
                c.lease(ttl, pad)
            self.assertEqual(cm.exception.code, errno.EINVAL)
        self.assertEqual(self.lease_state(), ('none', 0))
        r = self.gw.agentctl('lease', '-5')
        self.assertEqual(r.returncode, 1)
        self.assertIn('TTL_MS must be', r.stderr)


if __name__ == '__main__':
    unittest.main()
