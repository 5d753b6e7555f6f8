"""Helpers for the control plane's integration tests: a GatewayCase with an
srtpgw-control in front of the gateway, srtpgwctl in text and JSON, raw
protocol requests, a snapshot of everything the daemon and the gateway
show (to check that a refused request changed nothing), and a paced camera
and a viewer that run in threads while the test changes things.
"""
import json
import re
import socket
import struct
import subprocess
import threading
import time

import pylibsrtp

from sgwtest import (SRTPGWCTL, Control, GatewayCase, af_packet_port, marked_payload, recv_all,
                     rtp, srtp_session, wait_for)

SO_RCVBUFFORCE = 33  # linux/socket.h; not in the socket module

# base64 of 28..44 bytes: what a key looks like in any output
KEY_RE = re.compile(r'[A-Za-z0-9+/]{36,}={0,2}')


def without_position(objs):
    """stream or viewer show results without their stored position, which
    depends on when the daemon last read the gateway (position_poll)."""
    for o in objs:
        o.pop('position', None)
    return objs


def key_from_text(out):
    """The key from srtpgwctl's text output ("key: B64" line)."""
    m = re.search(r'^key: (\S+)$', out, re.M)
    assert m, 'no key line in:\n' + out
    return m.group(1)


class ControlCase(GatewayCase):
    """GatewayCase (one namespace, one veth, srtpgw on net_pcap) with an
    srtpgw-control configured with the gateway's address as its listen
    address and CONTROL_CONFIG as extra configuration. The daemon must
    exit 0 on SIGTERM at the end."""
    GW4 = PEER4 = None
    CONTROL_CONFIG = ''
    # net_af_packet rather than net_pcap: its ring holds 512 frames
    # whenever the worker gets the CPU; libpcap's blocks, retired on a
    # timeout, overflow after a few tens of packets when the gateway is
    # starved, and these tests count every packet of a continuous stream.
    # Two queue pairs: the worker's and the agent thread's TX queue.
    WORKERS = [[('lan', 0), ('lan', 1)]]

    @classmethod
    def port(cls):
        return af_packet_port(cls.iface, [cls.GW4 + '/24'], 2, neighbours=[(cls.PEER4, cls.ns_mac)])

    @classmethod
    def ready(cls):
        # The namespace knows the gateway's MAC for good: a stream's first
        # packets would otherwise wait in the kernel's ARP queue, and its
        # flush can let a later packet overtake them.
        cls.ns.run('ping', '-c', '1', '-W', '5', cls.GW4)
        mac = json.loads(cls.ns.run('ip', '-j', 'neigh', 'show', cls.GW4, 'dev', cls.nsif).stdout)[0]['lladdr']
        cls.ns.run('ip', 'neigh', 'replace', cls.GW4, 'lladdr', mac, 'dev', cls.nsif, 'nud', 'permanent')
        cls.control = Control(cls.res, cls.gw, [cls.GW4], extra_config=cls.CONTROL_CONFIG).start()
        cls.control.wait_applied()

    @classmethod
    def tearDownClass(cls):
        try:
            c = getattr(cls, 'control', None)
            if c and c.proc.poll() is None:
                rc = c.stop()
                assert rc == 0, 'srtpgw-control exit code %d:\n%s' % (rc, c.read_log())
            elif c and c.proc.returncode not in (0, -9):  # -9: a test's kill9()
                raise AssertionError('srtpgw-control died (%d):\n%s' % (c.proc.returncode, c.read_log()))
        finally:
            super().tearDownClass()

    # ---- srtpgwctl ---------------------------------------------------------
    def ctl(self, *args, **kw):
        return self.control.ctl(*args, **kw)

    def ctl_run(self, *args, input=None):
        """srtpgwctl ARGS as it is (text unless --json is among ARGS):
        the CompletedProcess."""
        return subprocess.run([SRTPGWCTL, '--socket', self.control.sock] + list(args), input=input,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)

    def assert_ctl_fails(self, args, code, text=None, errno_name=None):
        """srtpgwctl --json ARGS fails with exit code; one line on stderr
        (containing text); with exit 1 the daemon's reply names errno."""
        r = self.ctl(*args, check=False)
        self.assertNotIsInstance(r, (dict, type(None)), 'srtpgwctl %s succeeded' % ' '.join(args))
        self.assertEqual(r.returncode, code, r.stderr)
        self.assertEqual(r.stderr.count('\n'), 1, r.stderr)
        self.assertTrue(r.stderr.startswith('srtpgwctl: '), r.stderr)
        if text:
            self.assertIn(text, r.stderr)
        if errno_name:
            self.assertEqual(json.loads(r.stdout)['code'], errno_name, r.stdout)
        if code == 2:
            self.assertEqual(r.stdout, '')
        return r.stderr

    # ---- the raw protocol --------------------------------------------------
    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(10)
        s.connect(self.control.sock)
        self.addCleanup(s.close)
        return s

    @staticmethod
    def read_replies(s, n):
        """n reply lines from s, parsed; fewer if the daemon closes."""
        buf, out = b'', []
        while len(out) < n:
            while b'\n' not in buf:
                try:
                    d = s.recv(65536)
                except ConnectionResetError:
                    d = b''
                if not d:
                    return out
                buf += d
            line, buf = buf.split(b'\n', 1)
            out.append(json.loads(line))
        return out

    def raw(self, *lines):
        """Send request lines (bytes or objects) on one connection; returns
        their replies."""
        s = self.connect()
        data = b''.join(ln if isinstance(ln, bytes) else json.dumps(ln).encode() + b'\n' for ln in lines)
        s.sendall(data)
        return self.read_replies(s, len(lines))

    # ---- what the daemon and the gateway show ------------------------------
    def snapshot(self):
        """Everything a change could touch: the daemon's objects and change
        counter, the gateway's version and counts. (Without the streams'
        idle flags and the daemon's position sweeps, which move with time.)"""
        streams = self.ctl('stream', 'show')['streams']
        for st in streams:
            st.pop('idle', None)
        status = self.ctl('status')
        # the daemon's reads of the gateway's positions: they go on with time
        status.pop('position_sweeps', None)
        # WebRTC: its sessions, not its counters of requests (which grow)
        if 'webrtc' in status:
            status['webrtc'] = {'sessions': status['webrtc']['sessions']}
        return {'streams': streams, 'viewers': self.ctl('viewer', 'show')['viewers'],
                'owners': self.ctl('owner', 'list')['owners'], 'status': status,
                'gateway': self.gw.status()}

    def assert_unchanged(self, before):
        self.assertEqual(self.snapshot(), before)


