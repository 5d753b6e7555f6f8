"""The etcd client (control/daemon/etcd.h) against real etcd 3.4 clusters
(tests/lib/etcd_cluster.py): each case of etcd_client_check runs against
a three-member cluster, the key-value case against a single member too.

- kv: puts, gets (one key, a prefix, at an old revision), binary keys and
  values, deletes
- txn: every compare target with every result, each way; both branches'
  ops; gets inside a txn in order
- race: two clients race a compare-and-swap increment 200 times each;
  the counter ends at the number of successes, every failure saw the
  other's write
- lease: grant, keepalive past the TTL, expiry (the key goes, keepalive is
  -ENOENT), revoke
- watch: puts and deletes in order with revisions; stop within a second
- watch_failover: the member the watch is on (the leader) is stopped,
  a writer puts events through the others, the member is killed: the
  watch, now on another member, gets what it missed and what follows,
  every event once, in order
- watch_leader_loss: a watch on a member whose quorum is lost is ended
  by etcd (it asks for a leader); with the quorum back it goes on, no
  event lost or repeated
- compacted: a watch and a read before a compaction are -ERANGE
- noquorum: two of three members killed: reads and writes fail at once
  with etcd's "no leader" (not after the timeout)
- down: every member killed: a clear error at once; a member that never
  answers: -ETIMEDOUT within the timeout

Needs no root. Every etcd it starts is killed and its data removed, also
on failure.
"""
import os
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from etcd_cluster import EtcdCluster  # noqa: E402

BUILD = os.environ.get('SRTPGW_BUILD', os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..',
                                                    'build'))
CHECK = os.path.join(BUILD, 'tests', 'integration', 'etcd_client_check')


def run_case(case, endpoints, *more, timeout=120):
    r = subprocess.run([CHECK, case, endpoints] + list(more), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=timeout)
    return r


class EtcdClient(unittest.TestCase):
    cluster = None

    @classmethod
    def setUpClass(cls):
        cls.cluster = EtcdCluster(3)

    @classmethod
    def tearDownClass(cls):
        if cls.cluster:
            cls.cluster.close()

    def check(self, case, endpoints=None, *more):
        r = run_case(case, endpoints or self.cluster.endpoints(), *more)
        sys.stdout.write(r.stdout)
        self.assertEqual(r.returncode, 0, '%s failed:\n%s%s' % (case, r.stdout, r.stderr))
        self.assertIn('ok - ' + case, r.stdout)
        return r

    def test_kv(self):
        self.check('kv')

    def test_kv_single_member(self):
        with EtcdCluster(1) as one:
            self.check('kv', one.endpoints())

    def test_txn(self):
        self.check('txn')

    def test_race(self):
        self.check('race')

    def test_lease(self):
        self.check('lease')

    def test_watch(self):
        self.check('watch')

    def test_watch_failover(self):
        c = self.cluster
        # The leader: its loss also makes an election while the watch
        # moves to another member.
        victim = c.leader()
        victim = 0 if victim is None else victim
        others = [i for i in range(c.n) if i != victim]
        p = subprocess.Popen([CHECK, 'watch_failover', c.endpoints([victim] + others),
                              c.endpoints(others)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        said = []

        def step(want, signum, reply):
            line = p.stdout.readline()
            said.append(line)
            if line.strip() != want:
                return False
            c.signal(victim, signum)
            # The writer goes on once the others have a leader (a write
            # during the election may time out, and is not sent again).
            c.wait_healthy(others)
            p.stdin.write(reply + '\n')
            p.stdin.flush()
            return True

        out = err = ''
        try:
            if step('READY', signal.SIGSTOP, 'STOPPED'):
                step('WRITTEN', signal.SIGKILL, 'KILLED')
            out, err = p.communicate(timeout=60)
            out = ''.join(said) + out
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
            c.kill(victim)
            c.start(victim)
        sys.stdout.write(out)
        self.assertEqual(p.returncode, 0, 'watch_failover failed:\n%s%s' % (out, err))
        self.assertIn('ok - watch_failover', out)

    def test_watch_leader_loss(self):
        c = self.cluster
        survivor, others = 0, list(range(1, c.n))
        p = subprocess.Popen([CHECK, 'leaderloss', c.endpoints([survivor]), c.endpoints()],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        said = []

        def expect(word):
            line = p.stdout.readline()
            said.append(line)
            return line.strip() == word

        def reply(word):
            p.stdin.write(word + '\n')
            p.stdin.flush()

        out = err = ''
        try:
            if expect('READY'):
                for i in others:
                    c.kill(i)
                c.wait_no_leader(survivor)
                reply('QUORUM_LOST')
                if expect('ENDED'):
                    for i in others:
                        c.start(i, wait=False)
                    c.wait_healthy()
                    reply('RESTORED')
            out, err = p.communicate(timeout=60)
            out = ''.join(said) + out
        finally:
            if p.poll() is None:
                p.kill()
                p.communicate()
            for i in others:
                if not c.running(i):
                    c.start(i, wait=False)
            c.wait_healthy()
        sys.stdout.write(out)
        self.assertEqual(p.returncode, 0, 'leaderloss failed:\n%s%s' % (out, err))
        self.assertIn('ok - leaderloss', out)

    def test_compacted(self):
        self.check('compacted')

    def test_zz_down(self):
        """Last: kills the members of the shared cluster, two then one."""
        c = self.cluster
        survivor = 0
        for i in range(1, c.n):
            c.kill(i)
        c.wait_no_leader(survivor)
        self.check('noquorum', c.endpoints([survivor] + list(range(1, c.n))))
        c.kill(survivor)
        self.check('down', c.endpoints())


if __name__ == '__main__':
    unittest.main(verbosity=2)
