"""DESIGN invariant 5: adding or removing a viewer, or restating the whole
state (REPLACE_ALL), does not reset a stream's ROC and replay window nor
the other viewers' egress state; a rekey creates new contexts on purpose
(with an overlap for the stream's old key when asked).

Each stream's camera crosses the 16-bit sequence wrap first, so its ROC is
1: a context re-created by mistake would compute the packet index with
ROC 0 and fail authentication. Viewers keep their pylibsrtp session across
the changes, so a re-created egress context fails there too.
"""
import os
import sys
import unittest

import pylibsrtp

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (AgentError, GatewayCase, assert_nothing_queued, b64,  # noqa: E402
                     counter_deltas, marked_payload, new_key, pcap_port, recv_all, rtp,
                     srtp_session, wait_for)

GW4, PEER4 = '10.81.0.1', '10.81.0.2'
NOISE = {'drop_icmp_other', 'drop_arp_other'}
WRAP = list(range(65530, 65536))  # then 0, 1, ...


class Camera:
    """One SRTP sender; seq counts on across the 16-bit wrap."""

    def __init__(self, sock, sid, port, suite, key=None):
        self.sock, self.sid, self.port = sock, sid, port
        self.seq = WRAP[0]
        self.rekey(suite, key or new_key(suite))

    def rekey(self, suite, key):
        self.suite, self.key = suite, key
        self.tx = srtp_session(suite, key, outbound=True)

    def packet(self, tx=None):
        seq = self.seq & 0xffff
        self.seq += 1
        plain = rtp(seq, ts=self.seq * 3000, payload=marked_payload(self.sid, seq))
        return plain, (tx or self.tx).protect(plain)

    def send(self, n, tx=None):
        sent = []
        for _ in range(n):
            plain, srtp = self.packet(tx)
            self.sock.sendto(srtp, (GW4, self.port))
            sent.append(plain)
        return sent


class Viewer:
    def __init__(self, test, vid, sid, suite, owner=1):
        self.id, self.sid, self.owner = vid, sid, owner
        self.sock = test.sock()
        self.rekey(suite)

    def rekey(self, suite, key=None):
        self.suite, self.key = suite, key or new_key(suite)
        self.rx = srtp_session(suite, self.key, outbound=False)

    def line(self):
        return 'viewer add %d stream=%d owner=%d to=%s:%d suite=%s key=%s' % (
            self.id, self.sid, self.owner, PEER4, self.sock.getsockname()[1], self.suite, b64(self.key))


