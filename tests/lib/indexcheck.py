"""An independent SRTP and SRTCP receiver that records which index every
packet was protected under (invariant 8: no index is used twice under one
key). Written on tests/isolation/srtpcheck.py (RFC 3711 and RFC 7714 from
OpenSSL's AES and Python's hmac, not libsrtp, which the gateway uses), with
SRTCP added here.

It keeps no replay state: a packet decrypts under the ROC that makes its
tag verify (the guess from the highest index seen, then the neighbours),
which is the index the sender used. Every (key, SSRC, index) is recorded
with a digest of the plaintext; the same one again with another plaintext
is a reuse (the same plaintext again is a retransmission, not a reuse).
"""
import hashlib
import hmac
import os
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'isolation'))
import srtpcheck  # noqa: E402
from aesfast import Ecb, Gcm  # noqa: E402

SO_RCVBUFFORCE = 33
# aesfast's ctypes calls share module-wide buffers (it was written for the
# one-threaded isolation checker): receivers in threads take turns
_crypto = threading.Lock()


def is_rtcp(pkt):
    """RFC 5761 4: with rtcp-mux, RTCP has packet types 192..223."""
    return len(pkt) >= 2 and 192 <= pkt[1] <= 223


class SrtcpKey:
    """SRTCP receive side of one master key (labels 3, 4, 5)."""

    def __init__(self, suite, material):
        klen, slen, _tag, self.aead = srtpcheck.SUITES[suite]
        mk, ms = material[:klen], material[klen:]
        if self.aead:
            k, salt = srtpcheck._kdf(mk, ms, [(3, klen), (5, 12)])
            self.gcm = Gcm(k)
        else:
            k, a, salt = srtpcheck._kdf(mk, ms, [(3, 16), (4, 20), (5, 14)])
            self.ecb = Ecb(k)
            self.hmac0 = hmac.new(a, digestmod=hashlib.sha1)
        self.salt = int.from_bytes(salt, 'big')

    def unprotect(self, pkt):
        """(SRTCP index, plain RTCP) or None."""
        if self.aead:
            if len(pkt) < 8 + 16 + 4:
                return None
            trailer = pkt[-4:]
            e_idx = struct.unpack('!I', trailer)[0]
            idx, ssrc = e_idx & 0x7fffffff, struct.unpack_from('!I', pkt, 4)[0]
            iv = (((ssrc << 48) | idx) ^ self.salt).to_bytes(12, 'big')
            if not e_idx & 0x80000000:
                return None
            plain = self.gcm.decrypt(iv, pkt[8:-4], pkt[:8] + trailer)
            return None if plain is None else (idx, pkt[:8] + plain)
        if len(pkt) < 8 + 4 + 10:
            return None
        body, tag = pkt[:-10], pkt[-10:]
        h = self.hmac0.copy()
        h.update(body)
        if not hmac.compare_digest(h.digest()[:10], tag):
            return None
        e_idx = struct.unpack('!I', body[-4:])[0]
        idx, ssrc = e_idx & 0x7fffffff, struct.unpack_from('!I', pkt, 4)[0]
        enc = body[8:-4]
        iv = (self.salt << 16) ^ (ssrc << 64) ^ (idx << 16)
        ks = self.ecb.encrypt(b''.join(((iv + j) & ((1 << 128) - 1)).to_bytes(16, 'big')
                                       for j in range((len(enc) + 15) // 16)))
        plain = (int.from_bytes(enc, 'big') ^ int.from_bytes(ks[:len(enc)], 'big')).to_bytes(len(enc), 'big')
        return idx, pkt[:8] + (plain if e_idx & 0x80000000 else enc)


class IndexReceiver(threading.Thread):
    """Drains one viewer's socket; add_key() the keys the viewer is given
    (a rekey adds one). After stop(): .rtp and .rtcp count packets by key
    name, .reused lists (key, kind, ssrc, index) seen with two plaintexts,
    .bad counts packets no key decrypts, .plains the RTP plaintexts."""

    def __init__(self, sock):
        super().__init__(daemon=True)
        self.sock = sock
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 8 << 20)
        self.keys = []            # (name, RxKey, SrtcpKey), newest first
        self.lock = threading.Lock()
        self.seen = {}            # (key name, kind, ssrc, index) -> digest
        self.reused = []
        self.rtp, self.rtcp = {}, {}
        self.bad = 0
        self.bad_pkts = []        # the first few, for the failure message
        self.early = []           # packets no key decrypted (yet)
        self.plains = []          # (key name, plain RTP)
        self._halt = threading.Event()

    def add_key(self, name, suite, material):
        """A key the viewer was given. Packets that came before it did (the
        gateway may send under a new key before the test learns it) are
        tried again."""
        with _crypto, self.lock:
            self.keys.insert(0, (name, srtpcheck.RxKey(suite, material), SrtcpKey(suite, material)))
            early, self.early = self.early, []
            for pkt in early:
                self._handle(pkt)

    def count(self, name, kind='rtp'):
        with self.lock:
            return (self.rtp if kind == 'rtp' else self.rtcp).get(name, 0)

    def _record(self, name, kind, ssrc, index, plain):
        d = hashlib.sha256(plain).digest()
        k = (name, kind, ssrc, index)
        old = self.seen.setdefault(k, d)
        if old != d:
            self.reused.append(k)
        counts = self.rtp if kind == 'rtp' else self.rtcp
        counts[name] = counts.get(name, 0) + 1

    def handle(self, pkt):
        with _crypto, self.lock:
            self._handle(pkt)

    def _handle(self, pkt):
        if is_rtcp(pkt):
            for name, _, rk in self.keys:
                got = rk.unprotect(pkt)
                if got is not None:
                    self._record(name, 'rtcp', struct.unpack_from('!I', pkt, 4)[0], got[0], got[1])
                    return
        else:
            for name, k, _ in self.keys:
                payload = k.unprotect(pkt, want=len(pkt))
                if payload is not None:
                    seq, ssrc = struct.unpack_from('!H4xI', pkt, 2)
                    hlen = srtpcheck.rtp_header_len(pkt)
                    plain = pkt[:hlen] + payload
                    self._record(name, 'rtp', ssrc, (k.last_roc << 16) | seq, plain)
                    self.plains.append((name, plain))
                    return
        self.early.append(pkt)

    def finish(self):
        """After stop(): what no key decrypted is bad."""
        with _crypto, self.lock:
            self.bad = len(self.early)
            self.bad_pkts = [self._why(p) for p in self.early[:8]]

    def _why(self, pkt):
        """What a packet no key decrypts is: under which ROC, if any, it
        does decrypt, against where each key's receiver was."""
        out = [pkt[:16].hex(), 'len %d' % len(pkt)]
        if is_rtcp(pkt):
            return ' '.join(out + ['rtcp'])
        seq, ssrc = struct.unpack_from('!H4xI', pkt, 2)
        hlen = srtpcheck.rtp_header_len(pkt)
        for name, k, _ in self.keys:
            hit = [r for r in range(0, 64) if k._try(pkt, hlen, ssrc, seq, r, 16) is not None]
            ssrcs = sorted({'%08x' % s for (n, kind, s, _) in self.seen if n == name and kind == 'rtp'})
            out.append('%s: at roc %d seq %d, decrypts under roc %s; its SSRCs %s'
                       % (name, k.roc, k.s_l, hit, ssrcs))
        return ' '.join(out)

    def run(self):
        self.sock.settimeout(0.05)
        while not self._halt.is_set():
            try:
                data = self.sock.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.handle(data)

    def stop(self):
        self._halt.set()
        self.join(10)
        self.finish()
