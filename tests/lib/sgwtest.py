"""Test harness for srtpgw: network namespaces, veth pairs, srtpgw
processes, the agent client, and SRTP from an independent implementation
(pylibsrtp, on Debian's libsrtp2).

Everything a test creates is registered with a Resources object and torn
down in reverse order, also on failure, SIGTERM or SIGINT.
Tests run as root (namespaces, veth, AF_PACKET).
"""
import atexit
import base64
import contextlib
import ctypes
import itertools
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get('SRTPGW_BUILD', os.path.join(TOP, 'build'))
CRYPTO = os.environ.get('SRTPGW_CRYPTO', '')
SRTPGW = os.path.join(BUILD, 'gateway', 'srtpgw')
AGENTCTL = os.path.join(BUILD, 'tools', 'agentctl', 'srtpgw-agentctl')

_libc = ctypes.CDLL('libc.so.6', use_errno=True)


class _FailuresFirst(unittest.TextTestResult):
    """Also puts each failure, when it happens, on stdout: meson shows a
    failed test's stdout before its stderr, and CI shows the head and the
    tail of that, where the traceback of one test among many may not be."""

    def _first(self, kind, test, err):
        frames = [f for f in traceback.extract_tb(err[2]) if '/unittest/' not in f.filename]
        where = '%s:%d' % (os.path.basename(frames[-1].filename), frames[-1].lineno) if frames else '?'
        what = ''.join(traceback.format_exception_only(err[0], err[1])).strip()
        print('\n%s %s at %s: %s' % (kind, test.id(), where, what), flush=True)

    def addFailure(self, test, err):
        self._first('FAIL', test, err)
        super().addFailure(test, err)

    def addError(self, test, err):
        self._first('ERROR', test, err)
        super().addError(test, err)


unittest.TextTestRunner.resultclass = _FailuresFirst
_CLONE_NEWNET = 0x40000000
_ids = itertools.count()

SUITES = {
    # name: (master key+salt bytes, pylibsrtp profile name)
    'AES_CM_128_HMAC_SHA1_80': (30, 'SRTP_PROFILE_AES128_CM_SHA1_80'),
    'AES_CM_128_HMAC_SHA1_32': (30, 'SRTP_PROFILE_AES128_CM_SHA1_32'),
    'AEAD_AES_128_GCM': (28, 'SRTP_PROFILE_AEAD_AES_128_GCM'),
    'AEAD_AES_256_GCM': (44, 'SRTP_PROFILE_AEAD_AES_256_GCM'),
}


def uniq(prefix):
    """A short unique name (interface names have 15 characters at most)."""
    return '%s%d%d' % (prefix, os.getpid() % 100000, next(_ids))


def run(*cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, **kw)


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGINT, raised where the test was (unittest lets a
    KeyboardInterrupt through)."""


class Resources:
    """Undo stack for everything a test creates.

    On SIGTERM or SIGINT the test is interrupted (Interrupted) and its
    stack unwinds before the cleanup runs: in the test's own finally or
    except, else at exit. Cleaning up inside the signal handler deadlocked
    when the signal came while the test was waiting for a process that the
    cleanup then waited for too (subprocess.Popen's wait lock)."""

    def __init__(self):
        self._undo = []
        self._old = {}
        self._cleaning = False
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._old[sig] = signal.signal(sig, self._on_signal)
        atexit.register(self.cleanup)

    def _on_signal(self, sig, frame):
        if self._cleaning:
            return  # on the way out already: let the cleanup finish
        raise Interrupted('signal %d' % sig)

    def add(self, fn, *args, **kw):
        self._undo.append((fn, args, kw))

    def cleanup(self):
        self._cleaning = True
        while self._undo:
            fn, args, kw = self._undo.pop()
            try:
                fn(*args, **kw)
            except Exception as e:  # keep cleaning
                print('cleanup: %s%r: %s' % (fn.__name__, args, e), file=sys.stderr)
        for sig, old in self._old.items():
            signal.signal(sig, old)
        self._old = {}
        self._cleaning = False


class NetNS:
    def __init__(self, res, name=None):
        self.name = name or uniq('sgwt')
        run('ip', 'netns', 'add', self.name)
        res.add(run, 'ip', 'netns', 'del', self.name)
        self.run('ip', 'link', 'set', 'lo', 'up')

    def run(self, *cmd, check=True, **kw):
        return run('ip', 'netns', 'exec', self.name, *cmd, check=check, **kw)

    def popen(self, *cmd, **kw):
        return subprocess.Popen(('ip', 'netns', 'exec', self.name) + cmd, **kw)

    @contextlib.contextmanager
    def inside(self):
        """Run the block in this namespace: sockets created here stay in it."""
        own = os.open('/proc/self/ns/net', os.O_RDONLY)
        target = os.open('/var/run/netns/' + self.name, os.O_RDONLY)
        try:
            if _libc.setns(target, _CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), 'setns ' + self.name)
            yield
        finally:
            _libc.setns(own, _CLONE_NEWNET)
            os.close(own)
            os.close(target)

    def socket(self, family=socket.AF_INET, kind=socket.SOCK_DGRAM):
        with self.inside():
            return socket.socket(family, kind)

    def mac(self, ifname):
        """The Ethernet address of ifname in this namespace."""
        return json.loads(self.run('ip', '-j', 'link', 'show', 'dev', ifname).stdout)[0]['address']


