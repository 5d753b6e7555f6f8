"""The agent socket protocol (api/srtpgw_agent.h), spoken by an independent
client written here with struct, and srtpgw-agentctl's error paths.

DESIGN invariants 2 (a transaction is visible all at once or not at all)
and 7 (malformed control requests get a clear error and change nothing).
"""
import errno
import os
import socket
import struct
import sys
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (GatewayCase, assert_nothing_queued, b64, new_key, pcap_port,  # noqa: E402
                     recv_all, rtp, srtp_session, wait_for)

GW4, PEER4 = '10.79.0.1', '10.79.0.2'

# ---- the wire format, from api/srtpgw_agent.h (host byte order) -----------
MAGIC, VERSION = 0x31574753, 1
MAX_PAYLOAD = 1 << 20
HDR = struct.Struct('=IHHII')             # magic, version, type, len, seq
(HELLO, TXN_BEGIN, TXN_OPS, TXN_COMMIT, TXN_ABORT) = range(1, 6)
OK, ERROR, STATUS, APPLIED = 64, 65, 66, 67
(OP_STREAM_ADD, OP_STREAM_DEL, OP_STREAM_REKEY, OP_STREAM_END_OVERLAP, OP_STREAM_SET_SOURCE,
 OP_GRANT_ADD, OP_GRANT_DEL, OP_VIEWER_ADD, OP_VIEWER_DEL) = range(1, 10)
SUITE = {'PLAIN': 0, 'AES_CM_128_HMAC_SHA1_80': 1}
ERR = struct.Struct('=iI200s')
STATUS_S = struct.Struct('=QQQIIII')
APPLIED_S = struct.Struct('=QQ')
NO_OP = 0xffffffff


def addr(ip):
    if ip is None:
        return struct.pack('=B3x16s', 0, b'')
    if ':' in ip:
        return struct.pack('=B3x16s', 6, socket.inet_pton(socket.AF_INET6, ip))
    return struct.pack('=B3x16s', 4, socket.inet_pton(socket.AF_INET, ip))


def endpoint(ip, port):
    return addr(ip) + struct.pack('=HH', port, 0)


def key(suite, material=b''):
    return struct.pack('=BB6x48s', SUITE[suite], len(material), material)


def op(kind, body, length=None):
    return struct.pack('=HHI', kind, len(body) if length is None else length, 0) + body


def stream_add(sid, port, k=None, owner=1, listen=GW4, window=0, resume=None):
    """The short form (120 bytes) unless resume = (ssrc, roc, seq, flags)."""
    body = struct.pack('=QII', sid, owner, window) + endpoint(listen, port) + endpoint(None, 0) + \
        (key('AES_CM_128_HMAC_SHA1_80', k) if k else key('PLAIN'))
    assert len(body) == 120
    if resume is not None:
        body += struct.pack('=IIHHI', *resume, 0)
    return op(OP_STREAM_ADD, body)


def viewer_add(vid, sid, ip, port, owner=1, k=None):
    body = struct.pack('=QQII', vid, sid, owner, 0) + endpoint(ip, port) + \
        (key('AES_CM_128_HMAC_SHA1_80', k) if k else key('PLAIN'))
    assert len(body) == 104
    return op(OP_VIEWER_ADD, body)


def id_op(kind, i):
    return op(kind, struct.pack('=Q', i))


def ops_payload(ops, n=None):
    return struct.pack('=II', len(ops) if n is None else n, 0) + b''.join(ops)


def begin(ctl_seq=0, flags=0):
    return struct.pack('=QII', ctl_seq, flags, 0)


