"""DESIGN invariant 7 for the control plane: a malformed or refused
request gets a clear error and changes nothing, neither in the daemon
(objects, change counter) nor in the gateway (version, counts).

Through srtpgwctl (exit 1: refused by the daemon, 2: usage error, nothing
sent) and, for what srtpgwctl would not send, raw over the UNIX socket:
unknown suites, keys of the wrong length, bad addresses, listen addresses
the gateway does not have, duplicate names and ports, quarantined ports,
bad names, oversized, truncated and non-JSON requests, the wrong protocol
version. Also the make-before-break rekey: a camera switching to the new
key during the overlap loses nothing; after it the old key fails.
"""
import base64
import json
import os
import socket
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import b64, counter_deltas, new_key, wait_for  # noqa: E402
from ctltest import Camera, ControlCase, Receiver, assert_all_received  # noqa: E402

GW4, PEER4 = '10.95.0.1', '10.95.0.2'
OTHER4 = '10.95.0.9'  # not a listen address of the gateway
MAX_LINE = 65536
QUARANTINE = 4  # s


class ControlBadInput(ControlCase):
    GW4, PEER4 = GW4, PEER4
    PEER_ADDRS = [PEER4 + '/24']
    CONTROL_CONFIG = 'port_range = [ 22000, 22009 ];\nquarantine = %d;\nrekey_overlap = 3;' % QUARANTINE

    @classmethod
    def ready(cls):
        super().ready()
        c = cls.control
        c.ctl('owner', 'add', 'own')
        c.ctl('owner', 'add', 'other')
        c.ctl('stream', 'add', 'cam', '--owner', 'own', '--listen', GW4 + ':24000')
        c.ctl('viewer', 'add', 'tv', '--stream', 'cam', '--to', PEER4 + ':5000')

    def assert_refused(self, reply, code, text=None):
        self.assertIs(reply['ok'], False, reply)
        self.assertEqual(reply['code'], code, reply)
        self.assertNotIn('\n', reply['error'])
        self.assertGreater(len(reply['error']), 5)
        if text:
            self.assertIn(text, reply['error'])
        self.assertEqual(set(reply), {'ok', 'error', 'code'})

    # ---- srtpgwctl ---------------------------------------------------------
    def test_cli_refusals_change_nothing(self):
        k30, k28 = b64(new_key('AES_CM_128_HMAC_SHA1_80')), b64(new_key('AEAD_AES_128_GCM'))
        before = self.snapshot()
        cases = [
            # unknown suites: srtpgwctl knows the list
            (['stream', 'add', 's1', '--owner', 'own', '--suite', 'AES_CM_256_HMAC_SHA1_80'], 2, 'unknown suite', None),
            (['viewer', 'add', 'v1', '--stream', 'cam', '--to', PEER4 + ':5002', '--suite', 'NULL'], 2,
             'unknown suite', None),
            # keys of the wrong length or not base64: the daemon checks
            (['stream', 'add', 's1', '--owner', 'own', '--key', k28], 1,
             'AES_CM_128_HMAC_SHA1_80 needs base64 of 30 bytes', 'EINVAL'),
            (['stream', 'add', 's1', '--owner', 'own', '--suite', 'AEAD_AES_128_GCM', '--key', k30], 1,
             'AEAD_AES_128_GCM needs base64 of 28 bytes', 'EINVAL'),
            (['stream', 'add', 's1', '--owner', 'own', '--suite', 'AEAD_AES_256_GCM', '--key', k30 + 'AAAA'], 1,
             'needs base64 of 44 bytes', 'EINVAL'),
            (['stream', 'add', 's1', '--owner', 'own', '--key', '!' * 40], 1, 'needs base64', 'EINVAL'),
            (['viewer', 'add', 'v1', '--stream', 'cam', '--to', PEER4 + ':5002', '--key', k30[:-4]], 1,
             'needs base64 of 30 bytes', 'EINVAL'),
            (['stream', 'rekey', 'cam', '--key', k28], 1, 'needs base64 of 30 bytes', 'EINVAL'),
            (['viewer', 'rekey', 'tv', '--key', k28], 1, 'needs base64 of 30 bytes', 'EINVAL'),
            # bad addresses
            (['viewer', 'add', 'v1', '--stream', 'cam', '--to', PEER4], 2, 'bad address', None),
            (['viewer', 'add', 'v1', '--stream', 'cam', '--to', '300.1.2.3:5000'], 2, 'bad address', None),
            (['viewer', 'add', 'v1', '--stream', 'cam', '--to', PEER4 + ':70000'], 2, 'bad address', None),
            (['stream', 'add', 's1', '--owner', 'own', '--listen', 'gateway'], 2, 'bad address', None),
            (['stream', 'add', 's1', '--owner', 'own', '--source', '1.2.3:4'], 2, 'bad address', None),
            # a listen address the gateway does not have
            (['stream', 'add', 's1', '--owner', 'own', '--listen', OTHER4 + ':24002'], 1,
             '%s is not one of the gateway\'s listen_addresses' % OTHER4, 'EADDRNOTAVAIL'),
            (['stream', 'add', 's1', '--owner', 'own', '--listen', '[fd95::1]:24002'], 1,
             'not one of the gateway\'s listen_addresses', 'EADDRNOTAVAIL'),
            # a viewer the gateway cannot route: it refuses, the change is rolled back
            (['viewer', 'add', 'v1', '--stream', 'cam', '--to', '192.0.2.5:5000'], 1,
             'gateway: op 0 (viewer_add): no route to 192.0.2.5', 'EHOSTUNREACH'),
            # duplicates
            (['owner', 'add', 'own'], 1, 'an owner named "own" exists', 'EEXIST'),
            (['stream', 'add', 'cam', '--owner', 'other', '--listen', GW4 + ':24002'], 1,
             'a stream named "cam" exists', 'EEXIST'),
            (['viewer', 'add', 'tv', '--stream', 'cam', '--to', PEER4 + ':5002'], 1,
             'a viewer named "tv" exists', 'EEXIST'),
            (['stream', 'add', 's1', '--owner', 'other', '--listen', GW4 + ':24000'], 1,
             'port 24000 is in use by another stream', 'EADDRINUSE'),
            # names
            (['owner', 'add', 'a b'], 2, 'bad NAME', None),
            (['owner', 'add', '../etc'], 2, 'bad NAME', None),
            (['owner', 'add', 'x' * 64], 2, 'bad NAME', None),
            (['owner', 'add', 'caf\u00e9'], 2, 'bad NAME', None),
            (['stream', 'add', 's;1', '--owner', 'own'], 2, 'bad NAME', None),
            (['viewer', 'add', 'v1', '--stream', 'cam$', '--to', PEER4 + ':5002'], 2, 'bad', None),
            # options that do not go together, missing ones
            (['stream', 'add', 's1', '--owner', 'own', '--plain', '--key', k30], 2, None, None),
            (['viewer', 'add', 'v1', '--stream', 'cam'], 2, '--to', None),
            (['stream', 'add', 's1'], 2, '--owner', None),
            (['owner', 'frobnicate', 'x'], 2, None, None),
        ]
        for args, code, text, errno_name in cases:
            with self.subTest(args=args):
                self.assert_ctl_fails(args, code, text, errno_name)
        self.assert_unchanged(before)
        # a 63-character name is fine
        self.assertEqual(self.ctl('owner', 'add', 'x' * 63), {'name': 'x' * 63})
        self.ctl('owner', 'del', 'x' * 63)

    # ---- the raw protocol --------------------------------------------------
    def test_raw_refusals_change_nothing(self):
        """What srtpgwctl would not send: the daemon checks it itself."""
        k30 = b64(new_key('AES_CM_128_HMAC_SHA1_80'))

        def req(cmd, **args):
            return {'v': 1, 'cmd': cmd, 'args': args}
        before = self.snapshot()
        cases = [
            (req('stream.add', name='s1', owner='own', suite='AES_CM_256'), 'EINVAL', 'unknown suite "AES_CM_256"'),
            (req('stream.add', name='s1', owner='own', suite='plain'), 'EINVAL', 'unknown suite'),
            (req('viewer.add', name='v1', stream='cam', to=PEER4 + ':5002', suite=''), 'EINVAL', 'unknown suite'),
            (req('stream.add', name='s1', owner='own', plain=True, key=k30), 'EINVAL', 'plain excludes'),
            (req('owner.add', name='a b'), 'EINVAL', 'names are 1 to 63 characters'),
            (req('owner.add', name=''), 'EINVAL', 'names are 1 to 63 characters'),
            (req('owner.add', name='x' * 64), 'EINVAL', 'names are 1 to 63 characters'),
            (req('owner.add', name='ok\u0000evil'), 'EINVAL', 'names are 1 to 63 characters'),
            (req('owner.add', name='\u00e9t\u00e9'), 'EINVAL', 'names are 1 to 63 characters'),
            (req('owner.add', name='new\nline'), 'EINVAL', 'names are 1 to 63 characters'),
            (req('owner.add', name=7), 'EINVAL', 'must be a string'),
            (req('owner.add'), 'EINVAL', 'name is required'),
            (req('owner.add', name='o2', colour='red'), 'EINVAL', 'unknown argument "colour"'),
            (req('stream.add', name='s/1', owner='own'), 'EINVAL', 'names are'),
            (req('stream.add', name='s1', owner='own', listen='gateway'), 'EINVAL', 'listen: not ADDR[:PORT]'),
            (req('stream.add', name='s1', owner='own', listen=OTHER4), 'EADDRNOTAVAIL', 'listen_addresses'),
            (req('stream.add', name='s1', owner='own', listen=GW4 + ':24002\u0000junk'), 'EINVAL', 'listen: not'),
            (req('stream.add', name='s1', owner='own', source='1.2.3.4:99999'), 'EINVAL', 'source: not ADDR[:PORT]'),
            (req('stream.add', name='s1', owner='own', idle_timeout=-1), 'EINVAL', 'idle_timeout'),
            (req('stream.add', name='s1', owner='own', idle_timeout='30'), 'EINVAL', 'idle_timeout'),
            (req('stream.add', name='s1', owner='own', key=k30[:-1]), 'EINVAL', 'needs base64 of 30 bytes'),
            (req('stream.add', name='s1', owner='own', key=k30[:-4] + '===='), 'EINVAL', 'needs base64'),
            (req('viewer.add', name='v1', stream='cam', to=PEER4), 'EINVAL', 'to: not ADDR:PORT'),
            (req('viewer.add', name='v1', stream='cam', to=PEER4 + ':0'), 'EINVAL', 'to: not ADDR:PORT'),
            (req('viewer.add', name='v1', stream='cam', to='[fd95::2]'), 'EINVAL', 'to: not ADDR:PORT'),
            (req('viewer.add', name='v1', stream='cam'), 'EINVAL', 'to is required'),
            (req('viewer.add', name='v1', stream='cam', to=PEER4 + ':5002', owner='other'), 'EPERM', 'no grant'),
            (req('stream.rekey', name='cam', key=k30 + 'AAAA'), 'EINVAL', 'needs base64'),
            (req('stream.rekey', name='cam', suite='AEAD_AES_128_GCM'), 'EINVAL', 'unknown argument "suite"'),
            (req('grant.add', stream='cam', to='own'), 'EINVAL', 'owns stream'),
            (req('stream.show', name=['cam']), 'EINVAL', 'must be a string'),
            (req('owner.list', all=True), 'EINVAL', 'unknown argument'),
            (req('owner.rename', name='own'), 'EINVAL', 'unknown command "owner.rename"'),
        ]
        replies = self.raw(*[c[0] for c in cases])
        self.assertEqual(len(replies), len(cases))
        for (request, code, text), reply in zip(cases, replies):
            with self.subTest(request=request):
                self.assert_refused(reply, code, text)
        # no error message repeats a key it was given
        for reply in replies:
            self.assertNotIn(k30[:-4], reply['error'])
        self.assert_unchanged(before)

    def test_malformed_requests(self):
        before = self.snapshot()
        lines = [
            (b'hello\n', 'EPROTO', 'JSON'),
            (b'{"v": 1, "cmd": "owner.add", "args": {"name": "a"}\n', 'EPROTO', 'JSON'),  # not closed
            (b'{"v": 1, "cmd": "owner.add", "args": {"name": "a"}} {"v": 1}\n', 'EPROTO', 'JSON'),
            (b'[{"v": 1, "cmd": "owner.add", "args": {"name": "a"}}]\n', 'EPROTO', 'JSON object'),
            (b'"owner.add"\n', 'EPROTO', 'JSON object'),
            (b'\n', 'EPROTO', None),
            (b'{"v": 2, "cmd": "owner.add", "args": {"name": "a"}}\n', 'EPROTO', 'protocol version (v) must be 1'),
            (b'{"v": "1", "cmd": "owner.add", "args": {"name": "a"}}\n', 'EPROTO', 'protocol version'),
            (b'{"v": 1.0, "cmd": "owner.add", "args": {"name": "a"}}\n', 'EPROTO', 'protocol version'),
            (b'{"cmd": "owner.add", "args": {"name": "a"}}\n', 'EPROTO', 'protocol version'),
            (b'{"v": 1, "args": {"name": "a"}}\n', 'EPROTO', 'cmd'),
            (b'{"v": 1, "cmd": 5, "args": {"name": "a"}}\n', 'EPROTO', 'cmd'),
            (b'{"v": 1, "cmd": "owner.add\\u0000x", "args": {"name": "a"}}\n', 'EPROTO', 'cmd'),
            (b'{"v": 1, "cmd": "owner.add", "args": ["a"]}\n', 'EPROTO', 'args'),
            (b'{"v": 1, "cmd": "owner.add", "args": {"name": "a"}, "sudo": true}\n', 'EPROTO', 'field'),
            (b'\xff\xfe{"v": 1, "cmd": "owner.add", "args": {"name": "a"}}\n', 'EPROTO', None),
        ]
        # one connection: each line answered, in order, and the connection
        # still serves a good request after them
        s = self.connect()
        s.sendall(b''.join(ln for ln, _, _ in lines) + b'{"v": 1, "cmd": "status"}\n')
        replies = self.read_replies(s, len(lines) + 1)
        self.assertEqual(len(replies), len(lines) + 1)
        for (line, code, text), reply in zip(lines, replies):
            with self.subTest(line=line):
                self.assert_refused(reply, code, text)
        self.assertIs(replies[-1]['ok'], True)
        self.assertEqual(replies[-1]['result']['ctl_seq'], before['status']['ctl_seq'])
        self.assert_unchanged(before)

    def test_oversized_request(self):
        """A line over 65536 bytes: an error reply, then the connection is
        closed, and the request is not acted on. One of exactly 65536 bytes
        (without its newline) is served."""
        def owner_add(name, size):
            head = b'{"v": 1, "cmd": "owner.add", "args": {"name": "%s"}' % name.encode()
            return head + b' ' * (size - len(head) - 1) + b'}'

        before = self.snapshot()
        for size in (MAX_LINE + 1, MAX_LINE + 4096, 4 * MAX_LINE):
            with self.subTest(size=size):
                s = self.connect()
                line = owner_add('big', size)
                self.assertEqual(len(line), size)
                try:
                    s.sendall(line + b'\n' + json.dumps({'v': 1, 'cmd': 'owner.add', 'args': {'name': 'after'}})
                              .encode() + b'\n')
                except (BrokenPipeError, ConnectionResetError):
                    pass  # it closed before reading everything: fine
                replies = self.read_replies(s, 2)
                self.assertEqual(len(replies), 1, replies)
                self.assert_refused(replies[0], 'EPROTO', 'request longer than 65536 bytes')
                self.assertEqual(self.read_replies(s, 1), [])  # closed
        self.assert_unchanged(before)

        # the largest line there may be
        line = owner_add('edge', MAX_LINE)
        self.assertEqual(len(line), MAX_LINE)
        self.assertEqual(self.raw(line + b'\n'), [{'ok': True, 'result': {'name': 'edge'}}])
        self.ctl('owner', 'del', 'edge')

    def test_truncated_request(self):
        """A connection that closes before its line ends: no reply, nothing
        changed; the same request sent whole is acted on."""
        whole = json.dumps({'v': 1, 'cmd': 'owner.add', 'args': {'name': 'half'}}).encode()
        before = self.snapshot()
        for part in (whole, whole[:len(whole) // 2], b'{"v": 1, "cmd": "owner.del", "args": {"name": "own"}}'):
            with self.subTest(part=part):
                s = self.connect()
                s.sendall(part)
                s.shutdown(socket.SHUT_WR)
                self.assertEqual(self.read_replies(s, 1), [])  # closed without a reply
        # a client that goes away in the middle of a line, without shutdown
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.control.sock)
        s.sendall(whole[:10])
        s.close()
        self.assert_unchanged(before)
        self.assertEqual(self.raw(whole + b'\n'), [{'ok': True, 'result': {'name': 'half'}}])
        self.ctl('owner', 'del', 'half')

    # ---- time-bound rules --------------------------------------------------
    def test_quarantined_port(self):
        """A deleted stream's port is neither handed out nor accepted when
        named for `quarantine` (4 s here: in whole seconds, so at least 3 s
        after the delete); afterwards it is."""
        self.assertEqual(self.ctl('stream', 'add', 'q1', '--owner', 'other')['listen'], GW4 + ':22000')
        seq0 = self.ctl('status')['ctl_seq']
        self.ctl('stream', 'del', 'q1')
        freed = time.monotonic()
        self.assert_ctl_fails(['stream', 'add', 'q2', '--owner', 'own', '--listen', GW4 + ':22000'], 1,
                              'port 22000 was freed less than 4 s ago (quarantine)', 'EADDRINUSE')
        self.assertEqual(self.ctl('stream', 'add', 'q3', '--owner', 'own')['listen'], GW4 + ':22002')
        self.assertLess(time.monotonic() - freed, QUARANTINE - 1, 'too slow to see the quarantine')
        # the refusal changed nothing: the delete and the add only
        self.assertEqual(self.ctl('status')['ctl_seq'], seq0 + 2)
        self.assertNotIn('q2', [s['name'] for s in self.ctl('stream', 'show')['streams']])
        before = self.snapshot()
        seq = before['status']['ctl_seq']

        refusals = []

        def added():
            r = self.ctl('stream', 'add', 'q2', '--owner', 'own', '--listen', GW4 + ':22000', check=False)
            if isinstance(r, dict):
                return r
            self.assertEqual(r.returncode, 1, r.stderr)
            self.assertIn('quarantine', r.stderr)
            refusals.append(time.monotonic())
            return None
        out = wait_for(added, timeout=15, what='the quarantine to end', interval=0.1)
        waited = time.monotonic() - freed
        self.assertEqual(out['listen'], GW4 + ':22000')
        self.assertGreater(waited, QUARANTINE - 1.5)
        self.assertTrue(refusals)
        # the refusals changed nothing: one change since (the add)
        self.assertEqual(self.ctl('status')['ctl_seq'], seq + 1)
        print('\nquarantine: accepted %.2f s after the delete, %d refusals before' % (waited, len(refusals)))
        self.ctl('stream', 'del', 'q2')
        self.ctl('stream', 'del', 'q3')

    def test_rekey_make_before_break(self):
        """`stream rekey` with rekey_overlap = 3: a camera sending all along
        switches to the new key during the overlap; every packet reaches
        the viewer. After the overlap (the daemon's END_OVERLAP change) the
        old key's packets fail authentication."""
        self.ctl('owner', 'add', 'rk')
        st = self.ctl('stream', 'add', 'rcam', '--owner', 'rk', '--listen', GW4 + ':24010')
        vs = self.sock()
        v = self.ctl('viewer', 'add', 'rtv', '--stream', 'rcam', '--to', '%s:%d' % (PEER4, vs.getsockname()[1]),
                     '--suite', 'AEAD_AES_256_GCM')
        rx = Receiver(vs, 'AEAD_AES_256_GCM', base64.b64decode(v['key']))
        cam = Camera(self.sock(), GW4, 24010, st['suite'], base64.b64decode(st['key']), sid=7)
        rx.start()
        cam.start()
        self.addCleanup(rx.stop)
        self.addCleanup(cam.stop)
        wait_for(lambda: rx.count() >= 50, what='50 packets before the rekey')

        seq0 = self.ctl('status')['ctl_seq']
        old_tx = cam.tx
        out = self.ctl('stream', 'rekey', 'rcam')
        rekeyed = cam.count()
        # the old key goes on for a while after the rekey, then the switch
        wait_for(lambda: cam.count() >= rekeyed + 40, what='40 packets with the old key after the rekey')
        first_new = cam.switch(st['suite'], base64.b64decode(out['key']))
        switched = time.time()
        self.assertEqual(out['overlap'], 3)
        until = self.ctl('stream', 'show', 'rcam')['streams'][0]['rekey_overlap_until']
        self.assertIsInstance(until, int)
        self.assertLess(switched, until, 'the switch came after the overlap')
        self.assertEqual(self.ctl('status')['ctl_seq'], seq0 + 1)
        wait_for(lambda: rx.has(first_new + 40), what='40 packets with the new key')
        # the overlap ends: one change of the daemon's own
        wait_for(lambda: self.ctl('status')['ctl_seq'] == seq0 + 2, timeout=10, what='END_OVERLAP', interval=0.1)
        ended = time.time()
        self.control.wait_applied()
        self.assertIsNone(self.ctl('stream', 'show', 'rcam')['streams'][0]['rekey_overlap_until'])
        print('\nrekey: switched %.2f s after the rekey, overlap over %.2f s after it'
              % (switched - (until - 3), ended - (until - 3)))

        # nothing lost, across the rekey and the end of the overlap
        more = cam.count()
        wait_for(lambda: rx.has(more + 20), what='20 packets after the overlap')
        cam.stop()
        assert_all_received(self, rx, cam)
        n = len(cam.plain)
        stats = self.ctl('stats', '--stream', 'rcam')['streams'][0]
        self.assertEqual((stats['packets'], stats['auth_fail']), (n, 0))
        self.assertGreaterEqual(rekeyed, 50)
        self.assertGreaterEqual(first_new - rekeyed, 40)

        # now the old key fails; the new one's sentinel after them arrives
        before = self.gw.counters()
        dead = cam.send_now(6, tx=old_tx, record=False)
        sentinel = cam.send_now(1)
        wait_for(lambda: rx.has(sentinel[0]), what='the sentinel')
        d = counter_deltas(before, self.gw.counters(), 'drop_')
        d.pop('drop_icmp_other', None)
        self.assertEqual(d, {'drop_srtp_auth': 6})
        self.assertFalse(any(rx.has(s) for s in dead))
        rx.stop()
        assert_all_received(self, rx, cam)
        stats = self.ctl('stats', '--stream', 'rcam')['streams'][0]
        self.assertEqual((stats['packets'], stats['auth_fail']), (n + 1, 6))
        self.ctl('owner', 'del', 'rk')


if __name__ == '__main__':
    unittest.main(verbosity=2)
