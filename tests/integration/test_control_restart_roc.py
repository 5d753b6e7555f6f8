"""A gateway restart after the sequence numbers wrapped (docs/control.md,
"Positions"). A camera has sent past 65535 (its ROC is 1) to two viewers
that keep their SRTP sessions across everything. The gateway restarts
(SIGTERM, a new srtpgw on the same port and agent socket) and
srtpgw-control pushes its state again.

With positions (position_poll = 1) the daemon stored where the stream's
ingress was; the new gateway goes on from there: the camera's next packets
authenticate, and both viewers decrypt them with the sessions they had
(their lanes go on past their reservations: docs/control.md, "Index
reservations"; tests/integration/test_index_reuse.py covers them). Without (position_poll = 0) the same sequence shows
what the positions are for: the new gateway counts from ROC 0 and refuses
every packet of the camera as unauthenticated.
"""
import base64
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import marked_payload, recv_all, rtp, srtp_session, wait_for  # noqa: E402
from ctltest import ControlCase, assert_lane, media_of  # noqa: E402

GW4, PEER4 = '10.96.0.1', '10.96.0.2'
SEQ0 = 65000  # the camera's first sequence number: it wraps after 536 packets
SSRC = 0x0ca11ab1


class WrapCamera:
    """An SRTP sender whose sequence numbers cross 65535; sends in bursts."""

    def __init__(self, sock, port, suite, key):
        self.sock, self.port = sock, port
        self.tx = srtp_session(suite, key, outbound=True)
        self.n = 0  # packets sent so far: the next has seq (SEQ0 + n) & 0xffff

    def send(self, count):
        """count packets; returns their plain RTP."""
        sent = []
        for _ in range(count):
            seq = (SEQ0 + self.n) & 0xffff
            plain = rtp(seq, ts=self.n * 3000, ssrc=SSRC, payload=marked_payload(1, self.n, 64))
            self.sock.sendto(self.tx.protect(plain), (GW4, self.port))
            sent.append(plain)
            self.n += 1
        return sent


class Viewer:
    def __init__(self, test, name, suite):
        self.sock = test.sock()
        v = test.ctl('viewer', 'add', name, '--stream', 'cam', '--suite', suite,
                     '--to', '%s:%d' % (PEER4, self.sock.getsockname()[1]))
        self.rx = srtp_session(suite, base64.b64decode(v['key']), outbound=False)

    def receive(self, n):
        return [self.rx.unprotect(d) for d, _ in recv_all(self.sock, n)]


class RestartAfterWrap(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']
    CONTROL_CONFIG = 'position_poll = 1;'
    PORT = 27100

    def setUp(self):
        self.ctl('owner', 'add', 'home')
        st = self.ctl('stream', 'add', 'cam', '--owner', 'home', '--listen', '%s:%d' % (GW4, self.PORT))
        self.addCleanup(self.ctl, 'owner', 'del', 'home')
        self.tv = Viewer(self, 'tv', 'AEAD_AES_128_GCM')
        self.phone = Viewer(self, 'phone', 'AES_CM_128_HMAC_SHA1_80')
        self.cam = WrapCamera(self.sock(), self.PORT, st['suite'], base64.b64decode(st['key']))
        # 1000 packets, in bursts the viewers take before the next: through the wrap
        self.sent = []
        self.got = {'tv': [], 'phone': []}
        self.before = None
        for _ in range(20):
            self.expect(self.cam.send(50))
        st = self.gw.streams()
        sid = max(st)
        self.assertEqual(st[sid]['position'], {'ssrc': SSRC, 'roc': 1, 'seq': (SEQ0 + 999) & 0xffff})

    def expect(self, sent):
        """Both viewers get sent, on one lane each all along."""
        self.sent += sent
        for name, v in (('tv', self.tv), ('phone', self.phone)):
            got = v.receive(len(sent))
            self.assertEqual([media_of(p) for p in got], [media_of(p) for p in sent], name)
            self.got[name] += got
            assert_lane(self, self.got[name], self.sent, name)
            if self.before is not None:
                # after the restart: the same lane SSRC, gone on past what
                # was reserved, by at most a block (8192 by default)
                last = self.before[name][-1]
                self.assertEqual(got[0][8:12], last[8:12], name)
                jump = (int.from_bytes(got[0][2:4], 'big') - int.from_bytes(last[2:4], 'big')) & 0xffff
                self.assertTrue(1 <= jump <= 8193, '%s jumped by %d' % (name, jump))

    def restart(self):
        """Stop the gateway, start a new one, wait for the daemon's push."""
        before = self.gw.status()
        self.assertEqual(self.gw.stop(), 0)
        wait_for(lambda: self.ctl('status')['gateway'] == 'disconnected', what='the daemon to notice')
        self.gw.start()
        self.control.wait_applied(timeout=30)
        after = self.gw.status()
        self.assertNotEqual(after['boot_id'], before['boot_id'])
        self.assertEqual((after['streams'], after['viewers']), (1, 2))

    def stored(self):
        """The position the daemon stored of the stream."""
        return self.ctl('stream', 'show', 'cam')['streams'][0]['position']

    def test_restart_after_wrap(self):
        # the daemon stores what the gateway reports (ROC 1), within 8192 packets
        def stored_roc1():
            p = self.stored()
            return p if p is not None and p['roc'] == 1 else None
        p = wait_for(stored_roc1, timeout=20, what='the daemon to store the position')
        self.assertEqual(p['ssrc'], SSRC)
        self.assertLessEqual(p['seq'], (SEQ0 + 999) & 0xffff)

        self.restart()
        self.before, self.got, self.sent = self.got, {'tv': [], 'phone': []}, []
        # the new gateway started from the stored position
        self.assertEqual(self.gw.streams()[max(self.gw.streams())]['position']['roc'], 1)
        self.expect(self.cam.send(50))
        st = self.gw.streams()[max(self.gw.streams())]
        self.assertEqual((st['packets'], st['auth_fail'], st['replay_fail']), (50, 0, 0))
        self.assertEqual(st['position'], {'ssrc': SSRC, 'roc': 1, 'seq': (SEQ0 + 1049) & 0xffff})


class RestartAfterWrapWithoutPositions(RestartAfterWrap):
    """The same without positions: the new gateway refuses the camera."""
    CONTROL_CONFIG = 'position_poll = 0;'
    PORT = 27102

    def test_restart_after_wrap(self):
        self.assertIsNone(self.stored())
        self.restart()
        self.assertIsNone(self.gw.streams()[max(self.gw.streams())]['position'])
        self.cam.send(50)
        sid = max(self.gw.streams())
        wait_for(lambda: self.gw.streams()[sid]['auth_fail'] == 50, what='50 authentication failures')
        st = self.gw.streams()[sid]
        self.assertEqual((st['packets'], st['auth_fail']), (0, 50))


if __name__ == '__main__':
    unittest.main(verbosity=2)
