"""srtpgwctl and srtpgw-control against the real srtpgw: owners, streams
(generated and given keys, listen ports from port_range or named), viewers
(of the stream's owner; of another owner only with a grant), grants, and
what show, list, stats and status print (text and --json).

SRTP from pylibsrtp with the key srtpgwctl printed at creation reaches the
viewers and decrypts with the keys printed for them. DESIGN invariant 6:
keys appear only in the output of the command that generated them; no show
output, no log line and no byte of the database holds one.
"""
import base64
import glob
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import assert_nothing_queued, b64, counter_deltas, new_key, wait_for  # noqa: E402
from ctltest import ControlCase, KEY_RE, Sender, ViewerSock, key_from_text, without_position  # noqa: E402

GW4, PEER4 = '10.91.0.1', '10.91.0.2'
NOISE = {'drop_icmp_other', 'drop_arp_other'}


class ControlCli(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']
    # ten ports: five even ones to hand out (the default quarantine, 60 s)
    CONTROL_CONFIG = 'port_range = [ 21000, 21009 ];'

    def viewer_sock(self, suite, key):
        return ViewerSock(self.sock(), suite, base64.b64decode(key))

    def sender(self, listen, suite, key, sid):
        addr, port = listen.rsplit(':', 1)
        return Sender(self.sock(), addr, int(port), suite, base64.b64decode(key), sid=sid)

    def drops(self):
        return {k: v for k, v in self.gw.counters().items() if k.startswith('drop_') and k not in NOISE}

    def assert_counts_agree(self):
        """status, owner list and the gateway count the same objects."""
        st = self.ctl('status')
        owners = self.ctl('owner', 'list')['owners']
        gw = self.gw.status()
        self.assertEqual((st['gateway'], st['applied_seq'], st['version']), ('connected', st['ctl_seq'], gw['version']))
        self.assertEqual(gw['ctl_seq'], st['ctl_seq'])
        self.assertEqual(st['owners'], len(owners))
        self.assertEqual(st['streams'], sum(o['streams'] for o in owners))
        self.assertEqual(st['viewers'], sum(o['viewers'] for o in owners))
        self.assertEqual((gw['streams'], gw['viewers']), (st['streams'], st['viewers']))
        return st

    # ---- tests -------------------------------------------------------------
    def test_keys_reach_viewers_and_are_shown_once(self):
        keys = []  # every key, base64: none may appear anywhere but where it was made
        r = self.ctl_run('owner', 'add', 'alice')
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, 'name: alice\n', ''))
        self.assertEqual(self.ctl('owner', 'add', 'bob'), {'name': 'bob'})

        # a generated key, text output: printed once with its SDP line
        r = self.ctl_run('stream', 'add', 'cam1', '--owner', 'alice', '--listen', GW4 + ':23000')
        self.assertEqual(r.returncode, 0, r.stderr)
        k_cam1 = key_from_text(r.stdout)
        keys.append(k_cam1)
        self.assertEqual(len(base64.b64decode(k_cam1)), 30)
        self.assertIn('\nsdp: a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\n' % k_cam1, r.stdout)
        self.assertTrue(r.stdout.startswith('name: cam1\nowner: alice\nlisten: %s:23000\n'
                                            'suite: AES_CM_128_HMAC_SHA1_80\n' % GW4), r.stdout)
        self.assertEqual(r.stdout.count(k_cam1), 2)
        # a given key (from standard input): not printed back
        given = b64(new_key('AEAD_AES_256_GCM'))
        keys.append(given)
        out = self.ctl('stream', 'add', 'cam2', '--owner', 'alice', '--listen', GW4 + ':23002',
                       '--suite', 'AEAD_AES_256_GCM', '--key', '-', input=given + '\n')
        self.assertEqual(out, {'name': 'cam2', 'owner': 'alice', 'listen': GW4 + ':23002',
                               'suite': 'AEAD_AES_256_GCM'})

        # viewers of the owner: generated keys in text and in JSON, a given one
        v1s = self.sock()
        r = self.ctl_run('viewer', 'add', 'v1', '--stream', 'cam1', '--to', '%s:%d' % (PEER4, v1s.getsockname()[1]))
        self.assertEqual(r.returncode, 0, r.stderr)
        k_v1 = key_from_text(r.stdout)
        keys.append(k_v1)
        v1 = ViewerSock(v1s, 'AES_CM_128_HMAC_SHA1_80', base64.b64decode(k_v1))
        v2s = self.sock()
        out = self.ctl('viewer', 'add', 'v2', '--stream', 'cam1', '--to', '%s:%d' % (PEER4, v2s.getsockname()[1]),
                       '--suite', 'AEAD_AES_128_GCM')
        keys.append(out['key'])
        self.assertEqual(out['sdp'], 'a=crypto:1 AEAD_AES_128_GCM inline:' + out['key'])
        self.assertEqual({k: v for k, v in out.items() if k not in ('key', 'sdp')},
                         {'name': 'v2', 'stream': 'cam1', 'owner': 'alice', 'suite': 'AEAD_AES_128_GCM',
                          'to': '%s:%d' % (PEER4, v2s.getsockname()[1])})
        v2 = ViewerSock(v2s, 'AEAD_AES_128_GCM', base64.b64decode(out['key']))
        k_v3 = b64(new_key('AES_CM_128_HMAC_SHA1_32'))
        keys.append(k_v3)
        v3 = self.viewer_sock('AES_CM_128_HMAC_SHA1_32', k_v3)
        out = self.ctl('viewer', 'add', 'v3', '--stream', 'cam2', '--to', '%s:%d' % (PEER4, v3.port),
                       '--suite', 'AES_CM_128_HMAC_SHA1_32', '--key', k_v3)
        self.assertNotIn('key', out)
        self.assertNotIn('sdp', out)

        # another owner's viewer: refused without a grant, nothing changed
        vbs = self.sock()
        to_b = '%s:%d' % (PEER4, vbs.getsockname()[1])
        before = self.snapshot()
        err = self.assert_ctl_fails(['viewer', 'add', 'vb', '--stream', 'cam1', '--to', to_b, '--owner', 'bob'],
                                    1, 'no grant', 'EPERM')
        self.assertIn('"bob" may not receive stream "cam1" of "alice"', err)
        self.assert_unchanged(before)
        self.assertEqual(self.ctl('grant', 'add', 'cam1', '--to', 'bob'), {'stream': 'cam1', 'to': 'bob'})
        out = self.ctl('viewer', 'add', 'vb', '--stream', 'cam1', '--to', to_b, '--owner', 'bob',
                       '--suite', 'AEAD_AES_256_GCM')
        self.assertEqual((out['owner'], out['suite']), ('bob', 'AEAD_AES_256_GCM'))
        keys.append(out['key'])
        vb = ViewerSock(vbs, 'AEAD_AES_256_GCM', base64.b64decode(out['key']))

        # SRTP with the printed keys, both ways
        cam1 = self.sender(GW4 + ':23000', 'AES_CM_128_HMAC_SHA1_80', k_cam1, sid=1)
        cam2 = self.sender(GW4 + ':23002', 'AEAD_AES_256_GCM', given, sid=2)
        sent1 = cam1.send(10)
        for v, name in ((v1, 'v1'), (v2, 'v2'), (vb, 'vb')):
            v.expect(self, sent1, name)
        v3.expect(self, cam2.send(6), 'v3')

        # what show, list, stats and status say (the stored position comes
        # with a sweep of the gateway: test_control_restart_roc.py)
        self.assertEqual(without_position(self.ctl('stream', 'show', 'cam1')['streams']), [{
            'name': 'cam1', 'owner': 'alice', 'listen': GW4 + ':23000', 'source': None,
            'suite': 'AES_CM_128_HMAC_SHA1_80', 'viewers': ['v1', 'v2', 'vb'], 'grants': ['bob'],
            'idle_timeout': 30, 'rekey_overlap_until': None, 'idle': False, 'kind': 'sdes'}])
        self.assertEqual(without_position(self.ctl('viewer', 'show', 'vb')['viewers']), [
            {'name': 'vb', 'stream': 'cam1', 'owner': 'bob', 'to': to_b, 'suite': 'AEAD_AES_256_GCM',
             'kind': 'sdes'}])
        self.assertEqual([v['name'] for v in self.ctl('viewer', 'show', '--stream', 'cam1')['viewers']],
                         ['v1', 'v2', 'vb'])
        owners = {o['name']: o for o in self.ctl('owner', 'list')['owners']}
        self.assertEqual((owners['alice'], owners['bob']), ({'name': 'alice', 'streams': 2, 'viewers': 3},
                                                            {'name': 'bob', 'streams': 0, 'viewers': 1}))
        wait_for(lambda: self.ctl('stats', '--stream', 'cam2')['streams'][0]['packets'] == 6, what='cam2 stats')
        stats = self.ctl('stats')
        by_name = {s['name']: s for s in stats['streams']}
        s1 = by_name['cam1']
        self.assertEqual((s1['owner'], s1['packets'], s1['auth_fail'], s1['replay_fail'], s1['other_fail'],
                          s1['idle'], s1['worker']), ('alice', 10, 0, 0, 0, False, 0))
        self.assertEqual(s1['bytes'], sum(len(p) for p in sent1))
        self.assertIsInstance(s1['idle_ms'], int)
        self.assertEqual(by_name['cam2']['packets'], 6)
        self.assertEqual([w['worker'] for w in stats['workers']], [0, 'agent'])
        self.assertGreaterEqual(stats['workers'][0]['rx'], 16)
        self.assertIn('srtp_auth', stats['drops'])
        self.assertEqual([s['name'] for s in self.ctl('stats', '--stream', 'cam1')['streams']], ['cam1'])
        st = self.assert_counts_agree()
        for k, n in (('owners', 2), ('streams', 2), ('viewers', 4)):
            self.assertGreaterEqual(st[k], n, k)

        # a stream rekey and a viewer rekey print new keys, once
        out = self.ctl('stream', 'rekey', 'cam1')
        self.assertEqual((out['name'], out['suite'], out['overlap']), ('cam1', 'AES_CM_128_HMAC_SHA1_80', 30))
        keys.append(out['key'])
        cam1.rekey('AES_CM_128_HMAC_SHA1_80', base64.b64decode(out['key']))
        r = self.ctl_run('viewer', 'rekey', 'v1')
        self.assertEqual(r.returncode, 0, r.stderr)
        keys.append(key_from_text(r.stdout))
        v1.rekey('AES_CM_128_HMAC_SHA1_80', base64.b64decode(keys[-1]))
        sent = cam1.send(5)
        for v, name in ((v1, 'v1 after its rekey'), (v2, 'v2'), (vb, 'vb')):
            v.expect(self, sent, name)
            assert_nothing_queued(v.sock)
        overlap = self.ctl('stream', 'show', 'cam1')['streams'][0]['rekey_overlap_until']
        self.assertIsInstance(overlap, int)

        # no key anywhere but in the replies above
        shows = [('stream', 'show'), ('stream', 'show', 'cam1'), ('stream', 'show', 'cam2'),
                 ('viewer', 'show'), ('viewer', 'show', 'v1'), ('viewer', 'show', 'vb'),
                 ('viewer', 'show', '--stream', 'cam1'), ('owner', 'list'), ('stats',),
                 ('stats', '--stream', 'cam1'), ('status',)]
        for args in shows:
            for mode in ((), ('--json',)):
                r = self.ctl_run(*(mode + args))
                self.assertEqual((r.returncode, r.stderr), (0, ''), args)
                for k in keys:
                    self.assertNotIn(k, r.stdout, '%s printed a key' % ' '.join(mode + args))
                self.assertIsNone(KEY_RE.search(r.stdout), '%s printed something like a key:\n%s'
                                  % (' '.join(mode + args), r.stdout))
                self.assertNotIn('inline:', r.stdout)
        # the daemon's own replies too (srtpgwctl would strip a misplaced key)
        raw = self.raw(*[{'v': 1, 'cmd': cmd, 'args': args} for cmd, args in (
            ('stream.show', {}), ('stream.show', {'name': 'cam1'}), ('viewer.show', {}),
            ('viewer.show', {'stream': 'cam1'}), ('owner.list', {}), ('stats', {}), ('status', {}))])
        self.assertEqual([r['ok'] for r in raw], [True] * 7)
        text = json.dumps(raw)
        for k in keys:
            self.assertNotIn(k, text)
        self.assertIsNone(KEY_RE.search(text))
        self.assertNotIn('"key"', text)
        log = self.control.read_log()
        for k in keys:
            self.assertNotIn(k, log)
        self.assertIsNone(KEY_RE.search(log), log)
        self.assert_no_key_in_database(keys)

        # cleanup; the revoked grant takes bob's viewer with it
        self.assertEqual(self.ctl('grant', 'del', 'cam1', '--to', 'bob'),
                         {'stream': 'cam1', 'to': 'bob', 'viewers': 1})
        self.assertEqual(self.ctl('owner', 'del', 'alice'), {'name': 'alice', 'streams': 2, 'viewers': 3})
        self.assertEqual(self.ctl('owner', 'del', 'bob'), {'name': 'bob', 'streams': 0, 'viewers': 0})
        self.assert_counts_agree()

    def assert_no_key_in_database(self, keys):
        """Neither the key bytes (nor the master key or salt alone) nor
        their base64 in the database, its WAL or shared memory file."""
        files = sorted(glob.glob(self.control.db + '*'))
        self.assertIn(self.control.db, files)
        data = b''
        for f in files:
            with open(f, 'rb') as fh:
                data += fh.read()
        self.assertGreater(len(data), 4096)
        for k in keys:
            raw = base64.b64decode(k)
            salt = 14 if len(raw) == 30 else 12
            for piece in (raw, raw[:-salt], raw[-salt:], k.encode()):
                self.assertNotIn(piece, data, 'key material in %s' % files)

    def test_listen_ports(self):
        """Ports from port_range: the lowest free even one; a named port;
        a deleted stream's port quarantined (default 60 s); the range used
        up: ENOSPC and nothing changed."""
        self.ctl('owner', 'add', 'pa')

        def add(name, *extra):
            return self.ctl('stream', 'add', name, '--owner', 'pa', *extra)['listen']
        self.assertEqual(add('pa1'), GW4 + ':21000')
        self.assertEqual(add('pa2', '--listen', GW4), GW4 + ':21002')
        self.assertEqual(add('pa3', '--listen', GW4 + ':21004'), GW4 + ':21004')
        self.assertEqual(add('pa4', '--listen', GW4 + ':25001'), GW4 + ':25001')  # outside the range, odd
        self.assertEqual(add('pa5'), GW4 + ':21006')
        self.assertEqual(self.ctl('stream', 'del', 'pa2'), {'name': 'pa2', 'viewers': 0})
        self.assertEqual(add('pa6'), GW4 + ':21008')  # not the quarantined 21002
        before = self.snapshot()
        self.assert_ctl_fails(['stream', 'add', 'pa7', '--owner', 'pa'], 1, 'no free listen port in 21000..21009',
                              'ENOSPC')
        self.assert_ctl_fails(['stream', 'add', 'pa7', '--owner', 'pa', '--listen', GW4 + ':21002'], 1,
                              'quarantine', 'EADDRINUSE')
        self.assert_ctl_fails(['stream', 'add', 'pa7', '--owner', 'pa', '--listen', GW4 + ':25001'], 1,
                              'in use', 'EADDRINUSE')
        self.assert_unchanged(before)
        show = {s['name']: s for s in without_position(self.ctl('stream', 'show')['streams']) if s['owner'] == 'pa'}
        self.assertEqual(sorted(show), ['pa1', 'pa3', 'pa4', 'pa5', 'pa6'])
        self.assertEqual(show['pa5'], {'name': 'pa5', 'owner': 'pa', 'listen': GW4 + ':21006', 'source': None,
                                       'suite': 'AES_CM_128_HMAC_SHA1_80', 'viewers': [], 'grants': [],
                                       'idle_timeout': 30, 'rekey_overlap_until': None, 'idle': True,
                                       'kind': 'sdes'})
        self.assertEqual(self.ctl('owner', 'del', 'pa'), {'name': 'pa', 'streams': 5, 'viewers': 0})
        self.assert_counts_agree()

    def test_owner_delete_takes_everything_in_one_transaction(self):
        self.ctl('owner', 'add', 'carol')
        self.ctl('owner', 'add', 'dave')
        c1 = self.ctl('stream', 'add', 'c1', '--owner', 'carol', '--listen', GW4 + ':23010')
        self.ctl('stream', 'add', 'c2', '--owner', 'carol', '--listen', GW4 + ':23012')
        d1 = self.ctl('stream', 'add', 'd1', '--owner', 'dave', '--listen', GW4 + ':23014')
        self.ctl('grant', 'add', 'c1', '--to', 'dave')
        self.ctl('grant', 'add', 'd1', '--to', 'carol')
        viewers = {}
        for name, stream, owner in (('c1a', 'c1', 'carol'), ('c1b', 'c1', 'carol'), ('c1d', 'c1', 'dave'),
                                    ('c2a', 'c2', 'carol'), ('d1a', 'd1', 'dave'), ('d1c', 'd1', 'carol')):
            s = self.sock()
            out = self.ctl('viewer', 'add', name, '--stream', stream, '--owner', owner,
                           '--to', '%s:%d' % (PEER4, s.getsockname()[1]))
            viewers[name] = ViewerSock(s, out['suite'], base64.b64decode(out['key']))
        cam_c1 = self.sender(c1['listen'], c1['suite'], c1['key'], sid=11)
        cam_d1 = self.sender(d1['listen'], d1['suite'], d1['key'], sid=12)
        sent = cam_c1.send(3)
        for name in ('c1a', 'c1b', 'c1d'):
            viewers[name].expect(self, sent, name)
        sent = cam_d1.send(3)
        for name in ('d1a', 'd1c'):
            viewers[name].expect(self, sent, name)

        gw0 = self.gw.status()
        self.assertEqual(self.ctl('owner', 'del', 'carol'), {'name': 'carol', 'streams': 2, 'viewers': 5})
        gw1 = self.gw.status()
        # one transaction: one new version with all of it gone
        self.assertEqual(gw1['version'], gw0['version'] + 1)
        self.assertEqual((gw1['streams'], gw1['viewers']), (gw0['streams'] - 2, gw0['viewers'] - 5))
        self.assertEqual([o['name'] for o in self.ctl('owner', 'list')['owners'] if o['name'] in ('carol', 'dave')],
                         ['dave'])
        names = {s['name'] for s in self.ctl('stream', 'show')['streams']}
        self.assertFalse({'c1', 'c2'} & names)
        self.assertEqual(self.ctl('stream', 'show', 'd1')['streams'][0]['grants'], [])
        self.assertEqual(self.ctl('stream', 'show', 'd1')['streams'][0]['viewers'], ['d1a'])
        left = {v['name'] for v in self.ctl('viewer', 'show')['viewers']}
        self.assertFalse({'c1a', 'c1b', 'c1d', 'c2a', 'd1c'} & left)
        self.assert_counts_agree()

        # the next packets of carol's stream find no flow; dave's sentinel
        # (same socket, after them) reaches only dave's own viewer
        before = self.drops()
        cam_d1.sock = cam_c1.sock
        cam_c1.send(9)
        viewers['d1a'].expect(self, cam_d1.send(1), 'd1a')
        for v in viewers.values():
            assert_nothing_queued(v.sock)

        def no_flow():
            d = counter_deltas(before, self.drops())
            return d if d.get('drop_no_flow', 0) >= 9 else None
        self.assertEqual(wait_for(no_flow, what='9 drop_no_flow'), {'drop_no_flow': 9})
        self.ctl('owner', 'del', 'dave')
        self.assert_counts_agree()

    def test_unknown_objects(self):
        """Names that do not exist: exit 1, ENOENT, nothing changed."""
        self.ctl('owner', 'add', 'erin')
        self.ctl('stream', 'add', 'e1', '--owner', 'erin', '--listen', GW4 + ':23020')
        before = self.snapshot()
        for args, text in ((['owner', 'del', 'nobody'], 'no owner named "nobody"'),
                           (['stream', 'add', 'e2', '--owner', 'nobody'], 'no owner named "nobody"'),
                           (['stream', 'del', 'nothing'], 'no stream named "nothing"'),
                           (['stream', 'rekey', 'nothing'], 'no stream named "nothing"'),
                           (['viewer', 'add', 'ev', '--stream', 'nothing', '--to', PEER4 + ':5000'],
                            'no stream named "nothing"'),
                           (['viewer', 'add', 'ev', '--stream', 'e1', '--to', PEER4 + ':5000', '--owner', 'nobody'],
                            'no owner named "nobody"'),
                           (['viewer', 'del', 'nothing'], 'no viewer named "nothing"'),
                           (['viewer', 'rekey', 'nothing'], 'no viewer named "nothing"'),
                           (['grant', 'add', 'e1', '--to', 'nobody'], 'no owner named "nobody"'),
                           (['grant', 'add', 'nothing', '--to', 'erin'], 'no stream named "nothing"'),
                           (['grant', 'del', 'e1', '--to', 'erin'], None),
                           (['stats', '--stream', 'nothing'], 'no stream named "nothing"')):
            self.assert_ctl_fails(args, 1, text)
        self.assert_unchanged(before)
        self.ctl('owner', 'del', 'erin')


if __name__ == '__main__':
    unittest.main(verbosity=2)