def camera_seq(plain):
    """The camera's sequence number of a packet, from its marked payload
    (sgwtest.marked_payload)."""
    return struct.unpack('!I', plain[12 + 8:12 + 12])[0]


def media_of(plain):
    """What a viewer must receive of the camera's RTP packet as it was:
    everything but the SSRC and the sequence number, which are its lane's
    (docs/control.md, "Index reservations")."""
    return plain[0:2] + plain[4:8] + plain[12:]


def assert_lane(test, got, sent, what='viewer'):
    """The viewer received the camera's packets on one lane: one SSRC, not
    the camera's, and sequence numbers at a fixed distance from the
    camera's (its gaps and order kept)."""
    if not got:
        return
    ssrcs = {struct.unpack('!I', p[8:12])[0] for p in got}
    test.assertEqual(len(ssrcs), 1, '%s: one lane SSRC, got %s' % (what, ssrcs))
    deltas = {(struct.unpack('!H', g[2:4])[0] - struct.unpack('!H', s[2:4])[0]) & 0xffff
              for g, s in zip(got, sent)}
    test.assertEqual(len(deltas), 1, '%s: the lane keeps the camera\'s sequence, deltas %s' % (what, deltas))


class Camera(threading.Thread):
    """Sends SRTP at rate packets/s to (addr, port) from sock until stop().
    Records each packet's plain RTP and send time by sequence number. The
    key may be switched on the fly (switch())."""

    def __init__(self, sock, addr, port, suite, key, sid=1, rate=200, ssrc=0x5e5e0001):
        super().__init__(daemon=True)
        self.sock, self.dest, self.sid, self.rate, self.ssrc = sock, (addr, port), sid, rate, ssrc
        self.tx = srtp_session(suite, key, outbound=True)
        self.lock = threading.Lock()
        self.plain = {}
        self.sent_at = {}
        self.seq = 1
        self.switched_at = None
        self.error = None
        self._halt = threading.Event()

    def switch(self, suite, key):
        """From the next packet on, the new key (a new sender: ROC 0).
        Returns the first sequence number sent with it."""
        tx = srtp_session(suite, key, outbound=True)
        with self.lock:
            self.tx = tx
            self.switched_at = self.seq
            return self.seq

    def count(self):
        with self.lock:
            return self.seq - 1

    def send_now(self, n, tx=None, record=True):
        """Send n packets at once (with tx, default the current key);
        returns their sequence numbers. Unrecorded packets are not
        expected at the viewer."""
        seqs = []
        with self.lock:
            for _ in range(n):
                seq = self.seq
                p = rtp(seq, ts=seq * 3000, ssrc=self.ssrc, payload=marked_payload(self.sid, seq, 48))
                self.sock.sendto((tx or self.tx).protect(p), self.dest)
                if record:
                    self.plain[seq] = p
                    self.sent_at[seq] = time.monotonic()
                self.seq += 1
                seqs.append(seq)
        return seqs

    def run(self):
        try:
            t = time.monotonic()
            while not self._halt.is_set():
                with self.lock:
                    seq = self.seq
                    p = rtp(seq, ts=seq * 3000, ssrc=self.ssrc, payload=marked_payload(self.sid, seq, 48))
                    data = self.tx.protect(p)
                    self.sock.sendto(data, self.dest)
                    self.plain[seq] = p
                    self.sent_at[seq] = time.monotonic()
                    self.seq += 1
                t += 1.0 / self.rate
                delay = t - time.monotonic()
                if delay > 0:
                    self._halt.wait(delay)  # pacing, not synchronisation
                else:
                    t = time.monotonic()
        except Exception as e:  # shown by stop()
            self.error = e

    def stop(self):
        self._halt.set()
        self.join(10)
        if self.error:
            raise self.error


