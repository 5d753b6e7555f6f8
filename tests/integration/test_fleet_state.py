"""The fleet's state in etcd (docs/fleet.md, "The state in etcd"): several
srtpgw-control daemons with store = "etcd" on one real etcd cluster share
owners, streams and viewers. What one controller changes, every other one
shows; two controllers changing the same owner at once lose nothing and
never give two streams one listen endpoint (a change is conditioned on the
fleet's head, not only on the rows it writes); a controller started or
restarted later copies the state; a controller with another key-encryption
key is refused; with etcd down a change fails with a clear error and
changes nothing.

No gateway runs here: every change is committed and answered pending
(exit 5), which is what a controller does while its gateway is away.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import types
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import SRTPGWCTL, Control, Resources, wait_for  # noqa: E402
from etcd_cluster import EtcdCluster  # noqa: E402

LISTEN = '10.93.0.1'


class FleetStateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.res = Resources()
        try:
            cls.dir = tempfile.mkdtemp(prefix='sgw-fleet-')
            cls.res.add(shutil.rmtree, cls.dir, ignore_errors=True)
            cls.etcd = EtcdCluster(1, res=cls.res)
            cls.kek = os.urandom(32)
        except BaseException:
            cls.res.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.res.cleanup()

    def controller(self, name, prefix, kek=None, start=True):
        """A srtpgw-control of the fleet under prefix, as gateway name,
        with no gateway (its agent socket is never there)."""
        gw = types.SimpleNamespace(dir=os.path.join(self.dir, prefix.strip('/').replace('/', '-')),
                                   sock=os.path.join(self.dir, 'no-gateway-%s.sock' % name))
        c = Control(self.res, gw, [LISTEN], name=name, extra_config=(
            'store = "etcd";\netcd_endpoints = [ %s ];\netcd_prefix = "%s";\nfleet_gateway = "%s";\n' % (
                ', '.join('"%s"' % u for u in self.etcd.endpoints().split(',')), prefix, name)))
        with open(c.kek, 'wb') as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(kek if kek is not None else self.kek)
        return c.start() if start else c

    @staticmethod
    def streams(c):
        return {s['name']: s for s in c.ctl('stream', 'show')['streams']}

    @staticmethod
    def owners(c):
        return sorted(o['name'] for o in c.ctl('owner', 'list')['owners'])

    def wait_same(self, a, b, what='stream'):
        """What a and b show of what (their pending lists are their own)."""
        def same():
            x = a.ctl(what, 'show')[what + 's']
            return x == b.ctl(what, 'show')[what + 's'] and (x,)
        return wait_for(same, 20, 'both controllers to show the same %ss' % what, interval=0.05)[0]

    def test_changes_reach_every_controller(self):
        a = self.controller('a', '/sgwt/one/')
        b = self.controller('b', '/sgwt/one/')
        a.ctl('owner', 'add', 'alice', pending=True)
        a.ctl('stream', 'add', 'cam1', '--owner', 'alice', '--listen', LISTEN + ':20000', pending=True)
        b.ctl('viewer', 'add', 'tv1', '--stream', 'cam1', '--to', '10.93.0.9:6000', pending=True)
        streams = self.wait_same(a, b)
        self.assertEqual([s['name'] for s in streams], ['cam1'])
        self.assertEqual(streams[0]['viewers'], ['tv1'])
        self.assertEqual(self.wait_same(a, b, 'viewer')[0]['stream'], 'cam1')
        # the key a generated is the one b would push: a stream's key is
        # never shown, but a rekey on b and a show on a agree on the state
        b.ctl('owner', 'del', 'alice', pending=True)
        wait_for(lambda: self.streams(a) == {}, 20, 'a to see the delete', interval=0.05)
        self.assertEqual(self.owners(a), [])
        st = a.ctl('status')
        self.assertEqual(st['fleet']['gateway'], 'a')
        self.assertGreater(st['fleet']['revision'], 0)
        # no gateway here: no lease, and no gateway of the fleet holds one
        fs = a.ctl('fleet', 'status')
        self.assertEqual((fs['gateway'], fs['lease'], fs['gateways']), ('a', None, []))

    def test_same_owner_at_once(self):
        a = self.controller('a', '/sgwt/race/')
        b = self.controller('b', '/sgwt/race/')
        a.ctl('owner', 'add', 'alice', pending=True)
        wait_for(lambda: self.owners(b) == ['alice'], 20, 'b to see alice', interval=0.05)
        results = {}

        def adds(c, tag):
            for i in range(12):
                name = '%s%d' % (tag, i)
                # no --listen: each controller takes the lowest free port
                # of its copy; a stale copy must not hand out a taken one
                r = subprocess.run([SRTPGWCTL, '--socket', c.sock, '--json', 'stream', 'add', name,
                                    '--owner', 'alice'], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, timeout=60)
                results[name] = (r.returncode, r.stderr.strip())

        threads = [threading.Thread(target=adds, args=(a, 'a')), threading.Thread(target=adds, args=(b, 'b'))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        done = sorted(n for n, (rc, _) in results.items() if rc == 5)
        refused = {n: e for n, (rc, e) in results.items() if rc != 5}
        for n, e in refused.items():  # only a clear conflict may refuse one
            self.assertIn('another controller of the fleet', e, n)
        self.assertGreaterEqual(len(done), 20, refused)
        streams = self.wait_same(a, b)
        self.assertEqual(sorted(s['name'] for s in streams), done)
        listens = [s['listen'] for s in streams]
        self.assertEqual(len(set(listens)), len(listens), 'two streams on one listen endpoint: %s' % listens)
        conflicts = a.ctl('status')['fleet']['conflicts'] + b.ctl('status')['fleet']['conflicts']
        print('fleet race: %d of 24 stream adds done, %d refused, %d conflicts retried' % (
            len(done), len(refused), conflicts))

    def test_late_and_restarted_controllers_copy_the_state(self):
        a = self.controller('a', '/sgwt/late/')
        b = self.controller('b', '/sgwt/late/')
        a.ctl('owner', 'add', 'carol', pending=True)
        a.ctl('stream', 'add', 'cam', '--owner', 'carol', '--listen', LISTEN + ':21000', pending=True)
        self.wait_same(a, b)
        self.assertEqual(b.stop(), 0)
        a.ctl('viewer', 'add', 'v1', '--stream', 'cam', '--to', '10.93.0.9:6001', pending=True)
        a.ctl('stream', 'add', 'cam2', '--owner', 'carol', '--listen', LISTEN + ':21002', pending=True)
        b.start()  # its own database is behind: it copies the fleet's
        self.assertEqual(sorted(self.streams(b)), ['cam', 'cam2'])
        self.assertEqual(self.streams(b)['cam']['viewers'], ['v1'])
        c = self.controller('c', '/sgwt/late/')  # a new one: an empty database
        self.assertEqual(self.streams(c), self.streams(a))
        # the listen endpoint a took is taken for c too
        r = c.ctl('stream', 'add', 'dup', '--owner', 'carol', '--listen', LISTEN + ':21000', check=False)
        self.assertEqual(r.returncode, 1, r.stderr)

    def test_big_change_is_one_transaction(self):
        # an owner deleted with 70 streams: 70 stream rows, their keys'
        # positions and quarantine, the owner: some 150 rows in one etcd
        # transaction (etcd's default limit is 128 operations)
        a = self.controller('a', '/sgwt/big/')
        b = self.controller('b', '/sgwt/big/')
        a.ctl('owner', 'add', 'frank', pending=True)
        for i in range(70):
            a.ctl('stream', 'add', 'f%d' % i, '--owner', 'frank', pending=True)
        wait_for(lambda: len(self.streams(b)) == 70, 20, 'b to see 70 streams', interval=0.05)
        b.ctl('owner', 'del', 'frank', pending=True)
        wait_for(lambda: self.streams(a) == {} and self.owners(a) == [], 20, 'a to see the delete',
                 interval=0.05)

    def test_other_kek_refused(self):
        self.controller('a', '/sgwt/kek/')
        c = self.controller('x', '/sgwt/kek/', kek=os.urandom(32), start=False)
        with self.assertRaises(AssertionError) as cm:
            c.start(timeout=10)
        self.assertIn("this controller's key-encryption key is not the fleet's", str(cm.exception))

    def test_etcd_down(self):
        a = self.controller('a', '/sgwt/down/')
        a.ctl('owner', 'add', 'dave', pending=True)
        self.etcd.kill(0)
        try:
            r = a.ctl('owner', 'add', 'erin', check=False)
            self.assertNotIn(r.returncode, (0, 5))
            self.assertIn('etcd', r.stderr)
            self.assertEqual(self.owners(a), ['dave'])
        finally:
            self.etcd.start(0)
        a.ctl('owner', 'add', 'erin', pending=True)
        self.assertEqual(self.owners(a), ['dave', 'erin'])


if __name__ == '__main__':
    unittest.main(verbosity=2)
