"""DESIGN invariant 1 through the control plane: a viewer on another
owner's stream is refused without a grant (exit 1, EPERM, nothing
changed); with a grant it receives; `grant del` deletes it in the same
transaction, says so, and no packet sent after the reply reaches it.

The real srtpgw-control and srtpgw; SRTP from pylibsrtp with the keys
srtpgwctl printed.
"""
import base64
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import assert_nothing_queued, counter_deltas, wait_for  # noqa: E402
from ctltest import ControlCase, Sender, ViewerSock, without_position  # noqa: E402

GW4, PEER4 = '10.94.0.1', '10.94.0.2'


class ControlOwnership(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']

    def add_viewer(self, name, stream, owner=None, suite='AEAD_AES_128_GCM'):
        s = self.sock()
        out = self.ctl('viewer', 'add', name, '--stream', stream, '--to', '%s:%d' % (PEER4, s.getsockname()[1]),
                       '--suite', suite, *(['--owner', owner] if owner else []))
        return ViewerSock(s, suite, base64.b64decode(out['key']))

    def test_grant_needed_and_revoked(self):
        for o in ('home1', 'home2', 'home3'):
            self.ctl('owner', 'add', o)
        st = self.ctl('stream', 'add', 'door', '--owner', 'home1', '--listen', GW4 + ':24000')
        cam = Sender(self.sock(), GW4, 24000, st['suite'], base64.b64decode(st['key']))
        own = self.add_viewer('door-tv', 'door')
        self.assertEqual(self.ctl('viewer', 'show', 'door-tv')['viewers'][0]['owner'], 'home1')
        foreign_sock = self.sock()
        to = '%s:%d' % (PEER4, foreign_sock.getsockname()[1])
        add_foreign = ['viewer', 'add', 'door-stranger', '--stream', 'door', '--to', to, '--owner', 'home2',
                       '--suite', 'AEAD_AES_128_GCM']

        # no grant: refused, nothing changed (daemon and gateway)
        before = self.snapshot()
        err = self.assert_ctl_fails(add_foreign, 1, 'no grant', 'EPERM')
        self.assertIn('"home2" may not receive stream "door" of "home1"', err)
        self.assert_unchanged(before)
        # the text output too: one line, exit 1
        r = self.ctl_run(*add_foreign)
        self.assertEqual((r.returncode, r.stdout), (1, ''))
        self.assertEqual(r.stderr, 'srtpgwctl: owner "home2" may not receive stream "door" of "home1": no grant\n')
        # a grant to someone else does not help
        self.ctl('grant', 'add', 'door', '--to', 'home3')
        before = self.snapshot()
        self.assert_ctl_fails(add_foreign, 1, 'no grant', 'EPERM')
        self.assert_unchanged(before)
        sent = cam.send(5)
        own.expect(self, sent, 'own viewer')
        assert_nothing_queued(foreign_sock)

        # granted: it works and receives what the owner's viewer receives
        self.assertEqual(self.ctl('grant', 'add', 'door', '--to', 'home2'), {'stream': 'door', 'to': 'home2'})
        out = self.ctl(*add_foreign)
        self.assertEqual((out['owner'], out['stream']), ('home2', 'door'))
        foreign = ViewerSock(foreign_sock, 'AEAD_AES_128_GCM', base64.b64decode(out['key']))
        self.assertEqual(self.ctl('stream', 'show', 'door')['streams'][0]['grants'], ['home2', 'home3'])
        sent = cam.send(8)
        own.expect(self, sent, 'own viewer')
        foreign.expect(self, sent, 'granted viewer')
        # the gateway holds it under its own owner, not the stream's
        self.assertEqual(len({v['owner'] for v in self.gw.viewers().values()}), 2)

        # revoked: the reply says its viewer went with the grant; the
        # next packets (and the sentinel after them) reach only the owner's
        gw0 = self.gw.status()
        self.assertEqual(self.ctl('grant', 'del', 'door', '--to', 'home2'),
                         {'stream': 'door', 'to': 'home2', 'viewers': 1})
        gw1 = self.gw.status()
        self.assertEqual((gw1['version'], gw1['viewers']), (gw0['version'] + 1, gw0['viewers'] - 1))
        self.assertEqual(without_position(self.ctl('viewer', 'show', '--stream', 'door')['viewers']),
                         [{'name': 'door-tv', 'stream': 'door', 'owner': 'home1', 'to': '%s:%d' % (PEER4, own.port),
                           'suite': 'AEAD_AES_128_GCM', 'kind': 'sdes'}])
        self.assertEqual(self.ctl('stream', 'show', 'door')['streams'][0]['grants'], ['home3'])
        before = self.gw.counters()
        sent = cam.send(10)
        sentinel = cam.send(1)
        own.expect(self, sent + sentinel, 'own viewer')
        assert_nothing_queued(foreign.sock)
        assert_nothing_queued(own.sock)
        wait_for(lambda: self.gw.counters()['forwarded'] - before['forwarded'] >= 11, what='11 forwarded')
        d = counter_deltas(before, self.gw.counters(), 'drop_')
        d.pop('drop_icmp_other', None)
        self.assertEqual(d, {})  # not even an owner-mismatch drop: the viewer is gone
        self.assertEqual(self.gw.counters()['forwarded'] - before['forwarded'], 11)

        # and without the grant it cannot come back
        before = self.snapshot()
        self.assert_ctl_fails(add_foreign, 1, 'no grant', 'EPERM')
        self.assert_unchanged(before)
        st = self.ctl('stats', '--stream', 'door')['streams'][0]
        self.assertEqual((st['packets'], st['auth_fail']), (24, 0))
        for o in ('home1', 'home2', 'home3'):
            self.ctl('owner', 'del', o)

    def test_grant_rules(self):
        """A grant to the stream's own owner, a second grant, revoking a
        grant that is not there: refused, nothing changed."""
        for o in ('flat1', 'flat2'):
            self.ctl('owner', 'add', o)
        self.ctl('stream', 'add', 'hall', '--owner', 'flat1', '--listen', GW4 + ':24010')
        self.ctl('grant', 'add', 'hall', '--to', 'flat2')
        before = self.snapshot()
        self.assert_ctl_fails(['grant', 'add', 'hall', '--to', 'flat1'], 1, '"flat1" owns stream "hall"', 'EINVAL')
        self.assert_ctl_fails(['grant', 'add', 'hall', '--to', 'flat2'], 1, 'already has a grant', 'EEXIST')
        self.assert_ctl_fails(['grant', 'del', 'hall', '--to', 'flat1'], 1, 'has no grant', 'ENOENT')
        self.assert_unchanged(before)
        self.assertEqual(self.ctl('grant', 'del', 'hall', '--to', 'flat2'),
                         {'stream': 'hall', 'to': 'flat2', 'viewers': 0})
        self.assert_ctl_fails(['grant', 'del', 'hall', '--to', 'flat2'], 1, 'has no grant', 'ENOENT')
        for o in ('flat1', 'flat2'):
            self.ctl('owner', 'del', o)


if __name__ == '__main__':
    unittest.main(verbosity=2)
