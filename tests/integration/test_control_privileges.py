"""srtpgw-control's privileges and sockets (docs/control.md, "Privileges",
"Sockets"; docs/security.md, "Keys and privileges").

Configured with user and group, the daemon opens its key file, database
and socket as root, then runs as that user (uid, gid and groups, real,
effective and saved, in /proc): it still serves srtpgwctl, its changes
still reach the gateway (whose agent socket the test opens to the group),
and after a restart its database is still written. It is never dumpable:
/proc/PID/status belongs to root even when it runs as another user (which makes
that visible), and its core file limit is 0. Without root, user is an
error. The socket is 0660 in a directory only root and the daemon may
write to: one it makes is 0750 with the socket's group; one that group or
others may write to, or that another user owns, is refused (exit 1, one
line), as is a file in the socket's place. Queries unseal no key: with
another key-encryption key, under which no stored key decrypts, they all
answer.
"""
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import SRTPGW_CONTROL, SRTPGWCTL, wait_for, wait_serving  # noqa: E402
from ctltest import ControlCase  # noqa: E402

GW4, PEER4 = '10.98.0.1', '10.98.0.2'
NOBODY, NOGROUP = 65534, 65534
USER = 40020          # a uid with no passwd entry, for a daemon started as it
OTHER = 40021


def proc_ids(pid):
    """Uid, Gid (real, effective, saved, fs) and Groups of pid."""
    out = {}
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            k, _, v = line.partition(':')
            if k in ('Uid', 'Gid', 'Groups'):
                out[k] = [int(x) for x in v.split()]
    return out


def core_limit(pid):
    with open('/proc/%d/limits' % pid) as f:
        for line in f:
            if line.startswith('Max core file size'):
                return line.split()[4:6]
    return None


