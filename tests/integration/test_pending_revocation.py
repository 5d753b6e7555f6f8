"""A revocation is in force when the reply says so (invariant 9,
docs/control.md "Pending changes").

With the gateway stopped (SIGSTOP: its agent socket accepts but nobody
answers), `grant del`, `viewer del`, `stream del` and `owner del` are
committed but cannot be applied: each answers within apply_timeout with
exit 5 and "pending" (not "done"), `status` and the show commands list
them, and nothing is claimed in force. When the gateway continues, the
daemon brings it in sync and the list empties; from then on no packet
reaches the revoked parties, while the owner's own viewer keeps receiving.
With the gateway running, the same revocations answer done (exit 0).

On the code before pending changes, these commands answered done (exit 0)
after a 10 s wait while the gateway still forwarded to the revoked viewers.
"""
import base64
import os
import signal
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import assert_nothing_queued, wait_for  # noqa: E402
from ctltest import ControlCase, Sender, ViewerSock  # noqa: E402

GW4, PEER4 = '10.93.0.1', '10.93.0.2'
TIMEOUT_MS = 500


class PendingRevocation(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']
    CONTROL_CONFIG = 'apply_timeout = %d;' % TIMEOUT_MS

    def add_viewer(self, name, stream, owner=None):
        s = self.sock()
        out = self.ctl('viewer', 'add', name, '--stream', stream, '--to', '%s:%d' % (PEER4, s.getsockname()[1]),
                       '--suite', 'AEAD_AES_128_GCM', *(['--owner', owner] if owner else []))
        return ViewerSock(s, 'AEAD_AES_128_GCM', base64.b64decode(out['key']))

    def pending_whats(self, cmd=('status',), key='pending'):
        return [p['what'] for p in self.ctl(*cmd).get(key, [])]

    def test_revocations_while_the_gateway_is_stopped(self):
        for o in ('alice', 'bob', 'carol'):
            self.ctl('owner', 'add', o)
        st = self.ctl('stream', 'add', 'hall', '--owner', 'alice', '--listen', GW4 + ':24500')
        spare = self.ctl('stream', 'add', 'yard', '--owner', 'alice', '--listen', GW4 + ':24502')
        cst = self.ctl('stream', 'add', 'porch', '--owner', 'carol', '--listen', GW4 + ':24504')
        cam = Sender(self.sock(), GW4, 24500, st['suite'], base64.b64decode(st['key']))
        yard = Sender(self.sock(), GW4, 24502, spare['suite'], base64.b64decode(spare['key']), sid=2)
        porch = Sender(self.sock(), GW4, 24504, cst['suite'], base64.b64decode(cst['key']), sid=3)
        self.ctl('grant', 'add', 'hall', '--to', 'bob')
        own = self.add_viewer('hall-tv', 'hall')
        bob = self.add_viewer('bob-tv', 'hall', owner='bob')
        gone = self.add_viewer('hall-old', 'hall')
        yard_tv = self.add_viewer('yard-tv', 'yard')
        carol = self.add_viewer('porch-tv', 'porch')
        for s, vs in ((cam, (own, bob, gone)), (yard, (yard_tv,)), (porch, (carol,))):
            sent = s.send(3)
            for v in vs:
                v.expect(self, sent)

        os.kill(self.gw.proc.pid, signal.SIGSTOP)
        try:
            revocations = [('grant', 'del', 'hall', '--to', 'bob'), ('viewer', 'del', 'hall-old'),
                           ('stream', 'del', 'yard'), ('owner', 'del', 'carol')]
            for args in revocations:
                t0 = time.monotonic()
                r = self.ctl(*args, check=False)
                took = time.monotonic() - t0
                self.assertEqual(r.returncode, 5, '%s: %s' % (' '.join(args), r.stderr))
                self.assertIn('pending', r.stderr)
                self.assertEqual(r.stderr.count('\n'), 1, r.stderr)
                # at most one wait for the gateway, then none: the link is down
                self.assertLess(took, TIMEOUT_MS / 1000 + 10)
            whats = self.pending_whats()
            self.assertEqual(whats, ['grant.del stream=hall to=bob', 'viewer.del name=hall-old',
                                     'stream.del name=yard', 'owner.del name=carol'])
            self.assertEqual(self.ctl('status')['gateway'], 'disconnected')
            self.assertEqual(self.pending_whats(('viewer', 'show')), whats)
            self.assertEqual(self.pending_whats(('stream', 'show')), whats)
            text = self.ctl_run('stream', 'show')
            self.assertIn('pending (committed, not applied by the gateway yet): ', text.stdout)
            self.assertIn('what=owner.del name=carol', text.stdout)
            # the database already has them gone
            self.assertEqual(sorted(v['name'] for v in self.ctl('viewer', 'show')['viewers']), ['hall-tv'])
        finally:
            os.kill(self.gw.proc.pid, signal.SIGCONT)

        self.control.wait_applied(timeout=30)
        self.assertEqual(self.pending_whats(), [])
        self.assertNotIn('pending', self.ctl('viewer', 'show'))
        # in force: the owner's viewer receives, the revoked get nothing
        sent = cam.send(10)
        yard.send(5)
        porch.send(5)
        sentinel = cam.send(1)
        own.expect(self, sent + sentinel, 'own viewer')
        for v in (bob, gone, yard_tv, carol):
            assert_nothing_queued(v.sock)
        self.assertEqual(self.gw.status()['viewers'], 1)

        # with the gateway running, a revocation is done when answered
        self.ctl('owner', 'add', 'dave')
        self.ctl('grant', 'add', 'hall', '--to', 'dave')
        dave = self.add_viewer('dave-tv', 'hall', owner='dave')
        sent = cam.send(2)
        dave.expect(self, sent)
        own.expect(self, sent)
        self.assertEqual(self.ctl('grant', 'del', 'hall', '--to', 'dave'),
                         {'stream': 'hall', 'to': 'dave', 'viewers': 1})
        sent = cam.send(5)
        own.expect(self, sent)
        assert_nothing_queued(dave.sock)
        self.ctl('owner', 'del', 'dave')
        self.ctl('owner', 'del', 'bob')
        self.ctl('owner', 'del', 'alice')


if __name__ == '__main__':
    unittest.main(verbosity=2)
