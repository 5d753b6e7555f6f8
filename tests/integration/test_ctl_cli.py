"""srtpgwctl against a fake srtpgw-control: a thread serving a UNIX socket
that records every request line and answers with canned replies.

Checks the exact request each command sends (docs/control-protocol.md),
--help at every level, usage errors (exit 2, nothing sent), refusals
(exit 1 and the daemon's error line), an unreachable socket (exit 3),
malformed, oversized, slow and truncated replies, --json output, that a
generated key is printed once and only where it belongs (DESIGN invariant
6), and prefix matching of command words. Needs no root and no gateway.
"""
import json
import os
import socket
import subprocess
import tempfile
import threading
import time
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get('SRTPGW_BUILD', os.path.join(TOP, 'build'))
CTL = os.path.join(BUILD, 'control', 'ctl', 'srtpgwctl')

KEY = 'WVNmQ2Jrc0VvR3hFZ3ZaY0xuTWlBdm9jU0NjZnUx'
SDP = 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:' + KEY


def ok(result):
    return json.dumps({'ok': True, 'result': result}).encode() + b'\n'


def refuse(error, code='EINVAL'):
    return json.dumps({'ok': False, 'error': error, 'code': code}).encode() + b'\n'


class FakeDaemon:
    """Serves one connection at a time; each gets the next queued action:
    bytes to send, ('chunks', [bytes], delay), 'close' (no reply) or 'hang'
    (no reply until the client goes away)."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.actions = []
        self.lines = []
        self.connections = 0
        self.lock = threading.Lock()
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def stop(self):
        self.stopping = True
        self.thread.join(10)
        self.sock.close()

    def reset(self, *actions):
        with self.lock:
            self.actions = list(actions)
            self.lines = []
            self.connections = 0

    def _serve(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            with conn:
                self._handle(conn)

    def sync(self):
        """Returns once every connection made before it has been served:
        accept() takes them in order."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(10)
            s.connect(self.path)
            s.sendall(b'SYNC\n')
            s.recv(16)

    def _handle(self, conn):
        conn.settimeout(10)
        data = b''
        try:
            while not data.endswith(b'\n'):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        if data == b'SYNC\n':
            conn.sendall(b'OK\n')
            return
        with self.lock:
            self.connections += 1
            self.lines.append(data)
            action = self.actions.pop(0) if self.actions else ok({})
        try:
            if action == 'close':
                return
            if action == 'hang':
                conn.settimeout(30)
                while conn.recv(4096):
                    pass
                return
            if isinstance(action, tuple):
                _, chunks, delay = action
                for c in chunks:
                    conn.sendall(c)
                    time.sleep(delay)
                return
            conn.sendall(action)
        except OSError:
            pass  # the client may close first (oversized reply)