class ControlDropsRoot(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']
    CONTROL_CONFIG = 'user = "nobody";\ngroup = "nogroup";'
    # the gateway lets the daemon's group in (SO_PEERCRED, docs/config.md)
    EXTRA_CONFIG = 'agent_allow_gids = ( "nogroup" );'

    @classmethod
    def ready(cls):
        # the gateway's side (not the daemon's): its agent socket open to
        # the daemon's group
        os.chmod(cls.gw.dir, 0o711)
        os.chown(cls.gw.sock, -1, NOGROUP)
        os.chmod(cls.gw.sock, 0o660)
        super().ready()

    def test_runs_as_its_user_and_still_serves(self):
        pid = self.control.proc.pid
        self.assertEqual(proc_ids(pid), {'Uid': [NOBODY] * 4, 'Gid': [NOGROUP] * 4, 'Groups': [NOGROUP]})
        self.assertEqual(core_limit(pid), ['0', '0'])
        # not dumpable (set again after the change of uid)
        self.assertEqual(os.stat('/proc/%d/status' % pid).st_uid, 0)
        self.assertIn('running as nobody (uid %d gid %d)' % (NOBODY, NOGROUP), self.control.read_log())
        st = os.stat(self.control.sock)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_gid), (0o660, NOGROUP))
        # changes reach the gateway
        gw0 = self.gw.status()
        self.ctl('owner', 'add', 'alice')
        self.ctl('stream', 'add', 'cam', '--owner', 'alice', '--listen', GW4 + ':24000')
        self.ctl('viewer', 'add', 'tv', '--stream', 'cam', '--to', PEER4 + ':7000')
        self.control.wait_applied()
        gw1 = self.gw.status()
        self.assertEqual((gw1['streams'], gw1['viewers']), (gw0['streams'] + 1, gw0['viewers'] + 1))
        # a restart as nobody: the database is still written
        self.assertEqual(self.control.stop(), 0)
        self.control.start()
        self.assertEqual(proc_ids(self.control.proc.pid)['Uid'], [NOBODY] * 4)
        self.assertEqual([s['name'] for s in self.ctl('stream', 'show')['streams']], ['cam'])
        self.ctl('viewer', 'del', 'tv')
        self.control.wait_applied()
        self.assertEqual(self.gw.status()['viewers'], gw0['viewers'])
        self.ctl('owner', 'del', 'alice')
        self.control.wait_applied()


    def test_listings_unseal_no_key(self):
        """Under another key-encryption key every stored key fails to
        decrypt; the queries, which never decrypt one, still answer."""
        self.ctl('owner', 'add', 'kim')
        self.ctl('stream', 'add', 'kcam', '--owner', 'kim', '--listen', GW4 + ':24010')
        self.ctl('viewer', 'add', 'ktv', '--stream', 'kcam', '--to', PEER4 + ':7010')
        self.control.wait_applied()
        want = {q: self.ctl(*q) for q in (('owner', 'list'), ('viewer', 'show'))}
        streams = self.ctl('stream', 'show')['streams']
        self.assertEqual(self.control.stop(), 0)
        with open(self.control.kek, 'rb') as f:
            kek = f.read()
        with open(self.control.kek, 'wb') as f:
            f.write(bytes(b ^ 0xff for b in kek))
        try:
            # the gateway has every change: nothing is pushed (unsealed)
            self.control.start()
            self.control.wait_applied()
            for q, result in want.items():
                self.assertEqual(self.ctl(*q), result)
            self.assertEqual([s['name'] for s in self.ctl('stream', 'show')['streams']], [s['name'] for s in streams])
            self.assertEqual([s['name'] for s in self.ctl('stats')['streams']], ['kcam'])
            # what needs a stored key says so
            r = self.ctl('stream', 'rekey', 'kcam', check=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn('cannot decrypt the stored key', r.stderr)
            self.assertEqual(self.control.stop(), 0)
        finally:
            with open(self.control.kek, 'wb') as f:
                f.write(kek)
        self.control.start()
        self.control.wait_applied()
        self.ctl('owner', 'del', 'kim')
        self.control.wait_applied()


class ControlStartup(unittest.TestCase):
    """The daemon alone (no gateway: it keeps retrying), each case in its own
    temporary directory."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix='sgw-privs-')
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        self.procs = []
        self.addCleanup(self.kill_all)

    def kill_all(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
                p.wait()

    def config(self, sockdir, extra=''):
        """A config with its socket in sockdir; returns (config, socket)."""
        sock = os.path.join(sockdir, 'control.sock')
        conf = os.path.join(self.dir, 'control.conf')
        with open(conf, 'w') as f:
            f.write('socket = "%s";\ndatabase = "%s/db/control.db";\nkek_file = "%s/db/kek";\n'
                    'agent_socket = "%s/agent.sock";\nlisten_addresses = [ "10.0.0.1" ];\nretry = 100;\n%s\n'
                    % (sock, self.dir, self.dir, self.dir, extra))
        return conf, sock

    def start(self, conf, sock, **kw):
        log = os.path.join(self.dir, 'control.log')
        with open(log, 'w') as f:
            p = subprocess.Popen([SRTPGW_CONTROL, '--config', conf], stdout=f, stderr=subprocess.STDOUT, **kw)
        self.procs.append(p)
        wait_serving(p, sock, 'srtpgw-control', lambda: open(log).read(), 20)
        return p

    def refused(self, conf, **kw):
        """The daemon exits 1 at once: its one error line."""
        r = subprocess.run([SRTPGW_CONTROL, '--config', conf], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30, **kw)
        self.assertEqual(r.returncode, 1, r.stdout)
        lines = [ln for ln in r.stdout.splitlines() if ': error: ' in ln]
        self.assertEqual(len(lines), 1, r.stdout)
        return lines[0]

    def stop(self, p):
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(20), 0)

    def test_not_dumpable_when_started_as_a_user(self):
        os.chown(self.dir, USER, USER)
        conf, sock = self.config(os.path.join(self.dir, 'run'))
        p = self.start(conf, sock, user=USER, group=USER, extra_groups=[])
        self.assertEqual(proc_ids(p.pid)['Uid'], [USER] * 4)
        # a dumpable process's /proc/PID/status is its uid's; this one's is root's
        self.assertEqual(os.stat('/proc/%d/status' % p.pid).st_uid, 0)
        self.assertEqual(core_limit(p.pid), ['0', '0'])
        # root and the daemon's own uid are admin
        for kw in ({}, {'user': USER, 'group': USER, 'extra_groups': []}):
            r = subprocess.run([SRTPGWCTL, '--socket', sock, 'whoami'], stdout=subprocess.PIPE, text=True, **kw)
            self.assertEqual(r.stdout.splitlines()[0], 'principal: admin')
        self.stop(p)
        # user needs root
        conf, sock = self.config(os.path.join(self.dir, 'run'), 'user = "nobody";')
        self.assertIn('user: becoming nobody needs root (running as uid %d)' % USER,
                      self.refused(conf, user=USER, group=USER, extra_groups=[]))

    def test_socket_directory(self):
        # made when missing: 0750, with the socket's group; the socket 0660
        run = os.path.join(self.dir, 'made', 'run')
        conf, sock = self.config(run, 'socket_group = "nogroup";')
        p = self.start(conf, sock)
        st = os.stat(run)
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid), (0o750, 0, NOGROUP))
        st = os.stat(sock)
        self.assertTrue(stat.S_ISSOCK(st.st_mode))
        self.assertEqual((stat.S_IMODE(st.st_mode), st.st_gid), (0o660, NOGROUP))
        # one daemon per socket
        self.assertIn('socket %s: another daemon serves it' % sock, self.refused(conf))
        self.stop(p)
        self.assertFalse(os.path.exists(sock))
        # directories others could replace the socket in
        for mode, who in ((0o777, 'anyone'), (0o1777, 'anyone'), (0o770, 'its group')):
            with self.subTest(mode=oct(mode)):
                d = os.path.join(self.dir, 'dir%o' % mode)
                os.mkdir(d)
                os.chmod(d, mode)
                conf, sock = self.config(d)
                self.assertIn('socket directory %s has mode %04o: %s may write to it and replace the socket; '
                              'use a directory only root and the daemon may write to (not /tmp)' % (d, mode, who),
                              self.refused(conf))
                self.assertEqual(os.listdir(d), [])
        d = os.path.join(self.dir, 'others')
        os.mkdir(d, 0o755)
        os.chown(d, OTHER, OTHER)
        conf, sock = self.config(d)
        self.assertIn('socket directory %s belongs to uid %d, not to root or the daemon (uid 0): it could replace '
                      'the socket' % (d, OTHER), self.refused(conf))
        # a file where the socket goes is not removed
        d = os.path.join(self.dir, 'file')
        os.mkdir(d, 0o750)
        conf, sock = self.config(d)
        with open(sock, 'w') as f:
            f.write('keep me')
        self.assertIn('socket %s: there is a file that is not a socket; not removing it' % sock, self.refused(conf))
        with open(sock) as f:
            self.assertEqual(f.read(), 'keep me')
        # a stale socket (a daemon killed) is replaced
        d = os.path.join(self.dir, 'stale')
        os.mkdir(d, 0o750)
        conf, sock = self.config(d)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(sock)
        s.close()
        self.stop(self.start(conf, sock))


if __name__ == '__main__':
    unittest.main(verbosity=2)
