"""A rekey overlap is whatever the control plane says it is, whatever
happened to the gateway meanwhile (issue 11 point 2, docs/control.md
"Keys"): every object of a full push (REPLACE_ALL) carries its whole
desired state, the old key or none included, and the gateway compares it
whole.

- The overlap ends while the gateway is unreachable (SIGSTOP): when it is
  back, the full push ends it there too: the old key is refused from then
  on. (Before, the stream looked "the same" and the old key stayed
  accepted for good.)
- The gateway restarts during an overlap: the full push gives it the old
  key again, and the camera still on the old key goes on reaching the
  viewer. (Before, the restarted gateway refused it.)
"""
import base64
import os
import signal
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import assert_nothing_queued, counter_deltas, wait_for  # noqa: E402
from ctltest import ControlCase, Sender, ViewerSock  # noqa: E402

GW4, PEER4 = '10.92.0.1', '10.92.0.2'


class OverlapBase(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']

    def setup_stream(self, port):
        self.ctl('owner', 'add', 'home')
        self.addCleanup(self.ctl, 'owner', 'del', 'home')
        st = self.ctl('stream', 'add', 'cam', '--owner', 'home', '--listen', '%s:%d' % (GW4, port))
        s = self.sock()
        v = self.ctl('viewer', 'add', 'tv', '--stream', 'cam', '--suite', 'AEAD_AES_128_GCM',
                     '--to', '%s:%d' % (PEER4, s.getsockname()[1]))
        self.tv = ViewerSock(s, 'AEAD_AES_128_GCM', base64.b64decode(v['key']))
        self.old = Sender(self.sock(), GW4, port, st['suite'], base64.b64decode(st['key']))
        self.seq = 1
        self.tv.expect(self, self.send(self.old, 3))
        new = self.ctl('stream', 'rekey', 'cam')
        self.new = Sender(self.sock(), GW4, port, new['suite'], base64.b64decode(new['key']))
        # the overlap: both keys reach the viewer (one camera socket after
        # the other: two flows, which may reach two workers, keep no order
        # between them)
        self.tv.expect(self, self.send(self.old, 2))
        self.tv.expect(self, self.send(self.new, 2))

    def send(self, sender, n):
        """One camera's RTP stream (its sequence goes on) under the key of
        sender."""
        sender.seq = self.seq
        out = sender.send(n)
        self.seq = sender.seq
        return out

    def sid(self):
        return max(self.gw.streams())


class OverlapEndsWhileAway(OverlapBase):
    CONTROL_CONFIG = 'rekey_overlap = 2;\napply_timeout = 500;'

    def test_overlap_ends_while_the_gateway_is_stopped(self):
        self.setup_stream(25100)
        os.kill(self.gw.proc.pid, signal.SIGSTOP)
        try:
            wait_for(lambda: self.ctl('status')['gateway'] == 'disconnected', 20,
                     'the daemon to notice the gateway stopped')
            wait_for(lambda: any(p['what'] == 'stream.end_overlap name=cam'
                                 for p in self.ctl('status')['pending']), 20,
                     'the overlap to end while the gateway is away')
        finally:
            os.kill(self.gw.proc.pid, signal.SIGCONT)
        self.control.wait_applied(timeout=30)
        self.assertEqual(self.ctl('status')['pending'], [])
        # the old key is refused now; the new one reaches the viewer
        before = self.gw.counters()
        self.send(self.old, 5)
        sent = self.send(self.new, 3)
        self.tv.expect(self, sent)
        assert_nothing_queued(self.tv.sock)
        wait_for(lambda: counter_deltas(before, self.gw.counters()).get('drop_srtp_auth', 0) == 5,
                 what='the old key\'s 5 packets refused')
        self.assertEqual(self.gw.streams()[self.sid()]['auth_fail'], 5)


class OverlapAfterRestart(OverlapBase):
    CONTROL_CONFIG = 'rekey_overlap = 600;'

    def test_restarted_gateway_keeps_the_overlap(self):
        self.setup_stream(25110)
        self.assertEqual(self.gw.stop(), 0)
        wait_for(lambda: self.ctl('status')['gateway'] == 'disconnected', 20, 'the daemon to notice')
        self.gw.start()
        self.control.wait_applied(timeout=30)
        # both keys still reach the viewer
        self.tv.expect(self, self.send(self.old, 3))
        self.tv.expect(self, self.send(self.new, 3))
        st = self.gw.streams()[self.sid()]
        self.assertEqual((st['packets'], st['auth_fail']), (6, 0))


if __name__ == '__main__':
    unittest.main(verbosity=2)
