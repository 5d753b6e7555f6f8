"""Processes for the benchmarks that go through a gateway: srtpgw (or
dpdk-testpmd) on a net_memif server port, the op file that describes the
streams (the same text the gateway and the load generator read), and
cleanup of everything started, by PID, also on failure."""
import base64
import json
import os
import signal
import subprocess
import tempfile
import time

GW_MAC, LG_MAC = '02:53:47:57:00:01', '02:53:47:57:00:02'
# up to PER_ADDR streams per listen address, viewers per viewer address and
# sources per source address; N_ADDRS of each: 160k streams and viewers
PER_ADDR, N_ADDRS = 40000, 4
GW_IP = '10.77.0.1'
GW_IPS = ['10.77.%d.1' % k for k in range(N_ADDRS)]
VIEW_IPS = ['10.77.%d.3' % k for k in range(N_ADDRS)]
SRC_IPS = ['10.77.%d.2' % k for k in range(N_ADDRS)]
PORT_BASE = 20000


class Procs:
    """Everything started here; stop_all() ends them, newest first."""

    def __init__(self):
        self.procs = []
        self.dirs = []

    def tmpdir(self):
        d = tempfile.mkdtemp(prefix='srtpgw-bench-')
        self.dirs.append(d)
        return d

    def start(self, cmd, log, **kw):
        f = open(log, 'w')
        p = subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, **kw)
        f.close()
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=20):
        if p.poll() is None:
            p.send_signal(sig)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        return p.returncode

    def stop_all(self):
        for p in reversed(self.procs):
            self.stop(p)
        for d in self.dirs:
            subprocess.run(['rm', '-rf', d])
        for prefix in getattr(self, 'prefixes', []):
            subprocess.run(['rm', '-rf', os.path.join('/var/run/dpdk', prefix)])

    def prefix(self, name):
        p = 'sgwb%s%d' % (name, os.getpid())
        self.prefixes = getattr(self, 'prefixes', []) + [p]
        return p


