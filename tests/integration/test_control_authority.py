"""Authority on srtpgw-control's UNIX socket (docs/control.md, "Principals",
"Tokens"): every request acts for a principal, admin or one owner.

srtpgwctl runs as other uids (the socket's group lets them connect): the
daemon maps each by SO_PEERCRED and SO_PEERGROUPS through principals in
control.conf; root is admin; an unmapped peer is refused. An owner
principal changes only its own objects (each refusal exit 4, EACCES, one
line naming the missing right, nothing changed in the daemon or the
gateway), adds viewers to its own streams and to streams it holds a grant
on, and sees only what it may. Its changes reach the gateway: packets flow
to the viewer an owner added. Bearer tokens: made by admin or by an owner
for itself, shown once, stored as SHA-256, listed without the token, used
with --token or $SRTPGW_TOKEN, refused once deleted or expired (with its
own error), gone with their owner, never in a log; a token cannot make a
token. A database from before tokens gets their table.
"""
import base64
import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import SRTPGWCTL, assert_nothing_queued, wait_for  # noqa: E402
from ctltest import ControlCase, Sender, ViewerSock  # noqa: E402

GW4, PEER4 = '10.96.0.1', '10.96.0.2'
NOGROUP = 65534                  # the socket's group: its members may connect
ALICE, BOB, GHOST, STRANGER = 40001, 40002, 40003, 40009
ADMINS_GID = 40100               # mapped to admin as a group


