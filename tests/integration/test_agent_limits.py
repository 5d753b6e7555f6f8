"""The agent socket's limits (docs/agent-protocol.md, "Limits"; docs/security.md,
"Limits"): no client can hold the agent thread or lock the others out.

- a client that opened a transaction and went silent: its transaction is
  aborted after agent_txn_timeout_ms (ERROR ETIMEDOUT, connection closed)
  and another client's transaction goes through;
- a client that sends requests and never reads the replies: other clients
  are served and the gateway forwards meanwhile, and the slow reader gets
  every reply, in order, once it reads (until agent_send_timeout_ms, after
  which it is closed);
- a client that sends nothing for agent_idle_timeout_ms is closed, one
  that keeps talking is not;
- at most agent_max_clients at once: the next one gets ERROR EUSERS;
- only allowed peers: a process of a uid and gids the config does not
  allow gets ERROR EACCES and is closed, even when the socket's mode would
  let it in; agent_allow_uids / agent_allow_gids (primary or supplementary
  group) let others in.

The clients speak the protocol with struct (tests/lib/agentproto.py);
processes of other users are forked children that change uid first.
"""
import errno
import fcntl
import json
import os
import select
import struct
import subprocess
import sys
import termios
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
import agentproto as ap  # noqa: E402
from sgwtest import (AGENTCTL, GatewayCase, assert_nothing_queued, b64, counter_deltas,  # noqa: E402
                     marked_payload, new_key, pcap_port, recv_all, rtp, srtp_session, wait_for)

GW4, PEER4 = '10.89.0.1', '10.89.0.2'
SUITE = 'AES_CM_128_HMAC_SHA1_80'
N_HELLO = 100000  # requests of the client that does not read: far more than any socket buffer


def error_of(payload):
    code, index, msg = ap.ERR.unpack(payload)
    return code, index, msg.split(b'\0', 1)[0].decode()


def unread(sock):
    """Bytes waiting to be read on sock."""
    return struct.unpack('i', fcntl.ioctl(sock.fileno(), termios.FIONREAD, b'\0\0\0\0'))[0]


def hello_burst(n):
    return b''.join(ap.HDR.pack(ap.MAGIC, ap.VERSION, ap.HELLO, 0, i + 1) for i in range(n))


def at_eof(c):
    try:
        return c.s.recv(1) == b''
    except ConnectionResetError:
        return True


