"""Traffic through a fleet, and what its viewers got (tests of issue 14).

Cameras: one sender thread protects RTP for every stream with the
stream's key (pylibsrtp) and sends it to the stream's listen address (a
service address that moves with the stream's placement), paced to `pps`
per stream; every payload carries a marker (stream index, camera sequence
number). Now and then it also sends a forged packet (plain RTP with a fake
tag, FORGED in its marker) to each stream: none may reach a viewer.

Viewers: one receiver thread reads every viewer's socket. Each datagram is
checked the way tests/isolation checks a display's:
  - its (SSRC, index) never came to this viewer before with other bytes:
    an SRTP index used twice under the viewer's key (invariant 8) is
    counted in `index_reused`; the very same bytes twice (one packet
    delivered twice) in `duplicates`. The index is the sequence number
    extended by the receiver's estimate of the ROC (RFC 3711, 3.3.1): a
    lane jumps at most a reservation block (< 2^15) when a gateway takes
    it over, so the estimate holds, and sequence numbers that come round
    again after 65536 packets are not taken for reuse;
  - it decrypts with this viewer's key, else `undecryptable`;
  - its marker names this viewer's stream, else `misdelivered` (invariant
    1); a FORGED marker is `forged_delivered`.
Arrival times per stream give the failover time: the longest silence at a
stream's viewers around a failure (`gaps`).

Threads, not processes: the rates here are low (tens of packets a second
per stream), and everything stays in one namespace (`ns`, a sgwtest.NetNS).
"""
import select
import struct
import threading
import time

from sgwtest import rtp, srtp_session

MAGIC = b'FLT1'
F_FORGED = 1
PAYLOAD = 120


def marker(stream, seq, flags=0):
    head = struct.pack('!4sHHI', MAGIC, stream, flags, seq)
    return head + bytes(PAYLOAD - len(head))


class Stream:
    """One camera: idx (its marker), addr and port (where it sends), suite
    and key; viewers: list of Viewer."""

    def __init__(self, idx, name, addr, port, suite, key):
        self.idx, self.name, self.addr, self.port = idx, name, addr, port
        self.suite, self.key = suite, key
        self.viewers = []
        self.sent = 0
        self.arrivals = []  # (time, camera seq) at its viewers, in order


class Viewer:
    def __init__(self, stream, name, sock, suite, key):
        self.stream, self.name, self.sock = stream, name, sock
        self.rx = srtp_session(suite, key, outbound=False)
        self.seen = {}  # (ssrc, index) -> bytes
        self.highest = {}  # ssrc -> the highest index seen
        self.got = 0

    def index(self, ssrc, seq):
        """seq extended to a 48-bit index as a receiver estimates it."""
        s_l = self.highest.get(ssrc)
        if s_l is None:
            idx = seq
        else:
            roc, sl = s_l >> 16, s_l & 0xffff
            if sl < 32768:
                v = roc - 1 if seq - sl > 32768 and roc > 0 else roc
            else:
                v = roc + 1 if sl - 32768 > seq else roc
            idx = (v << 16) | seq
        if s_l is None or idx > s_l:
            self.highest[ssrc] = idx
        return idx