class StateSurvives(GatewayCase):
    PEER_ADDRS = [PEER4 + '/24']
    PIN_GATEWAY = True  # the first packets' order is checked

    @classmethod
    def port(cls):
        return pcap_port(cls.iface, [GW4 + '/24'], neighbours=[(PEER4, cls.ns_mac)])

    # ---- helpers ----------------------------------------------------------
    def camera(self, sid, port, suite='AES_CM_128_HMAC_SHA1_80'):
        return Camera(self.sock(), sid, port, suite)

    def stream_line(self, cam, owner=1):
        return 'stream add %d owner=%d listen=%s:%d suite=%s key=%s' % (
            cam.sid, owner, GW4, cam.port, cam.suite, b64(cam.key))

    def assert_receives(self, viewer, sent):
        got = recv_all(viewer.sock, len(sent))
        self.assertEqual([viewer.rx.unprotect(d) for d, _ in got], sent, 'viewer %d' % viewer.id)

    def assert_stream(self, sid, packets, auth_fail=0):
        wait_for(lambda: self.gw.streams()[sid]['packets'] == packets, what='stream %d packets' % sid)
        st = self.gw.streams()[sid]
        self.assertEqual((st['packets'], st['auth_fail'], st['replay_fail'], st['other_fail']),
                         (packets, auth_fail, 0, 0))

    def drops(self):
        return {k: v for k, v in self.gw.counters().items() if k.startswith('drop_') and k not in NOISE}

    def assert_drops(self, before, expect):
        def reached():
            d = counter_deltas(before, self.drops())
            return [d] if all(d.get(k, 0) >= v for k, v in expect.items()) else None
        self.assertEqual(wait_for(reached, what='drop counters %r' % expect)[0], expect)

    def wrap(self, cam, viewers):
        """The camera's first packets cross the sequence wrap (ROC 0 -> 1)."""
        sent = cam.send(len(WRAP) + 11)
        self.assertEqual([int.from_bytes(p[2:4], 'big') for p in sent], WRAP + list(range(11)))
        for v in viewers:
            self.assert_receives(v, sent)
        return len(sent)

    # ---- tests -------------------------------------------------------------
    def test_viewer_churn_keeps_roc_and_egress_state(self):
        cam = self.camera(1, 24000)
        v11 = Viewer(self, 11, 1, 'AEAD_AES_128_GCM')
        v12 = Viewer(self, 12, 1, 'AES_CM_128_HMAC_SHA1_32')
        self.gw.apply([self.stream_line(cam), v11.line(), v12.line()])
        n = self.wrap(cam, [v11, v12])

        v13 = Viewer(self, 13, 1, 'AES_CM_128_HMAC_SHA1_80')
        self.gw.apply([v13.line()])
        sent = cam.send(5)
        n += 5
        for v in (v11, v12, v13):
            self.assert_receives(v, sent)
        self.gw.apply(['viewer del 12'])
        sent = cam.send(5)
        n += 5
        for v in (v11, v13):
            self.assert_receives(v, sent)
        assert_nothing_queued(v12.sock)
        v12.rekey('AES_CM_128_HMAC_SHA1_32')  # re-added: a new context, a new session
        self.gw.apply([v12.line()])
        self.gw.apply(['viewer del 13', v13.line()])  # in one transaction
        v13.rekey(v13.suite, v13.key)
        sent = cam.send(20)
        n += 20
        for v in (v11, v12, v13):
            self.assert_receives(v, sent)
            assert_nothing_queued(v.sock)
        self.assert_stream(1, n)
        vs = self.gw.viewers()
        self.assertEqual([(vs[i]['packets'], vs[i]['drops']) for i in (11, 12, 13)], [(n, 0), (20, 0), (20, 0)])
        self.gw.apply(['stream del 1'])

    def test_stream_rekey_overlap(self):
        cam = self.camera(2, 24010)
        v = Viewer(self, 21, 2, 'AEAD_AES_128_GCM')
        self.gw.apply([self.stream_line(cam), v.line()])
        n = self.wrap(cam, [v])
        old_tx = cam.tx

        # packets under way while the rekey is applied: none lost
        sent = cam.send(8)
        k2 = new_key('AEAD_AES_256_GCM')
        self.gw.apply(['stream rekey 2 suite=AEAD_AES_256_GCM key=%s keep-old' % b64(k2)])
        self.assert_receives(v, sent)
        n += len(sent)
        # the new key (a fresh sender: ROC 0) and the old one (ROC 1), mixed
        new_tx = srtp_session('AEAD_AES_256_GCM', k2, outbound=True)
        sent = []
        for i in range(20):
            sent += cam.send(1, tx=new_tx if i % 2 else old_tx)
        self.assert_receives(v, sent)
        n += len(sent)
        self.assert_stream(2, n)

        # the overlap ends: the old key's packets fail authentication
        before = self.drops()
        self.gw.apply(['stream end-overlap 2'])
        cam.send(4, tx=old_tx)
        sent = cam.send(3, tx=new_tx)
        self.assert_receives(v, sent)
        assert_nothing_queued(v.sock)
        n += 3
        self.assert_drops(before, {'drop_srtp_auth': 4})
        self.assert_stream(2, n, auth_fail=4)

        # a rekey without keep-old switches at once
        before = self.drops()
        k3 = new_key('AES_CM_128_HMAC_SHA1_80')
        self.gw.apply(['stream rekey 2 suite=AES_CM_128_HMAC_SHA1_80 key=%s' % b64(k3)])
        cam.send(2, tx=new_tx)
        sent = cam.send(3, tx=srtp_session('AES_CM_128_HMAC_SHA1_80', k3, outbound=True))
        self.assert_receives(v, sent)
        assert_nothing_queued(v.sock)
        n += 3
        self.assert_drops(before, {'drop_srtp_auth': 2})
        self.assert_stream(2, n, auth_fail=6)
        self.gw.apply(['stream del 2'])

    def test_viewer_rekey(self):
        cam = self.camera(3, 24020)
        v31 = Viewer(self, 31, 3, 'AEAD_AES_128_GCM')
        v32 = Viewer(self, 32, 3, 'AES_CM_128_HMAC_SHA1_80')
        self.gw.apply([self.stream_line(cam), v31.line(), v32.line()])
        n = self.wrap(cam, [v31, v32])

        old_rx = v31.rx
        v31.rekey('AES_CM_128_HMAC_SHA1_32')
        self.gw.apply(['viewer rekey 31 suite=%s key=%s' % (v31.suite, b64(v31.key))])
        sent = cam.send(6)
        got = recv_all(v31.sock, len(sent))
        for (data, _), plain in zip(got, sent):
            with self.assertRaises(pylibsrtp.Error):
                old_rx.unprotect(data)
            self.assertEqual(v31.rx.unprotect(data), plain)
        self.assert_receives(v32, sent)  # untouched: its session goes on

        # rekey to plain RTP
        self.gw.apply(['viewer rekey 32 plain'])
        sent = cam.send(4)
        self.assertEqual([d for d, _ in recv_all(v32.sock, len(sent))], sent)
        self.assert_receives(v31, sent)
        for v in (v31, v32):
            assert_nothing_queued(v.sock)
        self.assert_stream(3, n + 10)
        self.gw.apply(['stream del 3'])

    def test_replace_all_keeps_state(self):
        cam = self.camera(40, 24030)
        cam41 = Camera(cam.sock, 41, 24032, 'AES_CM_128_HMAC_SHA1_80')  # same socket
        v401 = Viewer(self, 401, 40, 'AEAD_AES_128_GCM')
        v402 = Viewer(self, 402, 40, 'AES_CM_128_HMAC_SHA1_80')
        v403 = Viewer(self, 403, 40, 'AES_CM_128_HMAC_SHA1_32', owner=2)
        v411 = Viewer(self, 411, 41, 'AES_CM_128_HMAC_SHA1_80')
        self.gw.apply([self.stream_line(cam), 'grant add 40 owner=2', v401.line(), v402.line(), v403.line(),
                       self.stream_line(cam41), v411.line()])
        n = self.wrap(cam, [v401, v402, v403])
        self.assert_receives(v411, cam41.send(3))

        # the whole state again, without stream 41 and with a new key for 402
        v0 = self.gw.status()['version']
        v402.rekey(v402.suite)
        state = [self.stream_line(cam), 'grant add 40 owner=2', v401.line(), v402.line(), v403.line()]
        self.assertEqual(self.gw.apply(state, replace_all=True), v0 + 1)
        st = self.gw.status()
        self.assertEqual((st['streams'], st['viewers']), (1, 3))
        self.assertEqual(sorted(self.gw.streams()), [40])
        self.assertEqual(sorted(self.gw.viewers()), [401, 402, 403])

        before = self.drops()
        cam41.send(3)
        sent = cam.send(10)
        n += 10
        for v in (v401, v402, v403):
            self.assert_receives(v, sent)
        for v in (v401, v402, v403, v411):
            assert_nothing_queued(v.sock)
        self.assert_drops(before, {'drop_no_flow': 3})
        self.assert_stream(40, n)  # the same stream state: its counters go on
        vs = self.gw.viewers()
        self.assertEqual([vs[i]['packets'] for i in (401, 402, 403)], [n, 10, n])

        # the same state once more: nothing changes but the version
        self.assertEqual(self.gw.apply(state, replace_all=True), v0 + 2)
        sent = cam.send(5)
        n += 5
        for v in (v401, v402, v403):
            self.assert_receives(v, sent)
        self.assert_stream(40, n)

        # restating owner 2's viewer without its grant is refused
        st0 = self.gw.status()
        with self.assertRaises(AgentError) as cm:
            self.gw.apply([line for line in state if 'grant' not in line], replace_all=True)
        self.assertIn('Operation not permitted', str(cm.exception))
        self.assertEqual(self.gw.status(), st0)
        sent = cam.send(2)
        n += 2
        for v in (v401, v402, v403):
            self.assert_receives(v, sent)
        # without the grant and the viewer: the viewer goes
        self.gw.apply([line for line in state if 'grant' not in line and 'viewer add 403' not in line],
                      replace_all=True)
        self.assertEqual(sorted(self.gw.viewers()), [401, 402])
        sent = cam.send(2)
        n += 2
        for v in (v401, v402):
            self.assert_receives(v, sent)
            assert_nothing_queued(v.sock)
        assert_nothing_queued(v403.sock)
        self.assert_stream(40, n)
        self.gw.apply(['stream del 40'])


if __name__ == '__main__':
    unittest.main(verbosity=2)