class Receiver(threading.Thread):
    """Drains a viewer's socket and decrypts with its key until stop():
    .got maps sequence number -> (plain RTP, arrival time); packets that do
    not decrypt are kept in .bad."""

    def __init__(self, sock, suite, key):
        super().__init__(daemon=True)
        self.sock = sock
        # room for seconds of packets should this thread be starved
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        self.rx = srtp_session(suite, key, outbound=False)
        self.lock = threading.Lock()
        self.got = {}
        self.bad = []
        self.dups = 0
        self._halt = threading.Event()

    def run(self):
        self.sock.settimeout(0.05)
        while not self._halt.is_set():
            try:
                data = self.sock.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            now = time.monotonic()
            try:
                plain = self.rx.unprotect(data)
            except pylibsrtp.Error as e:
                with self.lock:
                    self.bad.append((data, str(e)))
                continue
            # the camera's sequence number, from the marked payload: the
            # header's is the viewer's lane's own
            seq = camera_seq(plain)
            with self.lock:
                if seq in self.got:
                    self.dups += 1
                self.got[seq] = (plain, now)

    def count(self):
        with self.lock:
            return len(self.got)

    def has(self, seq):
        with self.lock:
            return seq in self.got

    def stop(self):
        self._halt.set()
        self.join(10)


def wait_received(test, receiver, camera, timeout=10):
    """Until the receiver has every packet the camera sent (and recorded)
    so far; returns their sequence numbers."""
    with camera.lock:
        seqs = sorted(camera.plain)
    try:
        wait_for(lambda: all(receiver.has(s) for s in seqs), timeout,
                 'the viewer to receive the %d packets sent' % len(seqs), interval=0.02)
    except AssertionError as e:
        raise AssertionError('%s\n%s' % (e, loss_report(test, receiver, camera, seqs))) from None
    return seqs