def as_user(uid, gid, groups, path, fn):
    """Run fn(path) in a forked child that is uid/gid/groups; returns what
    fn returned (JSON-able), or {'exception': text}."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        try:
            os.setgroups(groups)
            os.setgid(gid)
            os.setuid(uid)
            out = fn(path)
        except BaseException as e:  # report anything, never return into the test
            out = {'exception': '%s: %s' % (type(e).__name__, e)}
        os.write(w, json.dumps(out).encode())
        os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        text = f.read()
    os.waitpid(pid, 0)
    return json.loads(text)


def hello_as_peer(path):
    """Connect, send HELLO, report the first reply and whether the gateway
    closed the connection after it (else a second HELLO is answered)."""
    c = ap.AgentClient(path, timeout=20)
    try:
        c.s.sendall(ap.HDR.pack(ap.MAGIC, ap.VERSION, ap.HELLO, 0, 7))
    except (BrokenPipeError, ConnectionResetError):
        pass  # a refused peer may be closed before it sends: the ERROR waits to be read
    kind, seq, p = c.recv()
    out = {'kind': kind, 'seq': seq}
    if kind == ap.ERROR:
        out['code'], _, out['msg'] = error_of(p)
        out['closed'] = at_eof(c)
    else:
        out['closed'] = c.hello() is None
    return out


class LimitsCase(GatewayCase):
    PEER_ADDRS = [PEER4 + '/24']

    @classmethod
    def port(cls):
        return pcap_port(cls.iface, [GW4 + '/24'], neighbours=[(PEER4, cls.ns_mac)])

    def client(self, timeout=30):
        c = ap.AgentClient(self.gw.sock, timeout=timeout)
        self.addCleanup(c.close)
        return c

    def open_socket_to_all(self):
        """The socket's mode as if someone had widened it: any user may
        connect, so only the peer check stands in the way."""
        os.chmod(self.gw.dir, 0o755)
        os.chmod(self.gw.sock, 0o666)
        self.addCleanup(os.chmod, self.gw.dir, 0o700)
        self.addCleanup(os.chmod, self.gw.sock, 0o660)

    def agent_deltas(self, c0):
        return counter_deltas(c0, self.gw.counters(), 'agent_')

    def assert_refused(self, out, code, text):
        self.assertEqual((out.get('kind'), out.get('seq')), (ap.ERROR, 0), out)
        self.assertEqual(out['code'], code, out)
        self.assertIn(text, out['msg'])
        self.assertTrue(out['closed'], out)

    def fill_without_reading(self, c):
        """c sends N_HELLO requests in a thread and reads nothing; returns
        the thread, once the first replies are waiting for c."""
        burst = hello_burst(N_HELLO)
        errors = []

        def write():
            try:
                c.s.sendall(burst)
            except OSError as e:
                errors.append(e)
        t = threading.Thread(target=write, daemon=True)
        t.errors = errors
        t.start()
        wait_for(lambda: unread(c.s) > 0, 30, 'the first replies')
        return t


class AgentLimits(LimitsCase):
    EXTRA_CONFIG = ('agent_txn_timeout_ms = 1000;\nagent_idle_timeout_ms = 2000;\n'
                    'agent_send_timeout_ms = 600000;\n')

    @classmethod
    def ready(cls):
        # a stream with a viewer, to see that forwarding goes on
        cls.k_in, cls.k_out = new_key(SUITE), new_key(SUITE)
        cls.view = cls.ns.socket()
        cls.res.add(cls.view.close)
        cls.view.bind((PEER4, 0))
        cls.cam = cls.ns.socket()
        cls.res.add(cls.cam.close)
        cls.cam.bind((PEER4, 0))
        cls.gw.apply(['stream add 1 owner=1 listen=%s:23000 suite=%s key=%s' % (GW4, SUITE, b64(cls.k_in)),
                      'viewer add 10 stream=1 owner=1 to=%s:%d suite=%s key=%s' %
                      (PEER4, cls.view.getsockname()[1], SUITE, b64(cls.k_out))])
        cls.tx = srtp_session(SUITE, cls.k_in, outbound=True)
        cls.rx = srtp_session(SUITE, cls.k_out, outbound=False)
        cls.seq = 1

    def assert_forwards(self):
        AgentLimits.seq += 1
        plain = rtp(self.seq, payload=marked_payload(1, self.seq))
        c0 = self.gw.counters()
        self.cam.sendto(self.tx.protect(plain), (GW4, 23000))
        try:
            (data, _), = recv_all(self.view, 1)
        except AssertionError as e:
            # say where the packet went (CI saw it vanish once, unexplained)
            d = {k: v - c0.get(k, 0) for k, v in self.gw.counters().items() if v != c0.get(k, 0)}
            raise AssertionError('%s; the gateway counted %s; its streams: %s' % (e, d, self.gw.streams()))
        self.assertEqual(self.rx.unprotect(data), plain)
        assert_nothing_queued(self.view)

    def test_silent_transaction_is_aborted(self):
        k = new_key(SUITE)
        c0 = self.gw.counters()
        a = self.client()
        a.request(ap.TXN_BEGIN, struct.pack('=QII', 0, 0, 0), want=ap.OK)
        a.request(ap.TXN_OPS, ap.ops_payloads([ap.stream_add(900, 1, GW4, 23900, SUITE, k)])[0], want=ap.OK)
        last_seq = a.seq
        # a goes silent; b is locked out, then gets the transaction
        b = self.client()
        with self.assertRaises(ap.AgentError) as e:
            b.request(ap.TXN_BEGIN, struct.pack('=QII', 0, 0, 0), want=ap.OK)
        self.assertEqual(e.exception.code, errno.EBUSY)

        def begun():
            try:
                b.request(ap.TXN_BEGIN, struct.pack('=QII', 0, 0, 0), want=ap.OK)
                return True
            except ap.AgentError as err:
                self.assertEqual(err.code, errno.EBUSY)
                return False
        wait_for(begun, 30, "the silent client's transaction to be aborted", interval=0.05)
        v0 = b.hello()['version']
        b.request(ap.TXN_OPS, ap.ops_payloads([ap.stream_add(901, 1, GW4, 23901, SUITE, k)])[0], want=ap.OK)
        self.assertEqual(ap.APPLIED_S.unpack(b.request(ap.TXN_COMMIT, want=ap.APPLIED))[0], v0 + 1)

        # a was told why, and closed
        kind, seq, p = a.recv()
        self.assertEqual((kind, seq), (ap.ERROR, last_seq))
        code, _, msg = error_of(p)
        self.assertEqual(code, errno.ETIMEDOUT)
        self.assertIn('agent_txn_timeout_ms', msg)
        self.assertTrue(at_eof(a))
        st = self.gw.streams()
        self.assertNotIn(900, st)
        self.assertIn(901, st)
        self.gw.apply(['stream del 901'])
        self.assertEqual(self.agent_deltas(c0), {'agent_txn_timeout': 1})

    def test_client_that_does_not_read(self):
        c0 = self.gw.counters()
        slow = self.client()
        writer = self.fill_without_reading(slow)
        # others are served meanwhile, the slow path too, and forwarding goes on
        t = self.client()
        v0 = t.hello()['version']
        k = new_key(SUITE)
        for i in range(20):
            self.assertEqual(t.transaction([ap.stream_add(800 + i, 1, GW4, 23800 + i, SUITE, k)]).version,
                             v0 + 2 * i + 1)
            self.assertEqual(t.transaction([ap.stream_del(800 + i)]).version, v0 + 2 * i + 2)
        # done with t: left open, a loaded machine can make it idle for
        # agent_idle_timeout_ms before the end (agent_idle_closed)
        t.close()
        self.ns.run('ping', '-c', '1', '-W', '5', GW4)
        self.assert_forwards()
        # the slow client read nothing and has not got all its requests in:
        # the gateway stopped reading them instead of waiting for it
        self.assertGreater(unread(slow.s), 0)
        self.assertTrue(writer.is_alive())
        # it was not dropped: every reply comes, in order
        for i in range(N_HELLO):
            kind, seq, p = slow.recv()
            self.assertEqual((kind, seq, len(p)), (ap.STATUS, i + 1, ap.STATUS_S.size))
        writer.join(30)
        self.assertFalse(writer.is_alive())
        self.assertEqual(writer.errors, [])
        slow.close()  # before it can idle out
        self.assertEqual(self.agent_deltas(c0), {})

    def test_idle_client_is_closed(self):
        c0 = self.gw.counters()
        idle, busy = self.client(), self.client()
        idle.hello()
        busy.hello()
        last_seq = idle.seq

        def idle_closed():
            busy.hello()  # every 0.2 s: never idle
            return select.select([idle.s], [], [], 0)[0]
        wait_for(idle_closed, 30, 'the idle client to be closed', interval=0.2)
        kind, seq, p = idle.recv()
        self.assertEqual((kind, seq), (ap.ERROR, last_seq))
        code, _, msg = error_of(p)
        self.assertEqual(code, errno.ETIMEDOUT)
        self.assertIn('agent_idle_timeout_ms', msg)
        self.assertTrue(at_eof(idle))
        busy.hello()
        self.assertEqual(self.agent_deltas(c0), {'agent_idle_closed': 1})

    def test_peer_not_allowed(self):
        """Without agent_allow_uids/gids, the gateway's own uid and gid
        (root here) only: uid 65534 is refused although the socket's mode
        lets it connect; nothing changes."""
        self.open_socket_to_all()
        c0 = self.gw.counters()
        st0 = self.gw.status()

        def try_a_transaction(path):
            out = hello_as_peer(path)
            c = ap.AgentClient(path, timeout=20)
            try:
                c.transaction([ap.stream_add(700, 1, GW4, 23700, 'PLAIN', b'')])
                out['txn'] = 'applied'
            except ap.AgentError as e:
                out['txn'] = e.code
            except (EOFError, OSError) as e:
                out['txn'] = type(e).__name__
            return out
        out = as_user(65534, 65534, [], self.gw.sock, try_a_transaction)
        self.assert_refused(out, errno.EACCES, 'uid 65534 gid 65534 is not allowed')
        self.assertIn(out['txn'], (errno.EACCES, 'EOFError', 'ConnectionResetError', 'BrokenPipeError'), out)
        # srtpgw-agentctl says why, in one line
        r = subprocess.run(['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups',
                            AGENTCTL, '-s', self.gw.sock, 'status'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual((r.returncode, r.stdout), (1, ''))
        self.assertEqual(r.stderr.count('\n'), 1, r.stderr)
        self.assertIn('peer uid 65534 gid 65534 is not allowed on the agent socket', r.stderr)
        self.assertEqual(self.gw.status(), st0)
        self.assertEqual(self.agent_deltas(c0), {'agent_peer_refused': 3})
        self.client().hello()  # root still gets in


class AgentLimitsSmall(LimitsCase):
    EXTRA_CONFIG = ('agent_max_clients = 3;\nagent_send_timeout_ms = 1000;\n'
                    'agent_allow_uids = ( 65534 );\nagent_allow_gids = ( 65533 );\n')

    def test_max_clients(self):
        c0 = self.gw.counters()
        held = [self.client() for _ in range(3)]
        for c in held:
            c.hello()
        extra = self.client()
        kind, seq, p = extra.recv()
        self.assertEqual((kind, seq), (ap.ERROR, 0))
        code, _, msg = error_of(p)
        self.assertEqual(code, errno.EUSERS)
        self.assertIn('too many clients (agent_max_clients = 3)', msg)
        self.assertTrue(at_eof(extra))
        held[0].close()
        # Until the gateway has seen held[0] go, a newcomer is still refused
        # (and counted): count those refusals, so the total stays exact.
        refused = [1]

        def served_or_counted():
            c = ap.AgentClient(self.gw.sock, timeout=10)
            try:
                try:
                    c.s.sendall(hello_burst(1))
                except (BrokenPipeError, ConnectionResetError):
                    pass  # refused and closed already: its ERROR is still there to read
                kind, seq, p = c.recv()
                if kind == ap.ERROR:
                    self.assertEqual((seq, error_of(p)[0]), (0, errno.EUSERS))
                    refused[0] += 1
                    return False
                self.assertEqual(kind, ap.STATUS)
                return True
            finally:
                c.close()
        wait_for(served_or_counted, what='a free client slot')
        for c in held[1:]:
            c.hello()
        self.assertEqual(self.agent_deltas(c0).get('agent_clients_refused'), refused[0])

    def test_send_timeout(self):
        """A client that leaves its replies unread is closed after
        agent_send_timeout_ms; the others are served."""
        c0 = self.gw.counters()
        slow = self.client()
        writer = self.fill_without_reading(slow)
        wait_for(lambda: self.agent_deltas(c0).get('agent_send_timeout') == 1, 30,
                 'the slow client to be closed')
        got = 0
        try:
            while True:
                kind, seq, _ = slow.recv()
                self.assertEqual((kind, seq), (ap.STATUS, got + 1))
                got += 1
        except (EOFError, ConnectionResetError):
            pass
        self.assertLess(got, N_HELLO)
        writer.join(30)
        self.assertFalse(writer.is_alive())
        self.client().hello()
        self.assertEqual(self.agent_deltas(c0), {'agent_send_timeout': 1})

    def test_allow_lists(self):
        """agent_allow_uids = ( 65534 ), agent_allow_gids = ( 65533 ): by
        uid, by primary group, by a supplementary group; anyone else is
        refused."""
        self.open_socket_to_all()
        c0 = self.gw.counters()
        for uid, gid, groups in ((65534, 65534, []), (65532, 65533, []), (65532, 65532, [65531, 65533])):
            out = as_user(uid, gid, groups, self.gw.sock, hello_as_peer)
            self.assertEqual(out.get('kind'), ap.STATUS, (uid, gid, groups, out))
            self.assertFalse(out['closed'], out)
        for uid, gid, groups in ((65532, 65532, []), (65533, 65534, [65531])):
            out = as_user(uid, gid, groups, self.gw.sock, hello_as_peer)
            self.assert_refused(out, errno.EACCES, 'uid %d gid %d is not allowed' % (uid, gid))
        self.assertEqual(self.agent_deltas(c0), {'agent_peer_refused': 2})


if __name__ == '__main__':
    unittest.main(verbosity=2)
