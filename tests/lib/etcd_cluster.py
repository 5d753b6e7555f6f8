"""Real etcd clusters for tests: N members (1 or 3) of Debian's etcd 3.4 on
loopback (or another local address), on free ports, each with a data
directory under one temporary directory, with short raft timeouts.

    with EtcdCluster(3) as c:          # or c = EtcdCluster(3, res=res)
        c.endpoints()                  # "http://127.0.0.1:P0,http://..."
        c.kill(0); c.start(0)          # SIGKILL a member, start it again
        c.stop(1)                      # SIGTERM (a clean stop)
        c.signal(2, signal.SIGSTOP)    # frozen, its connections open

Leases: etcd raises a lease's TTL to its minimum, ceil(1.5 * election
timeout) in seconds (ElectionTicks * 3/2 heartbeats). With the defaults
here (heartbeat 50 ms, election 500 ms) that is 1 s, so 1 s and 2 s leases
are granted as asked. etcd looks for expired leases every 500 ms, so a key
under a lease goes between TTL and TTL + 0.5 s after the last keepalive
(or later, after a leader change: the new leader gives every lease its
full TTL again).

Health is awaited by asking each member (/health: a quorum read through
raft), never by sleeping a guessed time. Everything is stopped and the
data removed by close(), also when start-up fails; with res (a
sgwtest.Resources) close() is registered there too.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

ETCD = os.environ.get('SRTPGW_ETCD', '/usr/bin/etcd')


def free_ports(n, host='127.0.0.1'):
    """n distinct TCP ports free on host now (bound, then released)."""
    socks, ports = [], []
    try:
        while len(ports) < n:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind((host, 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


def http_json(url, body=None, timeout=1.0):
    """POST body (a dict) or GET url; the reply as a dict."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method='GET' if body is None else 'POST',
                                 headers={'Content-Type': 'application/json'})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return json.loads(r.read().decode())


