"""What the isolation scenario's processes share: addresses, the payload
marker, the impairment stage and entering a network namespace.

The processes: the churn driver (model.py), the traffic generator
(traffic.py), the checker (checker.py), started by scenario.py.
"""
import ctypes
import gc
import heapq
import os
import signal
import struct

GW_IP = '10.90.0.1'          # the gateway's address: every stream listens here
GW_PREFIX = GW_IP + '/16'
SRC_IP = '10.90.0.2'         # the sources' namespace
VIEW_IPS = ['10.90.1.%d' % i for i in range(1, 5)]  # displays' addresses (viewers namespace)
STREAM_PORT_BASE = 20000     # listen ports: a pool, reused after the quarantine
DISPLAY_PORT_BASE = 30000    # display i receives on VIEW_IPS[i % 4]:DISPLAY_PORT_BASE + i

SUITES = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM',
          'AEAD_AES_256_GCM']
KEY_LEN = {'AES_CM_128_HMAC_SHA1_80': 30, 'AES_CM_128_HMAC_SHA1_32': 30,
           'AEAD_AES_128_GCM': 28, 'AEAD_AES_256_GCM': 44}

# The marker at the start of every RTP payload the sources send:
# magic, flags, ingress key epoch, stream (camera slot), incarnation,
# per-incarnation sequence, send time (CLOCK_MONOTONIC ns).
MARKER = struct.Struct('!4sHHIIQQ')
MAGIC = b'SGWI'
F_FORGED = 1
PAYLOAD_LEN = 48


def display_addr(i):
    return VIEW_IPS[i % len(VIEW_IPS)], DISPLAY_PORT_BASE + i


_libc = ctypes.CDLL('libc.so.6', use_errno=True)


def enter_netns(name):
    """Move this process (all of it, for good) into network namespace name."""
    fd = os.open('/var/run/netns/' + name, os.O_RDONLY)
    try:
        if _libc.setns(fd, 0x40000000) != 0:
            raise OSError(ctypes.get_errno(), 'setns ' + name)
    finally:
        os.close(fd)


def child_signals():
    """In a child process: the parent's handlers (which tear the scenario
    down) are not ours; the parent stops us with SIGTERM."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Millions of small long-lived objects (viewers, keys, send logs): with
    # the default thresholds the cyclic collector keeps walking them and
    # the children slow down as a run goes on. Their data has no cycles
    # that matter; collect rarely, and never what existed at the fork.
    gc.freeze()
    gc.set_threshold(200000, 50, 1000)


class Impairment:
    """A bad network path with tc netem's semantics, for kernels without
    sch_netem: each packet is lost with probability `loss`; survivors are
    duplicated with probability `dup`; each copy is held for
    delay +- jitter (uniform) unless it is picked (probability `reorder`)
    to go at once, ahead of the ones held. push() takes a packet in,
    due() gives back those whose time has come, in time order."""

    def __init__(self, rng, loss=0.01, dup=0.005, delay_ms=5.0, jitter_ms=3.0, reorder=0.05):
        self.rng = rng
        self.loss, self.dup, self.reorder = loss, dup, reorder
        self.delay, self.jitter = int(delay_ms * 1e6), int(jitter_ms * 1e6)
        self.heap = []
        self.n = 0
        self.stats = {'in': 0, 'lost': 0, 'duplicated': 0, 'reordered': 0, 'out': 0}

    def push(self, now, item):
        rnd = self.rng.random
        self.stats['in'] += 1
        if rnd() < self.loss:
            self.stats['lost'] += 1
            return
        copies = 2 if rnd() < self.dup else 1
        if copies == 2:
            self.stats['duplicated'] += 1
        for _ in range(copies):
            if rnd() < self.reorder:
                self.stats['reordered'] += 1
                due = now
            else:
                due = now + self.delay + int((2 * rnd() - 1) * self.jitter)
            self.n += 1
            heapq.heappush(self.heap, (due, self.n, item))

    def due(self, now):
        """[(time it was due, packet)] whose time has come, in time order."""
        out = []
        h = self.heap
        while h and h[0][0] <= now:
            due, _, item = heapq.heappop(h)
            out.append((due, item))
        self.stats['out'] += len(out)
        return out

    def next_due(self):
        return self.heap[0][0] if self.heap else None

    def __len__(self):
        return len(self.heap)

    def describe(self):
        return 'loss %g%% duplicate %g%% delay %gms %gms reorder %g%%' % (
            self.loss * 100, self.dup * 100, self.delay / 1e6, self.jitter / 1e6, self.reorder * 100)