class CtlCase(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        if not os.access(CTL, os.X_OK):
            raise RuntimeError('%s not built (set SRTPGW_BUILD)' % CTL)
        cls.tmp = tempfile.TemporaryDirectory(prefix='sgwctl')
        cls.sock_path = os.path.join(cls.tmp.name, 'control.sock')
        cls.daemon = FakeDaemon(cls.sock_path)

    @classmethod
    def tearDownClass(cls):
        cls.daemon.stop()
        cls.tmp.cleanup()

    def ctl(self, *args, actions=(), stdin=None, env=None, socket_opt=True, timeout=30):
        """Runs srtpgwctl; returns (rc, stdout, stderr, requests as dicts)."""
        self.daemon.reset(*actions)
        e = dict(os.environ)
        e.pop('SRTPGW_CONTROL_SOCKET', None)
        e['TZ'] = 'UTC'
        e.update(env or {})
        argv = [CTL] + (['--socket', self.sock_path] if socket_opt else []) + list(args)
        p = subprocess.run(argv, input=stdin, stdin=None if stdin is not None else subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e, timeout=timeout)
        self.daemon.sync()
        reqs = []
        for line in self.daemon.lines:
            if line:
                self.assertTrue(line.endswith(b'\n'), line)
                self.assertEqual(line.count(b'\n'), 1, line)
                reqs.append(json.loads(line))
        return p.returncode, p.stdout.decode(), p.stderr.decode(), reqs

    def request_of(self, *args, reply=None, stdin=None):
        rc, out, err, reqs = self.ctl(*args, actions=[reply or ok({})], stdin=stdin)
        self.assertEqual(rc, 0, err)
        self.assertEqual(len(reqs), 1)
        return reqs[0]

    def usage_error(self, *args, stdin=None, want=None):
        rc, out, err, reqs = self.ctl(*args, stdin=stdin)
        self.assertEqual(rc, 2, (args, out, err))
        self.assertEqual(self.daemon.connections, 0, args)
        self.assertEqual(out, '')
        self.assertTrue(err.startswith('srtpgwctl: '), err)
        self.assertEqual(err.count('\n'), 1, err)
        if want is not None:
            self.assertIn(want, err)
        return err


class TestRequests(CtlCase):

    def test_exact_requests(self):
        cases = [
            (['owner', 'add', 'alice'], 'owner.add', {'name': 'alice'}),
            (['owner', 'del', 'alice'], 'owner.del', {'name': 'alice'}),
            (['owner', 'list'], 'owner.list', {}),
            (['stream', 'add', 'cam1', '--owner', 'alice'], 'stream.add',
             {'name': 'cam1', 'owner': 'alice'}),
            (['stream', 'add', 'cam1', '--owner', 'alice', '--listen', '10.0.0.1:5000',
              '--source', '192.0.2.7', '--suite', 'AEAD_AES_256_GCM', '--key', KEY,
              '--idle-timeout', '30'], 'stream.add',
             {'name': 'cam1', 'owner': 'alice', 'listen': '10.0.0.1:5000', 'source': '192.0.2.7',
              'suite': 'AEAD_AES_256_GCM', 'key': KEY, 'idle_timeout': 30}),
            (['stream', 'add', 'cam.2_x-y', '--plain', '--listen', '[fd00::1]:5004',
              '--owner=alice', '--idle-timeout=0', '--source', 'fd00::9'], 'stream.add',
             {'name': 'cam.2_x-y', 'owner': 'alice', 'listen': '[fd00::1]:5004',
              'source': 'fd00::9', 'plain': True, 'idle_timeout': 0}),
            (['stream', 'add', 'c', '--owner', 'a', '--listen', '10.0.0.1'], 'stream.add',
             {'name': 'c', 'owner': 'a', 'listen': '10.0.0.1'}),
            (['stream', 'del', 'cam1'], 'stream.del', {'name': 'cam1'}),
            (['stream', 'rekey', 'cam1'], 'stream.rekey', {'name': 'cam1'}),
            (['stream', 'rekey', 'cam1', '--key', KEY], 'stream.rekey', {'name': 'cam1', 'key': KEY}),
            (['stream', 'show'], 'stream.show', {}),
            (['stream', 'show', 'cam1'], 'stream.show', {'name': 'cam1'}),
            (['viewer', 'add', 'v1', '--stream', 'cam1', '--to', '10.0.1.20:6000'], 'viewer.add',
             {'name': 'v1', 'stream': 'cam1', 'to': '10.0.1.20:6000'}),
            (['viewer', 'add', 'v2', '--to', '[fd00::20]:6000', '--stream', 'cam1', '--owner', 'bob',
              '--suite', 'AES_CM_128_HMAC_SHA1_32', '--key', KEY], 'viewer.add',
             {'name': 'v2', 'stream': 'cam1', 'to': '[fd00::20]:6000', 'owner': 'bob',
              'suite': 'AES_CM_128_HMAC_SHA1_32', 'key': KEY}),
            (['viewer', 'add', 'v3', '--stream', 'cam1', '--to', '10.0.1.21:6000', '--plain'],
             'viewer.add', {'name': 'v3', 'stream': 'cam1', 'to': '10.0.1.21:6000', 'plain': True}),
            (['viewer', 'del', 'v1'], 'viewer.del', {'name': 'v1'}),
            (['viewer', 'rekey', 'v1'], 'viewer.rekey', {'name': 'v1'}),
            (['viewer', 'rekey', 'v1', '--key', KEY], 'viewer.rekey', {'name': 'v1', 'key': KEY}),
            (['viewer', 'show'], 'viewer.show', {}),
            (['viewer', 'show', 'v1'], 'viewer.show', {'name': 'v1'}),
            (['viewer', 'show', '--stream', 'cam1'], 'viewer.show', {'stream': 'cam1'}),
            (['viewer', 'show', 'v1', '--stream', 'cam1'], 'viewer.show',
             {'name': 'v1', 'stream': 'cam1'}),
            (['grant', 'add', 'cam1', '--to', 'bob'], 'grant.add', {'stream': 'cam1', 'to': 'bob'}),
            (['grant', 'del', 'cam1', '--to', 'bob'], 'grant.del', {'stream': 'cam1', 'to': 'bob'}),
            (['stats'], 'stats', {}),
            (['stats', '--stream', 'cam1'], 'stats', {'stream': 'cam1'}),
            (['status'], 'status', {}),
            (['owner', 'add', '--', '-odd'], 'owner.add', {'name': '-odd'}),
            (['owner', 'add', 'x' * 63], 'owner.add', {'name': 'x' * 63}),
        ]
        # every command and option is covered above
        for argv, cmd, args in cases:
            with self.subTest(argv=argv):
                req = self.request_of(*argv, reply=ok({'owners': [], 'streams': [], 'viewers': [],
                                                       'workers': [], 'drops': {}}))
                self.assertEqual(req, {'v': 1, 'cmd': cmd, 'args': args})

    def test_prefixes(self):
        cases = [
            (['str', 'sh'], 'stream.show', {}),
            (['o', 'l'], 'owner.list', {}),
            (['ow', 'a', 'alice'], 'owner.add', {'name': 'alice'}),
            (['vi', 'sh', 'v1', '--str', 'cam1'], 'viewer.show', {'name': 'v1', 'stream': 'cam1'}),
            (['g', 'a', 'cam1', '--to', 'bob'], 'grant.add', {'stream': 'cam1', 'to': 'bob'}),
            (['stats'], 'stats', {}),          # exact match beats "status"
            (['statu'], 'status', {}),
            (['stream', 'r', 'cam1'], 'stream.rekey', {'name': 'cam1'}),
            (['stre', 'add', 'c', '--ow', 'a', '--pl', '--idle', '5'], 'stream.add',
             {'name': 'c', 'owner': 'a', 'plain': True, 'idle_timeout': 5}),
        ]
        for argv, cmd, args in cases:
            with self.subTest(argv=argv):
                req = self.request_of(*argv, reply=ok({'owners': [], 'streams': [], 'viewers': [],
                                                       'workers': [], 'drops': {}}))
                self.assertEqual(req, {'v': 1, 'cmd': cmd, 'args': args})
        err = self.usage_error('st', 'show', want='ambiguous command "st"')
        for c in ('stream', 'stats', 'status'):
            self.assertIn(c, err)
        err = self.usage_error('stat', want='ambiguous command "stat" (could be: stats, status)')
        self.usage_error('stream', 'x', want='unknown command "x" (one of: add, del, rekey, show, move)')
        self.usage_error('frob', want='unknown command "frob"')
        self.usage_error('stream', 'add', 'c', '--owner', 'a', '--s', '1.2.3.4',
                         want='ambiguous option "--s" (could be: --source, --suite, --socket)')
        self.usage_error('grant', 'add', 'cam1', '--t', 'bob',
                         want='ambiguous option "--t" (could be: --to, --timeout)')

    def test_key_from_stdin(self):
        for given in (KEY + '\n', '  ' + KEY + ' \r\n', KEY, KEY + '\nrest\n'):
            with self.subTest(given=given):
                req = self.request_of('stream', 'add', 'cam1', '--owner', 'alice', '--key', '-',
                                      stdin=given.encode())
                self.assertEqual(req['args'], {'name': 'cam1', 'owner': 'alice', 'key': KEY})
        req = self.request_of('viewer', 'rekey', 'v1', '--key', '-', stdin=KEY.encode())
        self.assertEqual(req['args'], {'name': 'v1', 'key': KEY})
        self.usage_error('stream', 'rekey', 'cam1', '--key', '-', stdin=b'',
                         want='no key on standard input')
        self.usage_error('stream', 'rekey', 'cam1', '--key', '-', stdin=b' \n' + KEY.encode(),
                         want='no key on standard input')

    def test_socket_choice(self):
        other = os.path.join(self.tmp.name, 'nothing-here.sock')
        rc, out, err, reqs = self.ctl('status', socket_opt=False, actions=[ok({})],
                                      env={'SRTPGW_CONTROL_SOCKET': self.sock_path})
        self.assertEqual((rc, len(reqs)), (0, 1), err)
        rc, out, err, reqs = self.ctl('status', '--socket', self.sock_path, socket_opt=False,
                                      actions=[ok({})], env={'SRTPGW_CONTROL_SOCKET': other})
        self.assertEqual((rc, len(reqs)), (0, 1), err)
        rc, out, err, reqs = self.ctl('-s', self.sock_path, 'status', socket_opt=False,
                                      actions=[ok({})])
        self.assertEqual((rc, len(reqs)), (0, 1), err)
        rc, out, err, reqs = self.ctl('status', socket_opt=False,
                                      env={'SRTPGW_CONTROL_SOCKET': other})
        self.assertEqual(rc, 3)
        self.assertEqual(err, 'srtpgwctl: cannot connect to %s: No such file or directory\n' % other)
        if not os.path.exists('/run/srtpgw/control.sock'):
            rc, out, err, reqs = self.ctl('status', socket_opt=False)
            self.assertEqual(rc, 3)
            self.assertIn('/run/srtpgw/control.sock', err)


class TestHelpAndUsage(CtlCase):

    def test_help_every_level(self):
        levels = [[], ['owner'], ['stream'], ['viewer'], ['grant']]
        leaves = [['owner', 'add'], ['owner', 'del'], ['owner', 'list'],
                  ['stream', 'add'], ['stream', 'del'], ['stream', 'rekey'], ['stream', 'show'],
                  ['viewer', 'add'], ['viewer', 'del'], ['viewer', 'rekey'], ['viewer', 'show'],
                  ['grant', 'add'], ['grant', 'del'], ['stats'], ['status']]
        for words in levels + leaves:
            forms = [words + ['--help'], words + ['-h'], ['help'] + words]
            if words in leaves and words[-1] not in ('list', 'stats', 'status'):
                forms.append(words + ['NAME', '--help'])
            for argv in forms:
                with self.subTest(argv=argv):
                    rc, out, err, reqs = self.ctl(*argv)
                    self.assertEqual(rc, 0, err)
                    self.assertEqual(self.daemon.connections, 0)
                    self.assertEqual(err, '')
                    self.assertTrue(out.startswith('usage: srtpgwctl'), out)
                    self.assertIn(' '.join(words), out.splitlines()[0])
        rc, out, err, reqs = self.ctl('stream', 'add', '--help')
        for opt in ('--owner', '--listen', '--source', '--suite', '--plain', '--key', '--idle-timeout'):
            self.assertIn(opt, out)
        rc, out, err, reqs = self.ctl('--help')
        for words in leaves:
            self.assertIn(' '.join(words), out)

    def test_usage_errors(self):
        cases = [
            ([], 'missing command'),
            (['stream'], 'missing command'),
            (['owner', 'add'], 'missing NAME'),
            (['owner', 'add', 'a b'], 'bad NAME "a b"'),
            (['owner', 'add', 'x' * 64], 'bad NAME'),
            (['owner', 'add', 'caf\u00e9'], 'bad NAME'),
            (['owner', 'add', 'a', 'b'], 'unexpected argument "b"'),
            (['owner', 'list', 'x'], 'unexpected argument "x"'),
            (['owner', 'add', '-x'], 'unknown option "-x"'),
            (['stream', 'add', 'cam1'], 'missing --owner OWNER'),
            (['stream', 'add', 'cam1', '--owner'], '--owner needs a value'),
            (['stream', 'add', 'cam1', '--owner', '--plain'], '--owner needs a value'),
            (['stream', 'add', 'cam1', '--owner', 'a/b'], '--owner: bad name'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--owner', 'b'], 'given twice'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--suite', 'AES_CM_128'], 'unknown suite'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--suite', 'PLAIN'], 'unknown suite'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--suite', 'AEAD_AES_128_GCM', '--plain'],
             '--suite and --plain exclude each other'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--plain', '--key', KEY],
             '--key and --plain exclude each other'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--plain=yes'], 'takes no value'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--idle-timeout', 'ten'], '--idle-timeout'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--idle-timeout', '-1'], '--idle-timeout'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--idle-timeout', '4294967296'],
             '--idle-timeout'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--listen', 'example.com:5000'],
             '--listen: bad address'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--listen', '10.0.0.1:70000'],
             '--listen: bad address'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--key', ''], 'empty key'),
            (['stream', 'add', 'cam1', '--owner', 'a', '--to', '1.2.3.4:5'], 'unknown option "--to"'),
            (['stream', 'rekey', 'cam1', '--suite', 'AEAD_AES_128_GCM'], 'unknown option "--suite"'),
            (['viewer', 'add', 'v1', '--stream', 'cam1'], 'missing --to'),
            (['viewer', 'add', 'v1', '--to', '10.0.0.1:5'], 'missing --stream'),
            (['viewer', 'add', 'v1', '--stream', 'cam1', '--to', '10.0.0.1'], '--to: bad address'),
            (['grant', 'add', 'cam1'], 'missing --to OWNER'),
            (['grant', 'add', 'cam1', '--to', '10.0.0.1:5'], '--to: bad name'),
            (['stats', 'cam1'], 'unexpected argument'),
            (['--timeout', '0', 'status'], '--timeout'),
            (['--frob', 'status'], 'unknown option "--frob"'),
        ]
        for argv, want in cases:
            with self.subTest(argv=argv):
                self.usage_error(*argv, want=want)
        # a key given on the command line is never echoed in an error
        err = self.usage_error('stream', 'add', 'c', '--owner', 'a', '--plain', '--key', KEY)
        self.assertNotIn(KEY, err)