def loss_report(test, receiver, camera, seqs):
    """Where packets went missing: which ones, and what the gateway
    counted (its stream counters, its drops)."""
    with receiver.lock:
        missing = [s for s in seqs if s not in receiver.got]
        bad = len(receiver.bad)
    out = ['missing %d of %d: %s%s; %d did not decrypt' % (
        len(missing), len(seqs), missing[:20], '...' if len(missing) > 20 else '', bad)]
    try:
        ctr = test.gw.counters()
        out.append('gateway: rx %d forwarded %d tx %d; drops %s' % (
            ctr.get('rx', 0), ctr.get('forwarded', 0), ctr.get('tx', 0),
            {k: v for k, v in ctr.items() if k.startswith('drop_') and v}))
        out.append('gateway streams: %s' % test.gw.streams())
        out.append('gateway viewers: %s' % test.gw.viewers())
    except Exception as e:  # the gateway may be the problem
        out.append('gateway: %s' % e)
    # the kernel's part: the veth's ends, the namespace's UDP counters
    out.append(test.ns.run('ip', '-s', 'link', 'show', test.nsif, check=False).stdout)
    out.append(subprocess.run(['ip', '-s', 'link', 'show', test.iface], stdout=subprocess.PIPE,
                              text=True).stdout)
    snmp = test.ns.run('cat', '/proc/net/snmp', check=False).stdout.splitlines()
    out += [ln for ln in snmp if ln.startswith('Udp:')]
    out.append('receiver socket buffer %d' % receiver.sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF))
    return '\n'.join(out)


def assert_all_received(test, receiver, camera):
    """The camera has stopped: the viewer received and decrypted every
    packet it sent (and recorded), exactly, once, and nothing else."""
    seqs = wait_received(test, receiver, camera)
    with receiver.lock:
        test.assertEqual(receiver.bad, [])
        test.assertEqual(receiver.dups, 0)
        test.assertEqual(sorted(receiver.got), seqs)
        for seq in seqs:
            test.assertEqual(media_of(receiver.got[seq][0]), media_of(camera.plain[seq]),
                             'packet %d' % seq)
        assert_lane(test, [receiver.got[s][0] for s in seqs], [camera.plain[s] for s in seqs])


class Sender:
    """A camera sending on demand (no thread): send(n) returns the plain
    RTP of the n packets it sent."""

    def __init__(self, sock, addr, port, suite, key, sid=1, ssrc=0x5e5e0002):
        self.sock, self.dest, self.sid, self.ssrc = sock, (addr, port), sid, ssrc
        self.seq = 1
        self.rekey(suite, key)

    def rekey(self, suite, key):
        self.tx = srtp_session(suite, key, outbound=True)

    def send(self, n):
        sent = []
        for _ in range(n):
            p = rtp(self.seq, ts=self.seq * 3000, ssrc=self.ssrc, payload=marked_payload(self.sid, self.seq, 60))
            self.seq += 1
            self.sock.sendto(self.tx.protect(p), self.dest)
            sent.append(p)
        return sent


class ViewerSock:
    """A viewer's socket and its receiving SRTP session."""

    def __init__(self, sock, suite, key):
        self.sock = sock
        self.port = sock.getsockname()[1]
        self.rekey(suite, key)

    def rekey(self, suite, key):
        self.rx = srtp_session(suite, key, outbound=False)

    def expect(self, test, sent, what='viewer'):
        try:
            got = [self.rx.unprotect(d) for d, _ in recv_all(self.sock, len(sent))]
        except AssertionError as e:
            try:
                drops = {k: v for k, v in test.gw.counters().items() if k.startswith('drop_') and v}
            except Exception as g:  # the gateway may be the problem
                drops = g
            raise AssertionError('%s: %s; gateway drops %s' % (what, e, drops)) from None
        test.assertEqual([media_of(p) for p in got], [media_of(p) for p in sent], what)
        assert_lane(test, got, sent, what)