class EtcdCluster:
    def __init__(self, n=3, res=None, host='127.0.0.1', heartbeat_ms=50, election_ms=500,
                 start_timeout=20.0):
        assert n >= 1
        self.n = n
        self.host = host
        self.heartbeat_ms = heartbeat_ms
        self.election_ms = election_ms
        self.dir = tempfile.mkdtemp(prefix='sgw-etcd-')
        self.procs = [None] * n
        self.logs = [None] * n
        ports = free_ports(2 * n, host)
        self.client_ports = ports[:n]
        self.peer_ports = ports[n:]
        self.token = 'sgwt-%d-%s' % (os.getpid(), os.path.basename(self.dir))
        if res is not None:
            res.add(self.close)
        try:
            for i in range(n):
                self._spawn(i, 'new')
            self.wait_healthy(timeout=start_timeout)
        except BaseException:
            self.close()
            raise

    # The members' names and URLs.
    def name(self, i):
        return 'm%d' % i

    def client_url(self, i):
        return 'http://%s:%d' % (self.host, self.client_ports[i])

    def peer_url(self, i):
        return 'http://%s:%d' % (self.host, self.peer_ports[i])

    def endpoints(self, members=None):
        """Comma-separated client URLs of members (default: all), in that order."""
        members = range(self.n) if members is None else members
        return ','.join(self.client_url(i) for i in members)

    def _spawn(self, i, state):
        data = os.path.join(self.dir, self.name(i))
        cluster = ','.join('%s=%s' % (self.name(j), self.peer_url(j)) for j in range(self.n))
        cmd = [ETCD, '--name', self.name(i), '--data-dir', data,
               '--listen-client-urls', self.client_url(i),
               '--advertise-client-urls', self.client_url(i),
               '--listen-peer-urls', self.peer_url(i),
               '--initial-advertise-peer-urls', self.peer_url(i),
               '--initial-cluster', cluster,
               '--initial-cluster-state', state,
               '--initial-cluster-token', self.token,
               '--heartbeat-interval', str(self.heartbeat_ms),
               '--election-timeout', str(self.election_ms),
               '--logger', 'zap', '--log-level', 'warn',
               '--enable-v2=false',
               # a change is one transaction of every row it writes: an
               # owner deleted with its streams is many (docs/fleet.md)
               '--max-txn-ops', '10000']
        log = open(os.path.join(self.dir, self.name(i) + '.log'), 'ab')
        self.logs[i] = log.name
        try:
            self.procs[i] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT)
        finally:
            log.close()

    def running(self, i):
        p = self.procs[i]
        return p is not None and p.poll() is None

    def healthy(self, i):
        """Member i answers /health with a leader and a quorum."""
        try:
            return http_json(self.client_url(i) + '/health', timeout=0.5).get('health') == 'true'
        except (OSError, ValueError, urllib.error.URLError):
            return False

    def wait_healthy(self, members=None, timeout=20.0):
        """Waits until every member of members (default: all running) is
        healthy; raises with the logs' tails if one exited or the time
        passed."""
        members = [i for i in range(self.n) if self.running(i)] if members is None else members
        deadline = time.monotonic() + timeout
        waiting = set(members)
        while waiting:
            for i in sorted(waiting):
                if not self.running(i):
                    raise RuntimeError('etcd member %d exited:\n%s' % (i, self.log_tail(i)))
                if self.healthy(i):
                    waiting.discard(i)
            if waiting and time.monotonic() > deadline:
                raise RuntimeError('etcd members %s not healthy after %.0f s:\n%s' % (
                    sorted(waiting), timeout,
                    '\n'.join(self.log_tail(i) for i in sorted(waiting))))
            if waiting:
                time.sleep(0.05)  # polling interval while awaiting health

    def status(self, i):
        """Member i's /v3/maintenance/status (not through raft: a member
        without a leader answers too), or None."""
        try:
            return http_json(self.client_url(i) + '/v3/maintenance/status', {}, timeout=0.5)
        except (OSError, ValueError, urllib.error.URLError):
            return None

    def wait_no_leader(self, i, timeout=10.0):
        """Waits until member i (running) knows it has no leader: it lost
        its quorum and an election timeout passed."""
        deadline = time.monotonic() + timeout
        while True:
            st = self.status(i)
            if st is not None and st.get('leader', '0') == '0':
                return
            if time.monotonic() > deadline:
                raise RuntimeError('etcd member %d still has a leader after %.0f s' % (i, timeout))
            time.sleep(0.05)  # polling interval while awaiting the change

    def log_tail(self, i, lines=20):
        try:
            with open(self.logs[i], errors='replace') as f:
                return ''.join(f.readlines()[-lines:])
        except (OSError, TypeError):
            return '(no log)'

    def leader(self):
        """The index of the member that is leader now (asked of each
        running member), or None."""
        for i in range(self.n):
            st = self.status(i) if self.running(i) else None
            if st and st.get('leader') and st.get('leader') == st.get('header', {}).get('member_id'):
                return i
        return None

    def _end(self, i, sig, timeout=10.0):
        p = self.procs[i]
        if p is None:
            return
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.procs[i] = None

    def stop(self, i):
        """A clean stop of member i (SIGTERM); its data stays."""
        self._end(i, signal.SIGTERM)

    def kill(self, i):
        """SIGKILL of member i; its data stays."""
        self._end(i, signal.SIGKILL)

    def signal(self, i, signum):
        """Sends signum to member i: SIGSTOP freezes it with its
        connections open (a member cut off), SIGCONT thaws it, SIGKILL
        is kill(i)."""
        if signum == signal.SIGKILL:
            self.kill(i)
        else:
            self.procs[i].send_signal(signum)

    def start(self, i, wait=True):
        """Starts member i again on its data (after stop or kill)."""
        assert not self.running(i)
        self._spawn(i, 'existing')
        if wait:
            self.wait_healthy([i])

    def close(self):
        """Kills every member and removes the data. Idempotent."""
        for i in range(self.n):
            try:
                self._end(i, signal.SIGKILL)
            except OSError:
                pass
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