def quiet_ipv6(ns, ifname):
    """No duplicate address detection delay, and none of the router
    solicitations a link sends in its first seconds: they would land in the
    gateway's drop counters in the middle of a test."""
    for key in ('accept_dad=0', 'router_solicitations=0', 'accept_ra=0'):
        ns.run('sysctl', '-qw', 'net.ipv6.conf.%s.%s' % (ifname, key), check=False)


def veth(res, ns, peer_addrs, ns_ifname=None):
    """A veth pair: one end in the root namespace (for the gateway), the
    other in ns with peer_addrs ("10.0.0.2/24", ...). Returns (root end,
    namespace end). Checksum offload is off on both ends so every frame on
    the wire carries real checksums."""
    a, b = uniq('sgw'), ns_ifname or uniq('sgp')
    run('ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b)
    res.add(run, 'ip', 'link', 'del', a, check=False)
    run('ip', 'link', 'set', b, 'netns', ns.name)
    run('ethtool', '-K', a, 'tx', 'off', 'rx', 'off', check=False)
    ns.run('ethtool', '-K', b, 'tx', 'off', 'rx', 'off', check=False)
    # the root end belongs to the gateway: the host's own IPv6 stays off it
    run('sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % a, check=False)
    run('ip', 'link', 'set', a, 'up')
    quiet_ipv6(ns, b)
    for addr in peer_addrs:
        ns.run('ip', 'addr', 'add', addr, 'dev', b, *(['nodad'] if ':' in addr else []))
    ns.run('ip', 'link', 'set', b, 'up')
    return a, b


def addressed_link(res, a_ns, a_addr, b_ns, b_addr, prefix='sgl'):
    """A veth between two namespaces (NetNS, or None for the root one),
    each end with its address ("10.0.0.1/24") and up: a plain IP link for a
    test's own hosts (a management network, a web server), not a gateway
    port. Gone with res (or with the namespace that holds an end)."""
    a, b = uniq(prefix + 'a'), uniq(prefix + 'b')
    run('ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b)
    res.add(run, 'ip', 'link', 'del', a, check=False)
    for ns, name, addr in ((a_ns, a, a_addr), (b_ns, b, b_addr)):
        if ns is not None:
            run('ip', 'link', 'set', name, 'netns', ns.name)
        inside = ns.run if ns is not None else run
        inside('ip', 'addr', 'add', addr, 'dev', name)
        inside('ip', 'link', 'set', name, 'up')
    return a, b


def switch(res, name=None):
    """An Ethernet switch: a namespace holding one Linux bridge, "br0" (STP
    off, no forwarding delay, no IPv6 of its own). Join namespaces (or the
    root namespace, for a gateway port) to it with switch_port(). Returns
    the switch's NetNS."""
    sw = NetNS(res, name or uniq('sgws'))
    for k in ('all', 'default'):
        sw.run('sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % k, check=False)
    sw.run('ip', 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0')
    sw.run('ip', 'link', 'set', 'br0', 'up')
    return sw


def switch_port(res, sw, ns=None, peer_addrs=(), ns_ifname=None):
    """A veth from the bridge of sw (made by switch()) to ns, whose end gets
    peer_addrs ("10.0.0.2/24", ...), like veth(). With ns None the end stays
    in the root namespace, up, without addresses and with IPv6 off, for a
    gateway port (net_af_packet iface=...). Checksum offload is off on both
    ends. ns_ifname names the end in ns (it is made under a unique name in
    the root namespace and renamed there). Returns the name of the end
    outside the switch."""
    a, b = uniq('sgw' if ns is None else 'sgp'), uniq('sws')
    run('ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b)
    res.add(run, 'ip', 'link', 'del', a, check=False)
    run('ip', 'link', 'set', b, 'netns', sw.name)
    # deleting the switch's end deletes the pair at once (a namespace's
    # devices go only when the kernel gets round to it)
    res.add(sw.run, 'ip', 'link', 'del', b, check=False)
    sw.run('ethtool', '-K', b, 'tx', 'off', 'rx', 'off', check=False)
    sw.run('ip', 'link', 'set', b, 'master', 'br0')
    sw.run('ip', 'link', 'set', b, 'up')
    if ns is None:
        run('ethtool', '-K', a, 'tx', 'off', 'rx', 'off', check=False)
        run('sysctl', '-qw', 'net.ipv6.conf.%s.disable_ipv6=1' % a, check=False)
        run('ip', 'link', 'set', a, 'up')
        return a
    run('ip', 'link', 'set', a, 'netns', ns.name)
    if ns_ifname:
        ns.run('ip', 'link', 'set', a, 'name', ns_ifname)
        a = ns_ifname
    ns.run('ethtool', '-K', a, 'tx', 'off', 'rx', 'off', check=False)
    quiet_ipv6(ns, a)
    for addr in peer_addrs:
        ns.run('ip', 'addr', 'add', addr, 'dev', a, *(['nodad'] if ':' in addr else []))
    ns.run('ip', 'link', 'set', a, 'up')
    return a


def wait_for(pred, timeout=10.0, what='condition', interval=0.01):
    """Poll pred() until it returns a true value (an event or a counter
    reaching a value), or fail after timeout."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for ' + what)
        time.sleep(interval)


def wait_serving(proc, path, name, read_log, timeout):
    """Until proc accepts connections on the UNIX socket path; fails with
    its log if it exits first."""
    def ready():
        if proc.poll() is not None:
            raise AssertionError('%s exited %d at start:\n%s' % (name, proc.returncode, read_log()))
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return True
        except OSError:
            return False
        finally:
            s.close()
    wait_for(ready, timeout, name + "'s socket")


class Gateway:
    """One srtpgw process. ports: list of dicts with name, vdev (EAL --vdev
    argument without the leading device name is fine), addresses, and
    optional rx_queues, gateway4, gateway6, neighbours (config text), and
    extra (more of the port's keys, as config text).
    workers: list of lists of (port name, queue). args: more srtpgw
    arguments after --config (e.g. ['--ops', FILE])."""

    def __init__(self, res, ports, workers, extra_config='', memory=256, args=()):
        self.res = res
        self.dir = tempfile.mkdtemp(prefix='srtpgw-test-')
        res.add(lambda d: run('rm', '-rf', d), self.dir)
        self.sock = os.path.join(self.dir, 'agent.sock')
        self.log_path = os.path.join(self.dir, 'srtpgw.log')
        self.prefix = uniq('sgwt')
        self.ports, self.workers, self.memory = ports, workers, memory
        self.extra_config = extra_config
        self.args = list(args)
        self.proc = None
        self.killed = False  # by kill9(): its exit is no evidence

    def config_text(self):
        out = ['agent_socket = "%s";' % self.sock, 'idle_sleep_us = 100;', self.extra_config]
        # SRTPGW_CRYPTO=burst|libsrtp: the engine of every gateway a test
        # starts, unless its own config names one (scripts/test runs the
        # suites on the default and the isolation suite on the other)
        if CRYPTO and 'crypto =' not in self.extra_config:
            out.insert(1, 'crypto = "%s";' % CRYPTO)
        ports = []
        for p in self.ports:
            keys = ['name = "%s"' % p['name'], 'device = "%s"' % p['device'],
                    'addresses = [ %s ]' % ', '.join('"%s"' % a for a in p['addresses'])]
            for k in ('rx_queues', 'tx_queues', 'mtu', 'vlan'):
                if k in p:
                    keys.append('%s = %d' % (k, p[k]))
            for k in ('gateway4', 'gateway6'):
                if k in p:
                    keys.append('%s = "%s"' % (k, p[k]))
            if 'neighbours' in p:
                keys.append('neighbours = ( %s )' % ', '.join(
                    '{ ip = "%s"; mac = "%s"; }' % n for n in p['neighbours']))
            if 'extra' in p:
                keys.append(p['extra'])
            ports.append('{ %s; }' % '; '.join(keys))
        out.append('ports = ( %s );' % ',\n  '.join(ports))
        ws = []
        for i, queues in enumerate(self.workers):
            qs = ', '.join('{ port = "%s"; queue = %d; }' % q for q in queues)
            ws.append('{ lcore = %d; queues = ( %s ); }' % (i + 1, qs))
        out.append('workers = ( %s );' % ', '.join(ws))
        return '\n'.join(out) + '\n'

    def eal_args(self):
        n = len(self.workers)
        args = ['--no-huge', '-m', str(self.memory), '--no-pci', '--file-prefix', self.prefix,
                '--lcores', '(0-%d)@(0,1)' % n, '--log-level', 'lib.eal:warning']
        for p in self.ports:
            args += ['--vdev', p['vdev']]
        return args

    def start(self, timeout=30):
        cfg = os.path.join(self.dir, 'srtpgw.conf')
        with open(cfg, 'w') as f:
            f.write(self.config_text())
        # the EAL leaves its runtime directory (config, fbarrays: a few MB)
        # behind; as root it is /var/run/dpdk/PREFIX, for a user under
        # $XDG_RUNTIME_DIR or /tmp. Removed after the kill.
        runtime = ('/var/run' if os.geteuid() == 0 else os.environ.get('XDG_RUNTIME_DIR', '/tmp'))
        self.res.add(run, 'rm', '-rf', os.path.join(runtime, 'dpdk', self.prefix))
        self.killed = False
        for attempt in range(20):
            with open(self.log_path, 'w') as log:
                self.proc = subprocess.Popen([SRTPGW] + self.eal_args() + ['--', '--config', cfg] + self.args,
                                             stdout=log, stderr=subprocess.STDOUT)
            self.res.add(self._kill)
            try:
                wait_serving(self.proc, self.sock, 'srtpgw', self.read_log, timeout)
                return self
            except AssertionError:
                # right after a SIGKILL the kernel may still hold the old
                # process's AF_PACKET fanout group for a moment
                if attempt == 19 or 'PACKET_FANOUT' not in self.read_log():
                    raise
                time.sleep(0.1)

    def kill9(self):
        """SIGKILL, as a crash would."""
        self.killed = True
        self.proc.kill()
        self.proc.wait()

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        elif self.proc and self.proc.returncode != 0 and not self.killed:
            # it died on its own: its log is the evidence, show it
            sys.stderr.write('--- srtpgw log (exit %d) ---\n%s--- end of log ---\n'
                             % (self.proc.returncode, self.read_log()))

    def stop(self, timeout=20):
        """SIGTERM and wait; returns the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError('srtpgw did not stop on SIGTERM')

    # ---- agent ----------------------------------------------------------
    def agentctl(self, *args, input=None):
        return subprocess.run([AGENTCTL, '-s', self.sock, '--json'] + list(args), input=input,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def apply(self, ops, replace_all=False):
        """Apply ops (a list of op lines); returns the published version.
        Raises with the gateway's error text if it refused them."""
        args = ['apply'] + (['--replace-all'] if replace_all else [])
        r = self.agentctl(*args, input='\n'.join(ops) + '\n')
        if r.returncode != 0:
            raise AgentError(r.stderr.strip())
        return json.loads(r.stdout)['version']

    def status(self):
        r = self.agentctl('status')
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def workers_stats(self):
        r = self.agentctl('stats', 'workers')
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def counters(self):
        """Every counter summed over the workers and the agent thread."""
        total = {}
        for w in self.workers_stats():
            for k, v in w.items():
                if k not in ('worker', 'lcore'):
                    total[k] = total.get(k, 0) + v
        return total

    def streams(self):
        r = self.agentctl('stats', 'streams')
        assert r.returncode == 0, r.stderr
        return {s['stream']: s for s in json.loads(r.stdout)}

    def viewers(self):
        r = self.agentctl('stats', 'viewers')
        assert r.returncode == 0, r.stderr
        return {v['viewer']: v for v in json.loads(r.stdout)}


class AgentError(Exception):
    pass


SRTPGW_CONTROL = os.path.join(BUILD, 'control', 'daemon', 'srtpgw-control')
SRTPGWCTL = os.path.join(BUILD, 'control', 'ctl', 'srtpgwctl')


class CtlError(Exception):
    """srtpgwctl failed: .code is its exit code, .stderr its message."""

    def __init__(self, code, stderr):
        super().__init__('srtpgwctl exit %d: %s' % (code, stderr))
        self.code, self.stderr = code, stderr


class Control:
    """One srtpgw-control process for a Gateway, with its own database,
    key-encryption key and socket in the gateway's temporary directory.
    With ns (a NetNS) it runs in that network namespace (`ip netns exec`,
    which execs it: the process is the controller's); its UNIX sockets, and
    the gateway's agent socket it connects to, are pathnames, reached from
    any namespace."""

    def __init__(self, res, gw, listen_addresses, extra_config='', name='control', ns=None):
        self.res, self.gw, self.ns = res, gw, ns
        self.dir = os.path.join(gw.dir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.sock = os.path.join(self.dir, 'control.sock')
        self.db = os.path.join(self.dir, 'control.db')
        self.kek = os.path.join(self.dir, 'kek')
        self.conf = os.path.join(self.dir, 'control.conf')
        self.log_path = os.path.join(self.dir, 'control.log')
        with open(self.conf, 'w') as f:
            f.write('socket = "%s";\ndatabase = "%s";\nkek_file = "%s";\nagent_socket = "%s";\n'
                    'listen_addresses = [ %s ];\nretry = 100;\n%s\n' % (
                        self.sock, self.db, self.kek, gw.sock,
                        ', '.join('"%s"' % a for a in listen_addresses), extra_config))
        self.proc = None

    def start(self, timeout=20):
        log = open(self.log_path, 'a')
        cmd = [SRTPGW_CONTROL, '--config', self.conf]
        if self.ns is not None:
            cmd = ['ip', 'netns', 'exec', self.ns.name] + cmd
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.res.add(self._kill, self.proc)
        wait_serving(self.proc, self.sock, 'srtpgw-control', self.read_log, timeout)
        return self

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    @staticmethod
    def _kill(proc):
        if proc.poll() is None:
            proc.kill()
            proc.wait()

    def stop(self, timeout=20):
        self.proc.terminate()
        return self.proc.wait(timeout)

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def ctl(self, *args, input=None, check=True, pending=False):
        """srtpgwctl --json ARGS: the parsed result, or CtlError. With
        pending, the change must be committed but not applied (exit 5, the
        result marked "pending", which is taken out)."""
        r = subprocess.run([SRTPGWCTL, '--socket', self.sock, '--json'] + list(args), input=input,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        if r.returncode != (5 if pending else 0):
            if check:
                raise CtlError(r.returncode, r.stderr.strip())
            return r
        out = json.loads(r.stdout) if r.stdout.strip() else None
        if pending:
            if out is None or out.pop('pending', None) is not True:
                raise CtlError(r.returncode, 'exit 5 without "pending" in the result')
        return out

    def wait_applied(self, timeout=20):
        """Until the gateway has applied the database's last change."""
        def synced():
            st = self.ctl('status')
            return st['gateway'] == 'connected' and st['applied_seq'] == st['ctl_seq'] and st
        return wait_for(synced, timeout, 'the gateway to apply the last change', interval=0.05)


# The worker's load (docs/counters.md): time and passes, not packets; they
# grow whenever a worker gets anything, ARP included.
LOAD_COUNTERS = ('busy_polls', 'busy_us')


def counter_deltas(before, after, prefix='', load=False):
    """{name: increase} of the counters named prefix* that changed between
    two Gateway.counters() reads; the load counters only with load=True."""
    return {k: v - before.get(k, 0) for k, v in after.items()
            if k.startswith(prefix) and v != before.get(k, 0) and (load or k not in LOAD_COUNTERS)}


# ---- SRTP and RTP -------------------------------------------------------

def new_key(suite):
    return os.urandom(SUITES[suite][0])


def b64(key):
    return base64.b64encode(key).decode()


def srtp_session(suite, key, outbound):
    from pylibsrtp import Policy, Session
    profile = getattr(Policy, SUITES[suite][1])
    return Session(policy=Policy(key=key, srtp_profile=profile,
                                 ssrc_type=Policy.SSRC_ANY_OUTBOUND if outbound else Policy.SSRC_ANY_INBOUND))


def rtp(seq, ts=0, ssrc=0x11223344, payload=b'', pt=96, marker=0):
    return struct.pack('!BBHII', 0x80, (marker << 7) | pt, seq & 0xffff, ts & 0xffffffff, ssrc) + payload


def marked_payload(stream, seq, size=160):
    """A payload that says which stream and sequence it belongs to."""
    head = struct.pack('!4sII', b'SGWT', stream, seq)
    return head + bytes(random.Random(stream * 65536 + seq).getrandbits(8) for _ in range(size - len(head)))


def recv_all(sock, n, timeout=5.0):
    """Receive n datagrams (or fail); returns [(data, addr)]."""
    out = []
    sock.settimeout(timeout)
    try:
        while len(out) < n:
            out.append(sock.recvfrom(65535))
    except socket.timeout:
        raise AssertionError('received %d of %d datagrams' % (len(out), n))
    return out


def assert_nothing_queued(sock):
    """Nothing more is queued on sock (call after a sentinel arrived: the
    gateway processes one stream's packets in order on one worker)."""
    sock.setblocking(False)
    try:
        data = sock.recv(65535)
    except BlockingIOError:
        return
    finally:
        sock.setblocking(True)
    raise AssertionError('unexpected datagram of %d bytes' % len(data))


# ---- a test case with one gateway ------------------------------------------

def pcap_port(iface, addresses, **extra):
    """A gateway port on net_pcap over iface: one RX queue, two TX queues
    (the worker's and the agent thread's)."""
    port = {'name': 'lan', 'device': 'net_pcap0',
            'vdev': 'net_pcap0,rx_iface_in=%s,tx_iface=%s,tx_iface=%s' % (iface, iface, iface),
            'addresses': list(addresses)}
    port.update(extra)
    return port


def af_packet_port(iface, addresses, qpairs, **extra):
    """A gateway port on net_af_packet over iface with qpairs queue pairs,
    every RX queue configured (the kernel's fanout feeds them all)."""
    port = {'name': 'lan', 'device': 'net_af_packet0',
            'vdev': 'net_af_packet0,iface=%s,qpairs=%d' % (iface, qpairs),
            'rx_queues': qpairs, 'addresses': list(addresses)}
    port.update(extra)
    return port


import unittest  # noqa: E402

# GatewayCase.PIN_GATEWAY's MAC for the gateway's port (locally administered)
PINNED_GATEWAY_MAC = '02:53:47:57:00:01'


class GatewayCase(unittest.TestCase):
    """One namespace at the end of a veth, one srtpgw on the other end.
    Subclasses set PEER_ADDRS and WORKERS (and EXTRA_CONFIG, top-level
    config text) and may override port(), prepare() (before the gateway
    starts) and ready() (after).

    PIN_GATEWAY: the port gets PINNED_GATEWAY_MAC and the namespace a permanent
    neighbour entry for each of the port's addresses. A test that checks
    the order of a stream's first packets needs it: while the namespace's
    kernel resolves the gateway by ARP it queues the first datagrams, and
    on the reply it flushes that queue from the softirq on one CPU while
    the sender's next datagram goes straight out on the other, so the
    gateway can receive them out of order."""
    PEER_ADDRS = []
    WORKERS = [[('lan', 0)]]
    EXTRA_CONFIG = ''
    PIN_GATEWAY = False

    @classmethod
    def port(cls):
        raise NotImplementedError

    @classmethod
    def prepare(cls):
        pass

    @classmethod
    def ready(cls):
        pass

    @classmethod
    def setUpClass(cls):
        cls.res = Resources()
        try:
            cls.ns = NetNS(cls.res)
            cls.iface, cls.nsif = veth(cls.res, cls.ns, cls.PEER_ADDRS)
            cls.ns_mac = cls.ns.mac(cls.nsif)
            cls.prepare()
            port = cls.port()
            if cls.PIN_GATEWAY:
                port['extra'] = '; '.join(filter(None, [port.get('extra'), 'mac = "%s"' % PINNED_GATEWAY_MAC]))
            cls.gw = Gateway(cls.res, ports=[port], workers=cls.WORKERS,
                             extra_config=cls.EXTRA_CONFIG).start()
            if cls.PIN_GATEWAY:
                for addr in port['addresses']:
                    cls.ns.run('ip', 'neigh', 'replace', addr.split('/')[0], 'lladdr', PINNED_GATEWAY_MAC,
                               'dev', cls.nsif, 'nud', 'permanent')
            cls.ready()
        except BaseException:
            cls.res.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.gw.stop()
            assert rc == 0, 'srtpgw exit code %d' % rc
        finally:
            cls.res.cleanup()

    def sock(self, addr=None, family=socket.AF_INET):
        """A UDP socket in the namespace, bound to addr (default: the first
        peer address) and an ephemeral port; closed after the test."""
        s = self.ns.socket(family)
        self.addCleanup(s.close)
        s.bind((addr or self.PEER_ADDRS[0].split('/')[0], 0))
        return s