class TestReplies(CtlCase):

    def test_refused(self):
        reply = refuse('no owner named "alice"', 'ENOENT')
        rc, out, err, reqs = self.ctl('stream', 'add', 'cam1', '--owner', 'alice', actions=[reply])
        self.assertEqual((rc, out, len(reqs)), (1, '', 1))
        self.assertEqual(err, 'srtpgwctl: no owner named "alice"\n')
        rc, out, err, reqs = self.ctl('--json', 'owner', 'del', 'alice', actions=[reply])
        self.assertEqual(rc, 1)
        self.assertEqual(err, 'srtpgwctl: no owner named "alice"\n')
        self.assertEqual(json.loads(out), {'error': 'no owner named "alice"', 'code': 'ENOENT'})
        # one line, whatever the daemon sends
        rc, out, err, reqs = self.ctl('status', actions=[refuse('two\nlines\x1b[31m')])
        self.assertEqual((rc, err), (1, 'srtpgwctl: two?lines?[31m\n'))

    def test_unreachable(self):
        missing = os.path.join(self.tmp.name, 'missing.sock')
        rc, out, err, reqs = self.ctl('--socket', missing, 'status', socket_opt=False)
        self.assertEqual((rc, out), (3, ''))
        self.assertEqual(err, 'srtpgwctl: cannot connect to %s: No such file or directory\n' % missing)
        stale = os.path.join(self.tmp.name, 'stale.sock')
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.bind(stale)
        s.close()
        rc, out, err, reqs = self.ctl('--socket', stale, 'owner', 'list', socket_opt=False)
        self.assertEqual(rc, 3)
        self.assertEqual(err, 'srtpgwctl: cannot connect to %s: Connection refused\n' % stale)

    def test_bad_replies(self):
        cases = [
            (b'hello\n', 'not JSON'),
            (b'[1, 2]\n', 'not a JSON object'),
            (b'{"ok": true, "result": {}} {"ok": true}\n', 'malformed reply'),
            (b'{"ok": true, "result": {"a": 1}\n', 'not JSON'),
            (b'{"result": {}}\n', 'no "ok"'),
            (b'{"ok": "yes", "result": {}}\n', 'no "ok"'),
            (b'{"ok": true}\n', 'no "result"'),
            (b'{"ok": true, "result": 7}\n', 'no "result"'),
            (b'{"ok": true, "result": {"x": "\xff"}}\n', 'not JSON'),
            ('close', 'closed the connection without a reply'),
            (b'{"ok": true, "res', 'closed the connection in the middle of its reply'),
        ]
        for reply, want in cases:
            with self.subTest(reply=reply):
                rc, out, err, reqs = self.ctl('status', actions=[reply])
                self.assertEqual(rc, 1, err)
                self.assertEqual(len(reqs), 1)
                self.assertEqual(err.count('\n'), 1, err)
                self.assertTrue(err.startswith('srtpgwctl: %s: ' % self.sock_path), err)
                self.assertIn(want, err)
        # a list command whose result lacks its list
        rc, out, err, reqs = self.ctl('owner', 'list', actions=[ok({})])
        self.assertEqual(rc, 1)
        self.assertIn('no "owners" list', err)

    def test_reply_size_limit(self):
        def padded(total):
            head, tail = b'{"ok": true, "result": {"pad": "', b'"}}'
            return head + b'x' * (total - len(head) - len(tail)) + tail + b'\n'
        for size in (65536, 65535):
            rc, out, err, reqs = self.ctl('--json', 'status', actions=[padded(size)])
            self.assertEqual(rc, 0, err)
            self.assertEqual(json.loads(out), json.loads(padded(size))['result'])
        for size in (65537, 70000):
            rc, out, err, reqs = self.ctl('status', actions=[padded(size)])
            self.assertEqual((rc, out), (1, ''), err)
            self.assertEqual(err, 'srtpgwctl: %s: reply longer than 65536 bytes\n' % self.sock_path)

    def test_partial_reads_and_timeout(self):
        reply = ok({'gateway': 'connected', 'version': 3})
        chunks = [reply[i:i + 3] for i in range(0, len(reply), 3)]
        rc, out, err, reqs = self.ctl('--json', 'status', actions=[('chunks', chunks, 0.01)])
        self.assertEqual(rc, 0, err)
        self.assertEqual(json.loads(out), {'gateway': 'connected', 'version': 3})
        t = time.monotonic()
        rc, out, err, reqs = self.ctl('--timeout', '1', 'status', actions=['hang'])
        self.assertLess(time.monotonic() - t, 10)
        self.assertEqual(rc, 1)
        self.assertEqual(len(reqs), 1)
        self.assertEqual(err, 'srtpgwctl: %s: no reply within 1 s (the request may still be '
                         'applied)\n' % self.sock_path)

    def test_json_output(self):
        results = {
            ('owner', 'add', 'alice'): {'name': 'alice'},
            ('owner', 'list'): {'owners': [{'name': 'alice', 'streams': 2, 'viewers': 3}]},
            ('stream', 'show'): {'streams': [{
                'name': 'cam1', 'owner': 'alice', 'listen': '10.0.0.1:5000', 'source': None,
                'suite': 'AES_CM_128_HMAC_SHA1_80', 'viewers': ['v1'], 'grants': [],
                'idle_timeout': 0, 'rekey_overlap_until': None}]},
            ('stats',): {'streams': [], 'workers': [{'worker': 0, 'rx': 5, 'tx': 9,
                                                     'drops': {'auth_fail': 1}}],
                         'drops': {'auth_fail': 1, 'no_flow': 0}},
            ('status',): {'gateway': 'disconnected', 'version': 0, 'ctl_seq': 18446744073709551615,
                          'applied_seq': 12, 'streams': 1, 'viewers': 0, 'owners': 1,
                          'ratio': 0.25, 'text': 'caf\u00e9 "q" / \\'},
            ('stream', 'add', 'cam1', '--owner', 'alice'): {
                'name': 'cam1', 'owner': 'alice', 'listen': '10.0.0.1:5000',
                'suite': 'AES_CM_128_HMAC_SHA1_80', 'key': KEY, 'sdp': SDP},
        }
        for argv, result in results.items():
            for where in ('first', 'last'):
                with self.subTest(argv=argv, where=where):
                    a = ['--json'] + list(argv) if where == 'first' else list(argv) + ['-j']
                    rc, out, err, reqs = self.ctl(*a, actions=[ok(result)])
                    self.assertEqual((rc, err), (0, ''))
                    self.assertEqual(json.loads(out), result)