class ControlAuthority(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']
    CONTROL_CONFIG = '''socket_group = "nogroup";
principals = (
  { uid = %d; principal = "alice"; },
  { uid = %d; principal = "bob"; },
  { uid = %d; principal = "ghost"; },
  { gid = %d; principal = "admin"; }
);''' % (ALICE, BOB, GHOST, ADMINS_GID)

    @classmethod
    def ready(cls):
        # the test's temporary directory (mkdtemp: 0700) must let the
        # other uids reach the socket below it
        os.chmod(cls.gw.dir, 0o711)
        super().ready()
        for o in ('alice', 'bob', 'carol'):
            cls.control.ctl('owner', 'add', o)
        cls.control.ctl('stream', 'add', 'alice-cam', '--owner', 'alice', '--listen', GW4 + ':24000')
        cls.control.ctl('stream', 'add', 'bob-cam', '--owner', 'bob', '--listen', GW4 + ':24002')

    def run_as(self, uid, *args, gid=NOGROUP, groups=(), env=None):
        """srtpgwctl --json ARGS as uid: the CompletedProcess."""
        e = {k: v for k, v in os.environ.items() if k != 'SRTPGW_TOKEN'}
        e.update(env or {})
        return subprocess.run([SRTPGWCTL, '--socket', self.control.sock, '--json'] + list(args),
                              user=uid, group=gid, extra_groups=list(groups), env=e,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)

    def as_(self, uid, *args, **kw):
        """The result of srtpgwctl --json ARGS as uid; fails unless it succeeded."""
        r = self.run_as(uid, *args, **kw)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)

    def assert_denied(self, uid, args, error, code='EACCES', **kw):
        """Exit 4, the one line error, the code in the JSON."""
        r = self.run_as(uid, *args, **kw)
        self.assertEqual((r.returncode, r.stderr), (4, 'srtpgwctl: %s\n' % error), args)
        self.assertEqual(json.loads(r.stdout), {'error': error, 'code': code})

    def tokens_in_db(self):
        with sqlite3.connect('file:%s?mode=ro' % self.control.db, uri=True) as db:
            return db.execute('SELECT name, hash, expires FROM tokens ORDER BY name').fetchall()

    # ---- who is who ----------------------------------------------------------
    def test_peers_map_to_principals(self):
        self.assertEqual(self.ctl('whoami'), {'principal': 'admin', 'via': 'uid 0 gid 0'})
        self.assertEqual(self.as_(ALICE, 'whoami'), {'principal': 'alice', 'via': 'uid %d gid %d' % (ALICE, NOGROUP)})
        self.assertEqual(self.as_(BOB, 'whoami')['principal'], 'bob')
        # a group, primary or supplementary (SO_PEERGROUPS)
        self.assertEqual(self.as_(40005, 'whoami', groups=[ADMINS_GID])['principal'], 'admin')
        self.assertEqual(self.as_(40006, 'whoami', gid=ADMINS_GID, groups=[NOGROUP])['principal'], 'admin')
        # the uid entry comes first
        self.assertEqual(self.as_(ALICE, 'whoami', groups=[ADMINS_GID])['principal'], 'alice')
        before = self.snapshot()
        self.assert_denied(STRANGER, ['whoami'], 'permission denied: uid %d gid %d is not mapped to a principal '
                           '(principals in control.conf) and sent no token' % (STRANGER, NOGROUP))
        self.assert_denied(STRANGER, ['owner', 'add', 'mallory'], 'permission denied: uid %d gid %d is not mapped '
                           'to a principal (principals in control.conf) and sent no token' % (STRANGER, NOGROUP))
        self.assert_denied(GHOST, ['stream', 'show'], 'permission denied: uid %d gid %d acts for owner "ghost", '
                           'which does not exist' % (GHOST, NOGROUP))
        self.assert_unchanged(before)
        # outside the socket's group: the socket itself is closed to it
        r = self.run_as(ALICE, 'whoami', gid=ALICE)
        self.assertEqual(r.returncode, 3)
        self.assertEqual(r.stderr, 'srtpgwctl: cannot connect to %s: Permission denied\n' % self.control.sock)

    # ---- an owner's rights ---------------------------------------------------
    def test_owner_changes_only_its_own(self):
        to = '%s:%d' % (PEER4, 7000)
        # the example: a viewer for alice on alice's stream, to
        # anywhere, asked by bob
        before = self.snapshot()
        refusals = [
            (BOB, ['viewer', 'add', 'x1', '--owner', 'alice', '--stream', 'alice-cam', '--to', to],
             'owner bob may not add viewers for owner alice'),
            (BOB, ['viewer', 'add', 'x1', '--stream', 'alice-cam', '--to', to],
             'owner bob may not add viewers to stream alice-cam (not bob\'s, no grant)'),
            (ALICE, ['stream', 'add', 'x2', '--owner', 'bob'], 'owner alice may not add streams for owner bob'),
            (ALICE, ['stream', 'del', 'bob-cam'], 'owner alice may not delete stream bob-cam (not alice\'s)'),
            (ALICE, ['stream', 'rekey', 'bob-cam'], 'owner alice may not rekey stream bob-cam (not alice\'s)'),
            (ALICE, ['grant', 'add', 'bob-cam', '--to', 'alice'],
             'owner alice may not grant stream bob-cam (not alice\'s)'),
            (ALICE, ['grant', 'del', 'bob-cam', '--to', 'carol'],
             'owner alice may not withdraw grants on stream bob-cam (not alice\'s)'),
            (ALICE, ['owner', 'add', 'dave'], 'owner alice may not add owners (admin only)'),
            (ALICE, ['owner', 'del', 'bob'], 'owner alice may not delete owners (admin only)'),
            (ALICE, ['owner', 'del', 'alice'], 'owner alice may not delete owners (admin only)'),
            (ALICE, ['token', 'add', '--owner', 'bob'], 'owner alice may not make tokens for owner bob'),
            (ALICE, ['token', 'list', '--owner', 'bob'], 'owner alice may not list the tokens for owner bob'),
            (ALICE, ['viewer', 'show', '--stream', 'bob-cam'],
             'owner alice may not see the viewers of stream bob-cam (not alice\'s, no grant)'),
        ]
        for uid, args, error in refusals:
            with self.subTest(args=args):
                self.assert_denied(uid, args, 'permission denied: ' + error)
        self.assert_unchanged(before)

        # her own: a viewer on her stream receives what the camera sends
        cam_key = self.ctl('stream', 'rekey', 'alice-cam')['key']
        sock = self.sock()
        out = self.as_(ALICE, 'viewer', 'add', 'alice-tv', '--stream', 'alice-cam', '--suite', 'AEAD_AES_128_GCM',
                       '--to', '%s:%d' % (PEER4, sock.getsockname()[1]))
        self.assertEqual((out['owner'], out['stream']), ('alice', 'alice-cam'))
        tv = ViewerSock(sock, 'AEAD_AES_128_GCM', base64.b64decode(out['key']))
        cam = Sender(self.sock(), GW4, 24000, 'AES_CM_128_HMAC_SHA1_80', base64.b64decode(cam_key))
        tv.expect(self, cam.send(5), "alice's viewer")

        # bob's viewer on his own stream; bob's, then alice's, viewers on
        # each other's streams once granted
        self.as_(BOB, 'viewer', 'add', 'bob-tv', '--stream', 'bob-cam', '--to', to)
        self.as_(ALICE, 'grant', 'add', 'alice-cam', '--to', 'bob')
        bobs_sock = self.sock()
        out = self.as_(BOB, 'viewer', 'add', 'bob-on-alice', '--stream', 'alice-cam', '--suite', 'AEAD_AES_128_GCM',
                       '--to', '%s:%d' % (PEER4, bobs_sock.getsockname()[1]))
        self.assertEqual(out['owner'], 'bob')
        bobs_tv = ViewerSock(bobs_sock, 'AEAD_AES_128_GCM', base64.b64decode(out['key']))
        sent = cam.send(4)
        tv.expect(self, sent, "alice's viewer")
        bobs_tv.expect(self, sent, "bob's granted viewer")
        self.as_(BOB, 'grant', 'add', 'bob-cam', '--to', 'alice')
        self.as_(ALICE, 'viewer', 'add', 'alice-on-bob', '--stream', 'bob-cam', '--to', to)

        # what each sees: alice her stream in full, bob's granted one
        # without where it comes from; her viewers and those on her stream
        streams = {s['name']: s for s in self.as_(ALICE, 'stream', 'show')['streams']}
        self.assertEqual(set(streams), {'alice-cam', 'bob-cam'})
        self.assertEqual(streams['alice-cam']['listen'], GW4 + ':24000')
        self.assertEqual(sorted(streams['alice-cam']['viewers']), ['alice-tv', 'bob-on-alice'])
        self.assertEqual(streams['alice-cam']['grants'], ['bob'])
        self.assertEqual({k: v for k, v in streams['bob-cam'].items() if k != 'idle'},
                         {'name': 'bob-cam', 'owner': 'bob', 'granted': True, 'viewers': ['alice-on-bob'],
                          'grants': ['alice']})
        r = subprocess.run([SRTPGWCTL, '--socket', self.control.sock, 'stream', 'show'], user=ALICE, group=NOGROUP,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        line = [ln for ln in r.stdout.splitlines() if ln.startswith('bob-cam')][0]
        self.assertEqual(line.split(), ['bob-cam', 'bob', '-', '-', '-', '-', '-', '1', 'alice', '-', '-'])
        viewers = {v['name'] for v in self.as_(ALICE, 'viewer', 'show')['viewers']}
        self.assertEqual(viewers, {'alice-tv', 'bob-on-alice', 'alice-on-bob'})
        self.assertEqual({v['name'] for v in self.as_(ALICE, 'viewer', 'show', '--stream', 'bob-cam')['viewers']},
                         {'alice-on-bob'})
        self.assertEqual(self.as_(ALICE, 'owner', 'list'), {'owners': [{'name': 'alice', 'streams': 1, 'viewers': 2}]})
        status = self.as_(ALICE, 'status')
        self.assertEqual((status['owners'], status['streams'], status['viewers']), (1, 1, 2))
        stats = self.as_(ALICE, 'stats')
        self.assertEqual([s['name'] for s in stats['streams']], ['alice-cam'])
        self.assertNotIn('workers', stats)
        self.assertNotIn('drops', stats)
        self.assert_denied(ALICE, ['stats', '--stream', 'bob-cam'],
                           'permission denied: owner alice may not see the counters of stream bob-cam (not alice\'s)')

        # a viewer goes by its owner, or by the owner of its stream; its
        # key changes only by its owner
        before = self.snapshot()
        self.assert_denied(ALICE, ['viewer', 'del', 'bob-tv'], 'permission denied: owner alice may not delete '
                           'viewer bob-tv (not alice\'s, nor on a stream of alice\'s)')
        self.assert_denied(ALICE, ['viewer', 'rekey', 'bob-on-alice'],
                           'permission denied: owner alice may not rekey viewer bob-on-alice (not alice\'s)')
        self.assert_unchanged(before)
        self.assertEqual(self.as_(ALICE, 'viewer', 'del', 'bob-on-alice'), {'name': 'bob-on-alice'})
        sent = cam.send(3)
        tv.expect(self, sent, "alice's viewer")
        assert_nothing_queued(bobs_tv.sock)
        # bob withdraws his grant: alice's viewer on his stream goes with it
        self.assertEqual(self.as_(BOB, 'grant', 'del', 'bob-cam', '--to', 'alice'),
                         {'stream': 'bob-cam', 'to': 'alice', 'viewers': 1})
        for name in ('alice-tv', 'bob-tv'):
            self.ctl('viewer', 'del', name)
        self.ctl('grant', 'del', 'alice-cam', '--to', 'bob')
        self.control.wait_applied()

    # ---- tokens --------------------------------------------------------------
    def test_tokens(self):
        seq = self.ctl('status')['ctl_seq']
        made = self.ctl('token', 'add', '--owner', 'alice', '--name', 'app1')
        token = made['token']
        self.assertRegex(token, r'^sgwt_[A-Za-z0-9_-]{43}$')
        self.assertEqual(set(made), {'name', 'owner', 'created', 'expires', 'token'})
        self.assertEqual((made['name'], made['owner'], made['expires']), ('app1', 'alice', None))
        # stored as its SHA-256, nothing else
        self.assertEqual(self.tokens_in_db(), [('app1', hashlib.sha256(token.encode()).digest(), 0)])
        with open(self.control.db, 'rb') as f:
            self.assertNotIn(token.encode(), f.read())
        listed = self.ctl('token', 'list')['tokens']
        self.assertEqual(listed, [{'name': 'app1', 'owner': 'alice', 'created': made['created'], 'expires': None,
                                   'expired': False}])
        r = self.ctl_run('token', 'list')
        self.assertNotIn(token, r.stdout)
        self.assertEqual(r.stdout.splitlines()[0].split(), ['NAME', 'OWNER', 'CREATED', 'EXPIRES', 'STATE'])
        self.assertEqual(r.stdout.splitlines()[1].split()[-2:], ['never', 'valid'])
        # no admin tokens
        r = self.ctl('token', 'add', check=False)
        self.assertEqual((r.returncode, json.loads(r.stdout)['code']), (1, 'EINVAL'))
        self.assertIn('owner is required (tokens act for one owner; there are no admin tokens)', r.stderr)

        # a peer nobody mapped acts for alice with it: the variable, the option
        self.assertEqual(self.as_(STRANGER, 'whoami', env={'SRTPGW_TOKEN': token}),
                         {'principal': 'alice', 'via': 'token "app1"'})
        self.assertEqual(self.as_(STRANGER, '--token', token, 'whoami')['principal'], 'alice')
        # a token overrides the peer: root acts for alice with it
        self.assertEqual(self.ctl('--token', token, 'whoami')['principal'], 'alice')
        self.as_(STRANGER, 'viewer', 'add', 'app-tv', '--stream', 'alice-cam', '--to', PEER4 + ':7100',
                 env={'SRTPGW_TOKEN': token})
        self.assertEqual(self.ctl('viewer', 'show', 'app-tv')['viewers'][0]['owner'], 'alice')
        before = self.snapshot()
        self.assert_denied(STRANGER, ['stream', 'del', 'bob-cam'],
                           'permission denied: owner alice may not delete stream bob-cam (not alice\'s)',
                           env={'SRTPGW_TOKEN': token})
        # a leaked token cannot outlive its deletion by making others
        self.assert_denied(STRANGER, ['token', 'add'], 'permission denied: owner alice may not make tokens with a '
                           'token (as a mapped user or with a certificate only)', env={'SRTPGW_TOKEN': token})
        self.assert_denied(STRANGER, ['whoami'], 'permission denied: the token is not valid (unknown or deleted)',
                           env={'SRTPGW_TOKEN': 'sgwt_' + 'A' * 43})
        self.assert_unchanged(before)
        self.assertEqual(len(self.tokens_in_db()), 1)

        # alice (by her uid) makes her own, not bob's; bob cannot delete hers
        own = self.as_(ALICE, 'token', 'add', '--name', 'app2', '--expires', '30d')
        self.assertEqual(own['owner'], 'alice')
        self.assertEqual(own['expires'] - own['created'], 30 * 86400)
        self.assert_denied(BOB, ['token', 'del', 'app2'],
                           'permission denied: owner bob may not delete token app2 (not bob\'s)')
        self.assertEqual([t['name'] for t in self.as_(BOB, 'token', 'list')['tokens']], [])
        self.assertEqual([t['name'] for t in self.as_(ALICE, 'token', 'list')['tokens']], ['app1', 'app2'])
        # deleted: refused at once
        self.assertEqual(self.as_(ALICE, 'token', 'del', 'app1'), {'name': 'app1', 'owner': 'alice'})
        self.assert_denied(STRANGER, ['whoami'], 'permission denied: the token is not valid (unknown or deleted)',
                           env={'SRTPGW_TOKEN': token})
        # expired: its own error
        short = self.ctl('token', 'add', '--owner', 'alice', '--name', 'short', '--expires', '1s')

        def expired():
            r = self.run_as(STRANGER, 'whoami', env={'SRTPGW_TOKEN': short['token']})
            return r.returncode == 4 and r
        r = wait_for(expired, 10, 'the token to expire', interval=0.2)
        self.assertRegex(r.stderr, r'^srtpgwctl: permission denied: token "short" expired at '
                         r'\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n$')
        self.assertEqual(json.loads(r.stdout)['code'], 'EKEYEXPIRED')
        self.assertTrue(self.ctl('token', 'list', '--owner', 'alice')['tokens'][1]['expired'])
        # tokens are not changes of the gateway's state
        self.assertEqual(self.ctl('status')['ctl_seq'], seq + 1)  # the viewer
        # the log says who was refused, never a token
        log = self.control.read_log()
        self.assertIn('refused', log)
        for t in (token, own['token'], short['token']):
            self.assertNotIn(t, log)
        self.ctl('viewer', 'del', 'app-tv')
        for name in ('app2', 'short'):
            self.ctl('token', 'del', name)

    def test_tokens_go_with_their_owner(self):
        self.ctl('owner', 'add', 'erin')
        token = self.ctl('token', 'add', '--owner', 'erin', '--name', 'erin-app')['token']
        self.assertEqual(self.as_(STRANGER, '--token', token, 'whoami')['principal'], 'erin')
        self.assertEqual(self.ctl('owner', 'del', 'erin'), {'name': 'erin', 'streams': 0, 'viewers': 0})
        self.assertEqual([t for t in self.tokens_in_db() if t[0] == 'erin-app'], [])
        self.assert_denied(STRANGER, ['--token', token, 'whoami'],
                           'permission denied: the token is not valid (unknown or deleted)')
        # an owner of the same name later is not given them
        self.ctl('owner', 'add', 'erin')
        self.assert_denied(STRANGER, ['--token', token, 'whoami'],
                           'permission denied: the token is not valid (unknown or deleted)')
        self.ctl('owner', 'del', 'erin')

    def test_admin_is_not_an_owner_name(self):
        before = self.snapshot()
        r = self.ctl('owner', 'add', 'admin', check=False)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'srtpgwctl: "admin" is the administrator principal\'s name, not an owner\'s\n')
        self.assert_unchanged(before)


if __name__ == '__main__':
    unittest.main(verbosity=2)
