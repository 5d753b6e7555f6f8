"""A client of the srtpgw agent protocol (api/srtpgw_agent.h), written
independently of the gateway's code with struct: framing, every op, the
replies, and the statistics. Integers are in the host's byte order.

Used by the isolation scenario (tests/isolation/), whose churn driver needs
thousands of changes a second: srtpgw-agentctl (one process per call) and
the control plane's SQLite path are far too slow for that.

    c = AgentClient(path)
    r = c.transaction([stream_add(...), viewer_add(...)], ctl_seq=7)
    r.version, r.t_commit, r.t_applied, r.t_end
"""
import os
import re
import socket
import struct
import time

MAGIC, VERSION = 0x31574753, 1
MAX_PAYLOAD = 1 << 20
HDR = struct.Struct('=IHHII')  # magic, version, type, len, seq

# message types
HELLO, TXN_BEGIN, TXN_OPS, TXN_COMMIT, TXN_ABORT = 1, 2, 3, 4, 5
STATS_WORKERS, STATS_FLOWS, STATS_VIEWERS = 6, 7, 8
LEASE = 12
OK, ERROR, STATUS, APPLIED, WORKER_STATS, FLOW_STATS, VIEWER_STATS = 64, 65, 66, 67, 68, 69, 70

# op types
(OP_STREAM_ADD, OP_STREAM_DEL, OP_STREAM_REKEY, OP_STREAM_END_OVERLAP, OP_STREAM_SET_SOURCE,
 OP_GRANT_ADD, OP_GRANT_DEL, OP_VIEWER_ADD, OP_VIEWER_DEL, OP_VIEWER_REKEY,
 OP_VIEWER_SET_DEST) = range(1, 12)
OP_STREAM_FENCE = 16

SUITE = {'PLAIN': 0, 'AES_CM_128_HMAC_SHA1_80': 1, 'AES_CM_128_HMAC_SHA1_32': 2,
         'AEAD_AES_128_GCM': 3, 'AEAD_AES_256_GCM': 4}
KEY_LEN = {'PLAIN': 0, 'AES_CM_128_HMAC_SHA1_80': 30, 'AES_CM_128_HMAC_SHA1_32': 30,
           'AEAD_AES_128_GCM': 28, 'AEAD_AES_256_GCM': 44}
REKEY_KEEP_OLD = 1
TXN_REPLACE_ALL = 1

ERR = struct.Struct('=iI200s')
STATUS_S = struct.Struct('=QQQIIII')  # ..., workers, lease_ms
LEASE_NONE, LEASE_EXPIRED = 0, 0xffffffff
APPLIED_S = struct.Struct('=QQ')
POS_VALID = 1
FLOW_STATS_S = struct.Struct('=QIIQQQQQQIIHHIQ')  # ..., position, fence
# struct sgw_viewer_stats, whole: ids, counters, position, its RTCP, NACKs
VIEWER_STATS_S = struct.Struct('=QQIIQQQIIHHIQQQQQQIiIIQQQ')
NO_OP = 0xffffffff

_TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def counter_names(header=os.path.join(_TOP, 'api', 'srtpgw_counters.h')):
    """The counter names in wire order, read from api/srtpgw_counters.h."""
    with open(header) as f:
        text = f.read()
    return re.findall(r'^\s*_\([A-Z0-9_]+,\s*"([a-z0-9_]+)"', text, re.M)


# ---- packing ----------------------------------------------------------------

def addr(ip):
    if ip is None:
        return struct.pack('=B3x16s', 0, b'')
    if ':' in ip:
        return struct.pack('=B3x16s', 6, socket.inet_pton(socket.AF_INET6, ip))
    return struct.pack('=B3x16s', 4, socket.inet_pton(socket.AF_INET, ip))


def endpoint(ip, port):
    return addr(ip) + struct.pack('=HH', port, 0)


def key(suite, material=b''):
    assert len(material) == KEY_LEN[suite], (suite, len(material))
    return struct.pack('=BB6x48s', SUITE[suite], len(material), material)


def pos(p):
    """A struct sgw_pos from (ssrc, roc, seq), or none from None."""
    if p is None:
        return struct.pack('=IIHHI', 0, 0, 0, 0, 0)
    return struct.pack('=IIHHI', p[0], p[1], p[2], POS_VALID, 0)


def op(kind, body):
    return struct.pack('=HHI', kind, len(body), 0) + body


def stream_add(sid, owner, listen_ip, port, suite, material, source=(None, 0), window=0,
               resume=False):
    """resume False: the short form (no position field); None or (ssrc, roc, seq):
    the full form."""
    body = (struct.pack('=QII', sid, owner, window) + endpoint(listen_ip, port) +
            endpoint(*source) + key(suite, material))
    return op(OP_STREAM_ADD, body if resume is False else body + pos(resume))