class TestTextOutput(CtlCase):

    def text(self, *argv, result):
        rc, out, err, reqs = self.ctl(*argv, actions=[ok(result)])
        self.assertEqual(rc, 0, err)
        return out, err

    def assert_table(self, out, header):
        lines = out.splitlines()
        self.assertEqual(lines[0].split(), header)
        return [line.split() for line in lines[1:]]

    def test_generated_key_shown_once(self):
        for argv in (['stream', 'add', 'cam1', '--owner', 'alice'], ['stream', 'rekey', 'cam1'],
                     ['viewer', 'add', 'v1', '--stream', 'cam1', '--to', '10.0.0.2:6000'],
                     ['viewer', 'rekey', 'v1']):
            with self.subTest(argv=argv):
                out, err = self.text(*argv, result={
                    'name': argv[2], 'suite': 'AES_CM_128_HMAC_SHA1_80', 'overlap': 30,
                    'key': KEY, 'sdp': SDP})
                lines = out.splitlines()
                self.assertEqual(lines.count('key: ' + KEY), 1, out)
                self.assertEqual(lines.count('sdp: ' + SDP), 1, out)
                self.assertEqual(len([ln for ln in lines if KEY in ln]), 2, out)  # key: and sdp:
                self.assertIn('name: ' + argv[2], lines)
                self.assertTrue(any('once' in ln for ln in lines if ln.startswith('note: ')), out)
                self.assertEqual(err, '')
        out, err = self.text('stream', 'add', 'cam1', '--owner', 'alice', '--key', KEY,
                             result={'name': 'cam1', 'owner': 'alice', 'listen': '10.0.0.1:5000',
                                     'suite': 'AES_CM_128_HMAC_SHA1_80'})
        self.assertEqual(out, 'name: cam1\nowner: alice\nlisten: 10.0.0.1:5000\n'
                         'suite: AES_CM_128_HMAC_SHA1_80\n')

    def test_keys_never_shown_elsewhere(self):
        stream = {'name': 'cam1', 'owner': 'alice', 'listen': '10.0.0.1:5000', 'source': None,
                  'suite': 'AES_CM_128_HMAC_SHA1_80', 'viewers': [], 'grants': [],
                  'idle_timeout': 0, 'rekey_overlap_until': None, 'key': KEY, 'sdp': SDP}
        for argv in (['stream', 'show'], ['stream', 'show', 'cam1'],
                     ['--json', 'stream', 'show', 'cam1']):
            with self.subTest(argv=argv):
                rc, out, err, reqs = self.ctl(*argv, actions=[ok({'streams': [stream]})])
                self.assertEqual(rc, 0, err)
                self.assertNotIn(KEY, out + err)
                self.assertIn('warning', err)
                self.assertIn('cam1', out)
        for argv in (['owner', 'add', 'alice'], ['--json', 'status']):
            with self.subTest(argv=argv):
                rc, out, err, reqs = self.ctl(*argv, actions=[ok({'name': 'alice', 'key': KEY})])
                self.assertEqual(rc, 0, err)
                self.assertNotIn(KEY, out + err)
        # inside a key-making reply, only the top-level key and sdp
        rc, out, err, reqs = self.ctl('--json', 'viewer', 'rekey', 'v1', actions=[ok(
            {'name': 'v1', 'key': KEY, 'extra': {'key': 'NESTED'}})])
        self.assertEqual(json.loads(out), {'name': 'v1', 'key': KEY, 'extra': {}})

    def test_owner_list(self):
        out, _ = self.text('owner', 'list', result={'owners': [
            {'name': 'alice', 'streams': 2, 'viewers': 13},
            {'name': 'bob-the-long-name', 'streams': 0, 'viewers': 0}]})
        rows = self.assert_table(out, ['NAME', 'STREAMS', 'VIEWERS'])
        self.assertEqual(rows, [['alice', '2', '13'], ['bob-the-long-name', '0', '0']])
        lines = out.splitlines()
        self.assertEqual(len(set(len(ln) for ln in lines)), 1, out)  # aligned
        out, _ = self.text('owner', 'list', result={'owners': []})
        self.assertEqual(out, 'no owners\n')

    def test_stream_show(self):
        s1 = {'name': 'cam1', 'owner': 'alice', 'listen': '10.0.0.1:5000', 'source': None,
              'suite': 'AES_CM_128_HMAC_SHA1_80', 'viewers': ['v1', 'v2'], 'grants': ['bob'],
              'idle_timeout': 30, 'rekey_overlap_until': 1700000000}
        s2 = {'name': 'cam2', 'owner': 'bob', 'listen': '[fd00::1]:5002', 'source': '10.9.9.9',
              'suite': 'PLAIN', 'viewers': [], 'grants': [], 'idle_timeout': 0,
              'rekey_overlap_until': None, 'kind': 'whip', 'codec': 'VP8'}
        table = [dict(s1, kind='sdes', codec=None), s2]
        out, _ = self.text('stream', 'show', result={'streams': table})
        rows = self.assert_table(out, ['NAME', 'OWNER', 'LISTEN', 'SOURCE', 'SUITE', 'KIND', 'CODEC', 'VIEWERS',
                                       'GRANTS', 'IDLE_TIMEOUT', 'OVERLAP_UNTIL'])
        self.assertEqual(rows, [
            ['cam1', 'alice', '10.0.0.1:5000', 'any', 'AES_CM_128_HMAC_SHA1_80', 'sdes', '-', '2', 'bob', '30',
             's', '2023-11-14T22:13:20Z'],
            ['cam2', 'bob', '[fd00::1]:5002', '10.9.9.9', 'PLAIN', 'whip', 'VP8', '0', '-', 'none', '-']])
        out, _ = self.text('stream', 'show', 'cam1', result={'streams': [s1]})
        self.assertEqual(out, 'name: cam1\nowner: alice\nlisten: 10.0.0.1:5000\nsource: any\n'
                         'suite: AES_CM_128_HMAC_SHA1_80\nviewers: v1, v2\ngrants: bob\n'
                         'idle_timeout: 30 s\nrekey_overlap_until: 2023-11-14T22:13:20Z\n')
        out, _ = self.text('stream', 'show', result={'streams': []})
        self.assertEqual(out, 'no streams\n')

    def test_viewer_show(self):
        v = {'name': 'v1', 'stream': 'cam1', 'owner': 'alice', 'to': '10.0.1.20:6000',
             'suite': 'AEAD_AES_128_GCM'}
        out, _ = self.text('viewer', 'show', '--stream', 'cam1', result={'viewers': [v]})
        rows = self.assert_table(out, ['NAME', 'STREAM', 'OWNER', 'TO', 'SUITE', 'KIND', 'STATE'])
        self.assertEqual(rows, [['v1', 'cam1', 'alice', '10.0.1.20:6000', 'AEAD_AES_128_GCM', '-', '-']])
        out, _ = self.text('viewer', 'show', 'v1', result={'viewers': [v]})
        self.assertEqual(out, 'name: v1\nstream: cam1\nowner: alice\nto: 10.0.1.20:6000\n'
                         'suite: AEAD_AES_128_GCM\n')
        out, _ = self.text('viewer', 'show', result={'viewers': []})
        self.assertEqual(out, 'no viewers\n')

    def test_stats(self):
        result = {
            'streams': [
                {'name': 'cam1', 'owner': 'alice', 'packets': 1000, 'bytes': 1200000,
                 'auth_fail': 2, 'replay_fail': 1, 'other_fail': 0, 'idle_ms': 1500,
                 'idle': False, 'worker': 1},
                {'name': 'cam2', 'owner': 'bob', 'packets': 0, 'bytes': 0, 'auth_fail': 0,
                 'replay_fail': 0, 'other_fail': 0, 'idle_ms': None, 'idle': True,
                 'worker': None}],
            'workers': [{'worker': 0, 'rx': 10, 'tx': 20, 'drops': {'a': 1, 'b': 2}},
                        {'worker': 'agent', 'rx': 0, 'tx': 0, 'drops': {}}],
            'drops': {'srtp_auth_fail': 2, 'no_flow': 0, 'replay': 1}}
        out, _ = self.text('stats', result=result)
        parts = out.split('\n\n')
        self.assertEqual(len(parts), 3, out)
        rows = self.assert_table(parts[0], ['NAME', 'OWNER', 'WORKER', 'PACKETS', 'BYTES',
                                            'AUTH_FAIL', 'REPLAY_FAIL', 'OTHER_FAIL',
                                            'LAST_PACKET', 'STATE'])
        self.assertEqual(rows, [
            ['cam1', 'alice', '1', '1000', '1200000', '2', '1', '0', '1.5s', 'ago', 'active'],
            ['cam2', 'bob', '-', '0', '0', '0', '0', '0', 'never', 'idle']])
        rows = self.assert_table(parts[1], ['WORKER', 'RX', 'TX', 'DROPS'])
        self.assertEqual(rows, [['0', '10', '20', '3'], ['agent', '0', '0', '0']])
        rows = self.assert_table(parts[2], ['DROP', 'COUNT'])
        self.assertEqual(rows, [['srtp_auth_fail', '2'], ['replay', '1']])
        out, _ = self.text('stats', '--stream', 'x', result={'streams': [], 'workers': [],
                                                             'drops': {'no_flow': 0}})
        self.assertEqual(out, 'no streams\n\nno workers\n\nno drops\n')

    def test_fields(self):
        out, _ = self.text('status', result={
            'gateway': 'connected', 'version': 7, 'ctl_seq': 12, 'applied_seq': 12,
            'streams': 2, 'viewers': 3, 'owners': 1})
        self.assertEqual(out, 'gateway: connected\nversion: 7\nctl_seq: 12\napplied_seq: 12\n'
                         'streams: 2\nviewers: 3\nowners: 1\n')
        out, _ = self.text('status', result={'gateway': 'connected', 'rejected': [
            {'viewer': 4, 'error': 'no route'}, {'stream': 2, 'error': 'bad\nline'}], 'ok': True})
        self.assertEqual(out, 'gateway: connected\n'
                         'rejected: viewer=4 error=no route; stream=2 error=bad?line\nok: yes\n')
        out, _ = self.text('owner', 'del', 'alice', result={'name': 'alice', 'streams': 1,
                                                            'viewers': 4})
        self.assertEqual(out, 'name: alice\nstreams: 1\nviewers: 4\n')
        out, _ = self.text('grant', 'del', 'cam1', '--to', 'bob',
                           result={'stream': 'cam1', 'to': 'bob', 'viewers': 0})
        self.assertEqual(out, 'stream: cam1\nto: bob\nviewers: 0\n')
        out, _ = self.text('stream', 'rekey', 'cam1', '--key', KEY,
                           result={'name': 'cam1', 'suite': 'AEAD_AES_128_GCM', 'overlap': 30})
        self.assertEqual(out, 'name: cam1\nsuite: AEAD_AES_128_GCM\noverlap: 30 s\n')


if __name__ == '__main__':
    unittest.main(verbosity=2)