class Client:
    """One connection to the agent socket."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)
        self.seq = 1000

    def close(self):
        self.s.close()

    def send(self, kind, payload=b'', magic=MAGIC, version=VERSION, length=None):
        self.seq += 1
        self.s.sendall(HDR.pack(magic, version, kind, len(payload) if length is None else length,
                                self.seq) + payload)

    def _read(self, n):
        buf = b''
        while len(buf) < n:
            got = self.s.recv(n - len(buf))
            if not got:
                raise EOFError('agent closed the connection')
            buf += got
        return buf

    def recv(self):
        magic, version, kind, length, seq = HDR.unpack(self._read(HDR.size))
        assert (magic, version) == (MAGIC, VERSION), 'reply header %x/%d' % (magic, version)
        assert length <= MAX_PAYLOAD
        return kind, seq, self._read(length)

    def request(self, kind, payload=b'', **kw):
        """Send; return (reply type, payload); the reply echoes our seq."""
        self.send(kind, payload, **kw)
        rkind, seq, p = self.recv()
        assert seq == self.seq, 'reply to %d, expected %d' % (seq, self.seq)
        return rkind, p

    def at_eof(self):
        """True if the agent closed the connection (and sent nothing more)."""
        try:
            return self.s.recv(1) == b''
        except ConnectionResetError:
            return True


def error(payload):
    code, index, msg = ERR.unpack(payload)
    return code, index, msg.split(b'\0', 1)[0].decode()


class AgentProtocol(GatewayCase):
    PEER_ADDRS = [PEER4 + '/24']

    @classmethod
    def port(cls):
        return pcap_port(cls.iface, [GW4 + '/24'], neighbours=[(PEER4, cls.ns_mac)])

    @classmethod
    def ready(cls):
        # a stream with a viewer that every failed request must leave alone
        cls.k_in, cls.k_out = new_key('AES_CM_128_HMAC_SHA1_80'), new_key('AES_CM_128_HMAC_SHA1_80')
        cls.view = cls.ns.socket()
        cls.res.add(cls.view.close)
        cls.view.bind((PEER4, 0))
        cls.cam = cls.ns.socket()
        cls.res.add(cls.cam.close)
        cls.cam.bind((PEER4, 0))
        cls.gw.apply(['stream add 500 owner=1 listen=%s:22000 suite=AES_CM_128_HMAC_SHA1_80 key=%s' %
                      (GW4, b64(cls.k_in)),
                      'viewer add 5001 stream=500 owner=1 to=%s:%d suite=AES_CM_128_HMAC_SHA1_80 key=%s' %
                      (PEER4, cls.view.getsockname()[1], b64(cls.k_out))])
        cls.tx = srtp_session('AES_CM_128_HMAC_SHA1_80', cls.k_in, outbound=True)
        cls.rx = srtp_session('AES_CM_128_HMAC_SHA1_80', cls.k_out, outbound=False)
        cls.seq = 100

    def client(self):
        c = Client(self.gw.sock)
        self.addCleanup(c.close)
        return c

    def state(self):
        """What a failed request must not change."""
        st = self.gw.status()
        return (st['version'], st['streams'], st['viewers'], st['ctl_seq'],
                sorted(self.gw.streams()), sorted(self.gw.viewers()))

    def assert_error(self, reply, code, index=NO_OP, text=None):
        kind, p = reply
        self.assertEqual(kind, ERROR)
        self.assertEqual(len(p), ERR.size)
        c, i, msg = error(p)
        self.assertEqual((c, i), (code, index), msg)
        if text is not None:
            self.assertIn(text, msg)
        return msg

    def assert_stream_500_forwards(self):
        """The pre-existing stream still delivers, with the viewer's key."""
        AgentProtocol.seq += 1
        plain = rtp(self.seq, payload=b'still here %d' % self.seq)
        self.cam.sendto(self.tx.protect(plain), (GW4, 22000))
        (data, _), = recv_all(self.view, 1)
        self.assertEqual(self.rx.unprotect(data), plain)
        assert_nothing_queued(self.view)

    # ---- messages ----------------------------------------------------------
    def test_hello_gives_status(self):
        c = self.client()
        c.seq = 776
        kind, p = c.request(HELLO)
        self.assertEqual(kind, STATUS)
        self.assertEqual(len(p), STATUS_S.size)
        version, ctl_seq, boot_id, n_streams, n_viewers, n_workers, _ = STATUS_S.unpack(p)
        st = self.gw.status()
        self.assertEqual((version, ctl_seq, '%016x' % boot_id, n_streams, n_viewers, n_workers),
                         (st['version'], st['ctl_seq'], st['boot_id'], st['streams'], st['viewers'], 1))
        # a second request on the same connection
        self.assertEqual(c.request(HELLO)[0], STATUS)

    def test_oversized_length_closes(self):
        before = self.state()
        c = self.client()
        self.assert_error(c.request(TXN_BEGIN, b'', length=MAX_PAYLOAD + 1), errno.EMSGSIZE,
                          text='larger than the limit')
        self.assertTrue(c.at_eof())
        c2 = self.client()
        self.assert_error(c2.request(TXN_OPS, b'', length=0xffffffff), errno.EMSGSIZE)
        self.assertTrue(c2.at_eof())
        self.assertEqual(self.state(), before)
        self.assert_stream_500_forwards()

    def test_bad_magic_or_version_closes(self):
        before = self.state()
        c = self.client()
        self.assert_error(c.request(HELLO, magic=0x53475731), errno.EPROTO)
        self.assertTrue(c.at_eof())
        c = self.client()
        self.assert_error(c.request(HELLO, version=2), errno.EPROTO)
        self.assertTrue(c.at_eof())
        # in the middle of a transaction: the transaction goes with it
        c = self.client()
        self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
        self.assertEqual(c.request(TXN_OPS, ops_payload([stream_add(501, 22010)]))[0], OK)
        self.assert_error(c.request(TXN_COMMIT, magic=0), errno.EPROTO)
        self.assertTrue(c.at_eof())
        self.assertEqual(self.state(), before)
        self.assert_commit_works([stream_add(501, 22010)], cleanup=[id_op(OP_STREAM_DEL, 501)])

    def test_unknown_type_and_wrong_length_keep_connection(self):
        """Errors about one message whose frame is intact: ERROR, and the
        connection stays usable."""
        before = self.state()
        c = self.client()
        self.assert_error(c.request(99), errno.EINVAL, text='unknown message type')
        self.assert_error(c.request(HELLO, b'xxxx'), errno.EINVAL, text='wrong payload length')
        self.assert_error(c.request(TXN_BEGIN, b'\0' * 8), errno.EINVAL)
        self.assert_error(c.request(TXN_OPS, ops_payload([])), errno.EPROTO)
        self.assert_error(c.request(TXN_COMMIT), errno.EPROTO)
        self.assert_error(c.request(TXN_BEGIN, begin(flags=0x80)), errno.EINVAL, text='flags')
        self.assertEqual(c.request(HELLO)[0], STATUS)
        self.assertEqual(self.state(), before)

    # ---- connections that go away -------------------------------------------
    def assert_commit_works(self, ops, cleanup=()):
        """A new client's transaction of ops applies as version + 1."""
        v0 = self.gw.status()['version']
        c = self.client()
        self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
        self.assertEqual(c.request(TXN_OPS, ops_payload(ops))[0], OK)
        kind, p = c.request(TXN_COMMIT)
        self.assertEqual(kind, APPLIED)
        self.assertEqual(APPLIED_S.unpack(p)[0], v0 + 1)
        if cleanup:
            self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
            self.assertEqual(c.request(TXN_OPS, ops_payload(list(cleanup)))[0], OK)
            self.assertEqual(c.request(TXN_COMMIT)[0], APPLIED)

    def test_message_cut_then_disconnect(self):
        before = self.state()
        # half a header
        c = self.client()
        c.s.sendall(HDR.pack(MAGIC, VERSION, HELLO, 0, 1)[:7])
        c.close()
        # a transaction whose TXN_OPS message stops in the middle of its op
        c = self.client()
        self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
        payload = ops_payload([stream_add(502, 22012)])
        c.send(TXN_OPS, payload[:len(payload) // 2], length=len(payload))
        c.close()
        self.assertEqual(self.state(), before)
        # the listen port and the stream id are free; the transaction slot too
        self.assert_commit_works([stream_add(502, 22012)], cleanup=[id_op(OP_STREAM_DEL, 502)])

    def test_disconnect_before_commit(self):
        before = self.state()
        c = self.client()
        self.assertEqual(c.request(TXN_BEGIN, begin(ctl_seq=4242))[0], OK)
        self.assertEqual(c.request(TXN_OPS, ops_payload([
            stream_add(503, 22014, new_key('AES_CM_128_HMAC_SHA1_80')),
            viewer_add(5031, 503, PEER4, 40000)]))[0], OK)
        self.assertEqual(c.request(TXN_OPS, ops_payload([id_op(OP_VIEWER_DEL, 5001)]))[0], OK)
        c.close()
        self.assertEqual(self.state(), before)
        self.assertNotIn(503, self.gw.streams())
        self.assert_stream_500_forwards()
        self.assert_commit_works([stream_add(503, 22014)], cleanup=[id_op(OP_STREAM_DEL, 503)])

    # ---- ops that fail -----------------------------------------------------
    def test_unknown_op_type_aborts(self):
        before = self.state()
        c = self.client()
        self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
        self.assert_error(c.request(TXN_OPS, ops_payload([stream_add(504, 22016), op(99, b'\0' * 8)])),
                          errno.EINVAL, 1, text='malformed op')
        # aborted: there is nothing to commit, and the slot is free
        self.assert_error(c.request(TXN_COMMIT), errno.EPROTO)
        self.assertEqual(self.state(), before)
        self.assert_commit_works([stream_add(504, 22016)], cleanup=[id_op(OP_STREAM_DEL, 504)])

    def test_wrong_op_body_length_aborts(self):
        before = self.state()
        c = self.client()
        for bad in (op(OP_STREAM_DEL, b'\0' * 4),                          # too short
                    op(OP_STREAM_DEL, struct.pack('=QQ', 500, 0)),         # too long
                    op(OP_STREAM_DEL, struct.pack('=Q', 500))[:-3]):  # body cut short
            self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
            self.assert_error(c.request(TXN_OPS, ops_payload([id_op(OP_VIEWER_DEL, 5001), bad])),
                              errno.EINVAL, 1, text='malformed op')
            self.assert_error(c.request(TXN_COMMIT), errno.EPROTO)
        # more ops announced than sent, fewer announced than sent
        for n in (3, 1):
            self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
            kind, p = c.request(TXN_OPS, ops_payload([id_op(OP_VIEWER_DEL, 5001),
                                                      id_op(OP_STREAM_DEL, 500)], n=n))
            self.assertEqual(kind, ERROR)
            self.assertEqual(error(p)[0], errno.EINVAL)
            self.assert_error(c.request(TXN_COMMIT), errno.EPROTO)
        self.assertEqual(self.state(), before)
        self.assert_stream_500_forwards()

    def test_second_op_fails_nothing_of_the_first(self):
        """Atomicity: an op that fails undoes the ops before it, in the same
        TXN_OPS message or in an earlier one; the reply names the op."""
        before = self.state()
        c = self.client()
        # viewer of an unknown stream
        self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
        msg = self.assert_error(c.request(TXN_OPS, ops_payload([
            stream_add(505, 22018), viewer_add(5051, 9999, PEER4, 40001)])), errno.ENOENT, 1)
        self.assertIn('op 1', msg)
        self.assertIn('9999', msg)
        # a duplicate listen port, in a second message
        self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
        self.assertEqual(c.request(TXN_OPS, ops_payload([stream_add(506, 22020)]))[0], OK)
        msg = self.assert_error(c.request(TXN_OPS, ops_payload([stream_add(507, 22020)])),
                                errno.EADDRINUSE, 1)
        self.assertIn('op 1', msg)
        # changes to what exists: viewer removed, grant added, stream deleted
        # and re-added elsewhere; then a failing op
        self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
        self.assert_error(c.request(TXN_OPS, ops_payload([
            id_op(OP_VIEWER_DEL, 5001),
            op(OP_GRANT_ADD, struct.pack('=QII', 500, 7, 0)),
            id_op(OP_STREAM_DEL, 500),
            stream_add(500, 22030),
            viewer_add(5001, 500, PEER4, 40002),
            viewer_add(5002, 12345, PEER4, 40003)])), errno.ENOENT, 5)
        self.assert_error(c.request(TXN_COMMIT), errno.EPROTO)
        self.assertEqual(self.state(), before)
        # stream 500 forwards as before (same port, same keys, same viewer);
        # the ports the failed ops used are free
        self.assert_stream_500_forwards()
        self.assert_commit_works([stream_add(505, 22018), stream_add(506, 22020), stream_add(508, 22030)],
                                 cleanup=[id_op(OP_STREAM_DEL, i) for i in (505, 506, 508)])

    def test_op_body_forms(self):
        """STREAM_ADD in its full form (with the position to resume from)
        and its short form; any other length, or unknown position flags,
        abort the transaction."""
        before = self.state()
        c = self.client()
        k = new_key('AES_CM_128_HMAC_SHA1_80')
        for bad, code, text in ((op(OP_STREAM_ADD, stream_add(509, 22040)[8:] + b'\0' * 8), errno.EINVAL,
                                 'malformed op'),
                                (stream_add(509, 22040, k, resume=(7, 1, 2, 2)), errno.EINVAL,
                                 'unknown position flags')):
            self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
            self.assert_error(c.request(TXN_OPS, ops_payload([id_op(OP_VIEWER_DEL, 5001), bad])),
                              code, 1, text=text)
            self.assert_error(c.request(TXN_COMMIT), errno.EPROTO)
        self.assertEqual(self.state(), before)
        self.assert_commit_works([stream_add(509, 22040, k, resume=(0x5eed, 3, 60000, 1)),
                                  stream_add(510, 22042, k, resume=(0, 0, 0, 0))])
        st = self.gw.streams()
        self.assertEqual(st[509]['position'], {'ssrc': 0x5eed, 'roc': 3, 'seq': 60000})
        self.assertIsNone(st[510]['position'])
        self.assert_commit_works([id_op(OP_STREAM_DEL, 509), id_op(OP_STREAM_DEL, 510)])

    def test_transaction_busy(self):
        before = self.state()
        a, b = self.client(), self.client()
        self.assertEqual(a.request(TXN_BEGIN, begin())[0], OK)
        self.assert_error(b.request(TXN_BEGIN, begin()), errno.EBUSY)
        self.assert_error(b.request(TXN_OPS, ops_payload([stream_add(509, 22022)])), errno.EBUSY)
        self.assert_error(b.request(TXN_COMMIT), errno.EPROTO)
        self.assertEqual(a.request(TXN_ABORT)[0], OK)
        self.assertEqual(b.request(TXN_BEGIN, begin())[0], OK)
        self.assert_error(a.request(TXN_BEGIN, begin()), errno.EBUSY)
        self.assertEqual(b.request(TXN_ABORT)[0], OK)
        self.assertEqual(self.state(), before)

    def test_thousand_ops(self):
        """500 streams and 500 viewers in one transaction, sent in four
        TXN_OPS messages: one version. One of them forwards."""
        st0 = self.gw.status()
        view = self.ns.socket()
        self.addCleanup(view.close)
        view.bind((PEER4, 0))
        vport = view.getsockname()[1]
        ops = []
        for i in range(500):
            ops.append(stream_add(10000 + i, 30000 + i, new_key('AES_CM_128_HMAC_SHA1_80') if i % 2 else None))
            ops.append(viewer_add(20000 + i, 10000 + i, PEER4, vport if i == 250 else 41000 + i))
        c = self.client()
        self.assertEqual(c.request(TXN_BEGIN, begin(ctl_seq=777))[0], OK)
        for part in range(4):
            self.assertEqual(c.request(TXN_OPS, ops_payload(ops[part * 250:(part + 1) * 250]))[0], OK)
        kind, p = c.request(TXN_COMMIT)
        self.assertEqual(kind, APPLIED)
        self.assertEqual(APPLIED_S.unpack(p), (st0['version'] + 1, 777))
        st = self.gw.status()
        self.assertEqual((st['version'], st['streams'], st['viewers'], st['ctl_seq']),
                         (st0['version'] + 1, st0['streams'] + 500, st0['viewers'] + 500, 777))
        plain = rtp(1, payload=b'plain in, plain out')
        self.cam.sendto(plain, (GW4, 30250))
        (data, addr), = recv_all(view, 1)
        self.assertEqual((data, addr), (plain, (GW4, 30250)))
        # and away again, in one transaction of 500 ops
        self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
        self.assertEqual(c.request(TXN_OPS, ops_payload([id_op(OP_STREAM_DEL, 10000 + i)
                                                         for i in range(500)]))[0], OK)
        kind, p = c.request(TXN_COMMIT)
        self.assertEqual((kind, APPLIED_S.unpack(p)[0]), (APPLIED, st0['version'] + 2))
        st = self.gw.status()
        self.assertEqual((st['streams'], st['viewers']), (st0['streams'], st0['viewers']))

    def test_payload_at_the_limit(self):
        """A TXN_OPS of exactly SGW_AGENT_MAX_PAYLOAD bytes is taken whole."""
        before = self.state()
        ops = [id_op(OP_STREAM_END_OVERLAP, 500)] * 65534 + [op(OP_GRANT_ADD, struct.pack('=QII', 500, 9, 0))]
        payload = ops_payload(ops)
        self.assertEqual(len(payload), MAX_PAYLOAD)
        c = self.client()
        self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
        self.assertEqual(c.request(TXN_OPS, payload)[0], OK)
        self.assertEqual(c.request(TXN_ABORT)[0], OK)
        self.assertEqual(self.state(), before)
        # the grant went with the transaction
        self.assertEqual(c.request(TXN_BEGIN, begin())[0], OK)
        self.assert_error(c.request(TXN_OPS, ops_payload([viewer_add(5009, 500, PEER4, 40009, owner=9)])),
                          errno.EPERM, 0)
        self.assertEqual(self.state(), before)

    def test_client_limit(self):
        """16 clients at once (agent_max_clients' default); the 17th gets
        one ERROR (EUSERS, seq 0) and is closed at once; a slot that frees
        up is taken again."""
        held = []
        for _ in range(16):
            c = self.client()
            self.assertEqual(c.request(HELLO)[0], STATUS)
            held.append(c)
        extra = self.client()
        kind, seq, p = extra.recv()
        self.assertEqual((kind, seq), (ERROR, 0))
        self.assertIn('too many clients', self.assert_error((kind, p), errno.EUSERS))
        self.assertTrue(extra.at_eof())
        held[0].close()

        def works():
            # the gateway may not have seen held[0] go yet: then this one is
            # refused like the 17th (ERROR, seq 0, closed), and we try again
            c = Client(self.gw.sock)
            try:
                c.send(HELLO)
                kind, seq, _ = c.recv()
                return (kind, seq) == (STATUS, c.seq)
            except (EOFError, OSError):
                return False
            finally:
                c.close()
        wait_for(works, what='a free client slot')

    # ---- srtpgw-agentctl ----------------------------------------------------
    def assert_agentctl_fails(self, lines, expect, keys=()):
        """apply exits 1 with one line on stderr containing expect, no key
        text in it, and nothing changed."""
        before = self.state()
        r = self.gw.agentctl('apply', input='\n'.join(lines) + '\n')
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout, '')
        self.assertEqual(r.stderr.count('\n'), 1, r.stderr)
        self.assertTrue(r.stderr.endswith('\n'))
        self.assertIn(expect, r.stderr)
        for k in keys:
            for piece in (k, k[:12], k[-12:]):
                self.assertNotIn(piece, r.stderr)
        self.assertEqual(self.state(), before)
        return r.stderr

    def test_agentctl_errors(self):
        k = b64(new_key('AES_CM_128_HMAC_SHA1_80'))
        short = b64(os.urandom(16))
        long_ = b64(os.urandom(44))
        ok_line = 'stream add 600 owner=1 listen=%s:22040 suite=AES_CM_128_HMAC_SHA1_80 key=%s' % (GW4, k)
        self.assert_agentctl_fails(
            ['stream add 600 owner=1 listen=%s:22040 suite=AES_CM_256_HMAC_SHA1_99 key=%s' % (GW4, k)],
            'unknown suite', [k])
        self.assert_agentctl_fails(
            ['stream add 600 owner=1 listen=%s:22040 suite=AES_CM_128_HMAC_SHA1_80 key=%s' % (GW4, short)],
            'needs 30 bytes', [short])
        self.assert_agentctl_fails(
            ['stream add 600 owner=1 listen=%s:22040 suite=AEAD_AES_128_GCM key=%s' % (GW4, long_)],
            'needs 28 bytes', [long_])
        self.assert_agentctl_fails(
            ['stream add 600 owner=1 listen=10.79.0.300:22040 suite=AES_CM_128_HMAC_SHA1_80 key=%s' % k],
            'bad address', [k])
        self.assert_agentctl_fails(
            ['stream add 600 owner=1 listen=%s suite=AES_CM_128_HMAC_SHA1_80 key=%s' % (GW4, k)],
            'bad address', [k])
        # the gateway's refusals
        self.assert_agentctl_fails(
            [ok_line, 'stream add 500 owner=1 listen=%s:22042 suite=AES_CM_128_HMAC_SHA1_80 key=%s' % (GW4, k)],
            'stream 500 exists', [k])
        self.assert_agentctl_fails(
            ['stream add 600 owner=1 listen=10.79.5.5:22040 suite=AES_CM_128_HMAC_SHA1_80 key=%s' % k],
            'not a gateway address', [k])
        self.assert_agentctl_fails(
            ['stream add 600 owner=1 listen=%s:22000 suite=AES_CM_128_HMAC_SHA1_80 key=%s' % (GW4, k)],
            'in use by stream 500', [k])
        # a line that fails to parse after a good one: the good one never applies
        self.assert_agentctl_fails(
            [ok_line, 'viewer add 6001 stream=600 owner=1 to=%s:notaport suite=AES_CM_128_HMAC_SHA1_80 key=%s'
             % (PEER4, k)], 'line 2', [k])
        self.assertNotIn(600, self.gw.streams())
        self.assert_stream_500_forwards()


if __name__ == '__main__':
    unittest.main(verbosity=2)