def stream_del(sid):
    return op(OP_STREAM_DEL, struct.pack('=Q', sid))


def stream_rekey(sid, suite, material, keep_old=False):
    return op(OP_STREAM_REKEY, struct.pack('=QII', sid, REKEY_KEEP_OLD if keep_old else 0, 0) +
              key(suite, material))


def stream_end_overlap(sid):
    return op(OP_STREAM_END_OVERLAP, struct.pack('=Q', sid))


def stream_fence(sid, token):
    return op(OP_STREAM_FENCE, struct.pack('=QQ', sid, token))


def grant_add(sid, owner):
    return op(OP_GRANT_ADD, struct.pack('=QII', sid, owner, 0))


def grant_del(sid, owner):
    return op(OP_GRANT_DEL, struct.pack('=QII', sid, owner, 0))


def viewer_add(vid, sid, owner, ip, port, suite, material, resume=False):
    body = struct.pack('=QQII', vid, sid, owner, 0) + endpoint(ip, port) + key(suite, material)
    return op(OP_VIEWER_ADD, body if resume is False else body + pos(resume))


def viewer_del(vid):
    return op(OP_VIEWER_DEL, struct.pack('=Q', vid))


def viewer_rekey(vid, suite, material):
    return op(OP_VIEWER_REKEY, struct.pack('=QII', vid, 0, 0) + key(suite, material))


def viewer_set_dest(vid, ip, port):
    return op(OP_VIEWER_SET_DEST, struct.pack('=Q', vid) + endpoint(ip, port))


def ops_payloads(ops, limit=MAX_PAYLOAD):
    """TXN_OPS payloads ({n_ops, pad} + ops), each within the size limit."""
    out, cur, size = [], [], 8
    for o in ops:
        if cur and size + len(o) > limit:
            out.append(struct.pack('=II', len(cur), 0) + b''.join(cur))
            cur, size = [], 8
        cur.append(o)
        size += len(o)
    if cur:
        out.append(struct.pack('=II', len(cur), 0) + b''.join(cur))
    return out


# ---- the client ------------------------------------------------------------------

class AgentError(Exception):
    """The gateway answered ERROR: .code (errno), .op_index, .msg."""

    def __init__(self, code, op_index, msg):
        super().__init__('agent error %d (op %s): %s' % (
            code, 'none' if op_index == NO_OP else op_index, msg))
        self.code, self.op_index, self.msg = code, op_index, msg


class TxnResult:
    __slots__ = ('version', 'ctl_seq', 't_commit', 't_applied', 't_end', 'status_version')

    def __repr__(self):
        return 'TxnResult(version=%d)' % self.version