def make_ops(streams, viewers, suite, plain=False, lanes=False):
    """The description of `streams` streams with `viewers` viewers each (own
    keys), owner 1; with lanes, each viewer has one egress lane (as
    srtpgw-control gives them; the burst engine runs under lanes). Returns
    the op text (keys inside: keep it in a 0600 file) and the list of
    (stream id, listen port, [viewer ports])."""
    klen = {'AES_CM_128_HMAC_SHA1_80': 30, 'AEAD_AES_128_GCM': 28}[suite]
    lines, layout = [], []

    def key():
        return 'plain' if plain else 'suite=%s key=%s' % (suite, base64.b64encode(os.urandom(klen)).decode())
    if streams > PER_ADDR * N_ADDRS or streams * viewers > PER_ADDR * N_ADDRS:
        raise ValueError('at most %d streams and viewers' % (PER_ADDR * N_ADDRS))
    vid = 1
    for s in range(streams):
        lp = PORT_BASE + s % PER_ADDR
        lines.append('stream add %d owner=1 listen=%s:%d source=%s:%d %s' % (
            s + 1, GW_IPS[s // PER_ADDR], lp, SRC_IPS[s // PER_ADDR], lp, key()))
        vports = []
        for _ in range(viewers):
            vp = PORT_BASE + (vid - 1) % PER_ADDR
            lines.append('viewer add %d stream=%d owner=1 to=%s:%d %s%s' % (
                vid, s + 1, VIEW_IPS[(vid - 1) // PER_ADDR], vp, key(),
                ' lanes=%x' % (0x5e000000 + vid) if lanes and not plain else ''))
            vports.append(vp)
            vid += 1
        layout.append((s + 1, lp, vports))
    return '\n'.join(lines) + '\n', layout


def write_secret(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)


def wait_for(pred, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.02)  # polling a file or a socket's existence: nothing to await
    raise RuntimeError('timed out waiting for ' + what)


class Gateway:
    """srtpgw with one memif port (the server, or with memif_client the
    zero-copy client) and `workers` workers, busy polling."""

    def __init__(self, procs, build, memif_sock, workers=1, mbufs=65535, memory=1024, crypto=None,
                 memif_client=False):
        self.procs, self.build, self.crypto = procs, build, crypto
        # the memif client in zero-copy mode (its peer, the server, up
        # first): DPDK's memif shares the client's memory with the server
        # and copies nothing on the client's side
        self.memif_client = memif_client
        self.dir = procs.tmpdir()
        self.sock = os.path.join(self.dir, 'agent.sock')
        self.memif_sock, self.workers, self.mbufs, self.memory = memif_sock, workers, mbufs, memory
        self.proc = None

    def config(self):
        qs = ', '.join('{ lcore = %d; queues = ( { port = "m"; queue = %d; } ); }' % (i + 1, i)
                       for i in range(self.workers))
        return '\n'.join([
            'agent_socket = "%s";' % self.sock,
            'mbufs = %d;' % self.mbufs,
            'idle_sleep_us = 0;',
            'crypto = "%s";' % (self.crypto or 'libsrtp'),
            'ports = ( { name = "m"; device = "net_memif0"; rx_queues = %d; tx_queues = %d;' % (
                self.workers, self.workers + 1),
            '  addresses = [ %s ];' % ', '.join('"%s/16"' % a for a in GW_IPS),
            '  neighbours = ( %s ); } );' % ', '.join(
                '{ ip = "%s"; mac = "%s"; }' % (a, LG_MAC) for a in VIEW_IPS + SRC_IPS),
            'workers = ( %s );' % qs]) + '\n'

    def start(self, lcores, ops=None):
        """ops: an op file srtpgw installs before its port starts (--ops)"""
        cfg = os.path.join(self.dir, 'srtpgw.conf')
        with open(cfg, 'w') as f:
            f.write(self.config())
        role = 'client,zero-copy=yes' if self.memif_client else 'server'
        cmd = [os.path.join(self.build, 'gateway', 'srtpgw'), '--no-huge', '-m', str(self.memory), '--no-pci',
               '--file-prefix', self.procs.prefix('gw'), '--lcores', lcores, '--log-level', 'lib.eal:warning',
               '--vdev', 'net_memif0,role=%s,socket=%s,socket-abstract=no,mac=%s,rsize=11' % (
                   role, self.memif_sock, GW_MAC)] + (
               # zero-copy needs the memory in one file per segment list
               ['--single-file-segments'] if self.memif_client else []) + [
               '--', '--config', cfg] + (['--ops', ops] if ops else [])
        self.log = os.path.join(self.dir, 'srtpgw.log')
        self.proc = self.procs.start(cmd, self.log)
        # with --ops every stream is installed first (seconds for 160,000)
        wait_for(lambda: os.path.exists(self.sock) or self.proc.poll() is not None, 120, 'srtpgw agent socket')
        if self.proc.poll() is not None:
            raise RuntimeError('srtpgw exited %d:\n%s' % (self.proc.returncode, open(self.log).read()))
        return self

    def agentctl(self, *args, input=None):
        r = subprocess.run([os.path.join(self.build, 'tools', 'agentctl', 'srtpgw-agentctl'), '-s', self.sock, '--json']
                           + list(args), input=input, capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError('srtpgw-agentctl %s: %s' % (' '.join(args), r.stderr.strip()))
        return json.loads(r.stdout) if r.stdout.strip() else None

    def apply_file(self, path):
        with open(path) as f:
            return self.agentctl('apply', input=f.read())

    def counters(self):
        total = {}
        for w in self.agentctl('stats', 'workers'):
            for k, v in w.items():
                if k not in ('worker', 'lcore'):
                    total[k] = total.get(k, 0) + v
        return total

    def stop(self):
        # an ASan build on a loaded machine can take more than 20 s to
        # exit (its leak check walks the whole heap); a SIGKILL would read
        # as a crash
        return self.procs.stop(self.proc, timeout=90)