class FleetTraffic:
    def __init__(self, ns, streams, pps=20, forge_every=50):
        self.ns, self.streams, self.pps, self.forge_every = ns, streams, pps, forge_every
        self.lock = threading.Lock()
        self.stop_ev = threading.Event()
        self.errors = []
        self.counts = dict(received=0, index_reused=0, duplicates=0, undecryptable=0,
                           misdelivered=0, forged_delivered=0, forged_sent=0)
        self.by_fd = {}
        for s in streams:
            for v in s.viewers:
                self.by_fd[v.sock.fileno()] = v
        self.threads = []

    # ---- running ------------------------------------------------------

    def start(self):
        self.tx_sock = self.ns.socket()
        self.tx_sock.bind(('0.0.0.0', 0))
        for fn in (self._send, self._receive):
            t = threading.Thread(target=self._guard, args=(fn,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(10)
        self.tx_sock.close()
        if self.errors:
            raise AssertionError('traffic: ' + self.errors[0])

    def _guard(self, fn):
        try:
            fn()
        except Exception as e:  # reported by stop()
            import traceback
            self.errors.append('%s\n%s' % (e, traceback.format_exc()))

    def _send(self):
        txs = [srtp_session(s.suite, s.key, outbound=True) for s in self.streams]
        period = 1.0 / self.pps
        seq = 1000
        nxt = time.monotonic()
        while not self.stop_ev.is_set():
            for s, tx in zip(self.streams, txs):
                p = rtp(seq, ts=seq * 90, ssrc=0x5000 + s.idx, payload=marker(s.idx, seq))
                try:
                    self.tx_sock.sendto(tx.protect(p), (s.addr, s.port))
                except OSError:
                    pass  # no neighbour for the address this moment: lost, as on a wire
                s.sent += 1
                if self.forge_every and seq % self.forge_every == 0:
                    fake = rtp(seq, ts=seq * 90, ssrc=0x5000 + s.idx,
                               payload=marker(s.idx, seq, F_FORGED)) + b'\0' * 10
                    try:
                        self.tx_sock.sendto(fake, (s.addr, s.port))
                        self.counts['forged_sent'] += 1
                    except OSError:
                        pass
            seq += 1
            nxt += period
            delay = nxt - time.monotonic()
            if delay > 0:
                self.stop_ev.wait(delay)
            else:
                nxt = time.monotonic()  # behind: no burst to catch up

    def _receive(self):
        poller = select.poll()
        for fd in self.by_fd:
            poller.register(fd, select.POLLIN)
        while not self.stop_ev.is_set():
            for fd, _ in poller.poll(100):
                v = self.by_fd[fd]
                while True:
                    try:
                        data = v.sock.recv(2048, 0x40)  # MSG_DONTWAIT
                    except BlockingIOError:
                        break
                    self._check(v, data, time.monotonic())

    def _check(self, v, data, now):
        c = self.counts
        c['received'] += 1
        v.got += 1
        if len(data) < 12:
            c['undecryptable'] += 1
            return
        ssrc, seq = struct.unpack('!I', data[8:12])[0], struct.unpack('!H', data[2:4])[0]
        key = (ssrc, v.index(ssrc, seq))
        old = v.seen.get(key)
        if old is not None:
            c['duplicates' if old == data else 'index_reused'] += 1
            return
        v.seen[key] = data
        try:
            plain = v.rx.unprotect(data)
        except Exception:
            c['undecryptable'] += 1
            return
        head = plain[12:12 + 12]
        if len(head) < 12 or head[:4] != MAGIC:
            c['undecryptable'] += 1
            return
        stream, flags, cseq = struct.unpack('!HHI', head[4:])
        if flags & F_FORGED:
            c['forged_delivered'] += 1
        if stream != v.stream.idx:
            c['misdelivered'] += 1
            return
        with self.lock:
            v.stream.arrivals.append((now, cseq))

    # ---- what happened ------------------------------------------------

    def received_since(self, t):
        """Streams (indices) whose viewers got a packet after time t."""
        with self.lock:
            return {s.idx for s in self.streams if s.arrivals and s.arrivals[-1][0] > t}

    def wait_all_flowing(self, timeout=20.0, after=None):
        """Until every stream's viewers got a packet after `after` (default
        now); the time it took."""
        t0 = time.monotonic()
        after = t0 if after is None else after
        want = {s.idx for s in self.streams}
        while time.monotonic() - t0 < timeout:
            if self.received_since(after) >= want:
                return time.monotonic() - t0
            time.sleep(0.02)
        missing = sorted(want - self.received_since(after))
        raise AssertionError('streams without packets at their viewers: %s' %
                             ', '.join(self.streams[i].name for i in missing))

    def gaps(self, t_fail, t_end):
        """Per stream: the longest silence at its viewers that began at or
        before t_fail and ended by t_end (None: nothing arrived after)."""
        out = {}
        with self.lock:
            for s in self.streams:
                times = [t for t, _ in s.arrivals if t <= t_end]
                before = [t for t in times if t <= t_fail]
                after = [t for t in times if t > t_fail]
                if not after:
                    out[s.name] = None
                    continue
                last = before[-1] if before else t_fail
                worst = after[0] - last
                for a, b in zip(after, after[1:]):
                    worst = max(worst, b - a)
                out[s.name] = worst
        return out