class AgentClient:
    """One connection to the agent socket. Requests are answered in order,
    so a whole transaction and the HELLO after it go out in one write."""

    def __init__(self, path, timeout=30):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.seq = 0
        self._buf = bytearray()

    def close(self):
        self.s.close()

    def _msg(self, kind, payload=b''):
        self.seq = (self.seq + 1) & 0xffffffff
        return HDR.pack(MAGIC, VERSION, kind, len(payload), self.seq) + payload, self.seq

    def _read(self, n):
        while len(self._buf) < n:
            got = self.s.recv(max(65536, n - len(self._buf)))
            if not got:
                raise EOFError('agent closed the connection')
            self._buf += got
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    def recv(self):
        magic, version, kind, length, seq = HDR.unpack(self._read(HDR.size))
        if (magic, version) != (MAGIC, VERSION) or length > MAX_PAYLOAD:
            raise EOFError('bad reply header %x/%d/%d' % (magic, version, length))
        return kind, seq, self._read(length)

    def _expect(self, seq, want):
        kind, rseq, p = self.recv()
        if rseq != seq:
            raise EOFError('reply to request %d, expected %d' % (rseq, seq))
        if kind == ERROR:
            code, index, msg = ERR.unpack(p)
            raise AgentError(code, index, msg.split(b'\0', 1)[0].decode(errors='replace'))
        if kind != want:
            raise EOFError('reply type %d, expected %d' % (kind, want))
        return p

    def request(self, kind, payload=b'', want=None):
        m, seq = self._msg(kind, payload)
        self.s.sendall(m)
        return self._expect(seq, want)

    def hello(self):
        """{version, ctl_seq, boot_id, streams, viewers, workers, lease_ms}"""
        v, c, b, ns, nv, nw, lease = STATUS_S.unpack(self.request(HELLO, want=STATUS))
        return {'version': v, 'ctl_seq': c, 'boot_id': b, 'streams': ns, 'viewers': nv, 'workers': nw,
                'lease_ms': lease}

    def lease(self, ttl_ms, pad=0):
        """LEASE: fenced streams forward for ttl_ms more (0: no deadline)."""
        self.request(LEASE, struct.pack('=II', ttl_ms, pad), want=OK)

    def transaction(self, ops, ctl_seq=0, flags=0):
        """BEGIN, OPS..., COMMIT and HELLO in one write. Returns a TxnResult:
        t_commit: CLOCK_MONOTONIC ns just before the write (the version
          cannot be published earlier);
        t_applied: when APPLIED arrived (the version was published before);
        t_end: when the HELLO's STATUS arrived. The agent answers a request
          only after it has finished the previous one, and after COMMIT it
          waits for the grace period (every worker quiescent once) before
          it reads the next request (gateway/agent_server.c: reply APPLIED,
          then agent_txn_reclaim), so every burst that starts after t_end
          uses this version or a later one.
        On ERROR the transaction is aborted by the gateway and AgentError
        raised (the remaining replies are read first)."""
        msgs, seqs = [], []
        m, s = self._msg(TXN_BEGIN, struct.pack('=QII', ctl_seq, flags, 0))
        msgs.append(m)
        seqs.append((s, OK))
        for p in ops_payloads(ops):
            m, s = self._msg(TXN_OPS, p)
            msgs.append(m)
            seqs.append((s, OK))
        m, s = self._msg(TXN_COMMIT)
        msgs.append(m)
        seqs.append((s, APPLIED))
        m, s = self._msg(HELLO)
        msgs.append(m)
        seqs.append((s, STATUS))
        r = TxnResult()
        r.t_commit = time.monotonic_ns()
        self.s.sendall(b''.join(msgs))
        error = None
        for s, want in seqs:
            try:
                p = self._expect(s, want)
            except AgentError as e:
                # after an error the gateway has aborted: later OPS and the
                # COMMIT get errors of their own; HELLO still answers
                error = error or e
                continue
            if want == APPLIED:
                r.t_applied = time.monotonic_ns()
                r.version, r.ctl_seq = APPLIED_S.unpack(p)
            elif want == STATUS:
                r.t_end = time.monotonic_ns()
                r.status_version = STATUS_S.unpack(p)[0]
        if error is not None:
            raise error
        return r

    def worker_stats(self, names=None):
        """[{counter: value}] per worker, the agent thread last."""
        p = self.request(STATS_WORKERS, want=WORKER_STATS)
        n_workers, n_counters = struct.unpack_from('=II', p)
        names = names or counter_names()
        out, off = [], 8
        for _ in range(n_workers):
            lcore = struct.unpack_from('=I', p, off)[0]
            vals = struct.unpack_from('=%dQ' % n_counters, p, off + 8)
            off += 8 + 8 * n_counters
            d = {names[i] if i < len(names) else 'counter%d' % i: v for i, v in enumerate(vals)}
            d['lcore'] = lcore
            out.append(d)
        return out

    def counters(self):
        """Every counter summed over the workers and the agent thread."""
        total = {}
        for w in self.worker_stats():
            for k, v in w.items():
                if k != 'lcore':
                    total[k] = total.get(k, 0) + v
        return total

    def _pages(self, kind, want, entry):
        after, out = 0, []
        while True:
            p = self.request(kind, struct.pack('=QII', after, 1024, 0), want=want)
            n, more = struct.unpack_from('=II', p)
            for i in range(n):
                out.append(entry.unpack_from(p, 8 + i * entry.size))
            if not more or n == 0:
                return out
            after = out[-1][0]

    @staticmethod
    def _with_pos(keys, t):
        """A stats entry as a dict; its position as 'position': (ssrc, roc, seq) or None."""
        d = dict(zip(keys, t))
        ssrc, roc, seq, flags, _ = t[len(keys):len(keys) + 5]
        d['position'] = (ssrc, roc, seq) if flags & POS_VALID else None
        return d

    def flow_stats(self):
        keys = ('stream', 'owner', 'worker', 'packets', 'bytes', 'auth_fail', 'replay_fail',
                'other_fail', 'idle_ms')
        out = {}
        for t in self._pages(STATS_FLOWS, FLOW_STATS, FLOW_STATS_S):
            d = self._with_pos(keys, t)
            d['fence'] = t[len(keys) + 5]
            out[t[0]] = d
        return out

    def viewer_stats(self):
        keys = ('viewer', 'stream', 'owner', 'pad', 'packets', 'bytes', 'drops')
        rtcp = ('rtcp_in', 'rtcp_bad', 'rr', 'pli', 'fir', 'nack', 'fraction_lost', 'cumulative_lost',
                'jitter', 'rtt_us', 'last_rr_ms', 'nack_resent', 'nack_missed')
        out = {}
        for t in self._pages(STATS_VIEWERS, VIEWER_STATS, VIEWER_STATS_S):
            d = self._with_pos(keys, t)
            d.update(zip(rtcp, t[len(keys) + 5:]))
            out[t[0]] = d
        return out
