"""SRTP protect and unprotect for the isolation scenario, written from
RFC 3711 (AES-CM, HMAC-SHA1) and RFC 7714 (AES-GCM) on OpenSSL's AES
(aesfast.py) and Python's hmac: independent of libsrtp, which both the
gateway and pylibsrtp use (tests/isolation/test_srtpcheck.py checks it
against pylibsrtp).

Stateless per packet given the rollover counter (ROC), so the checker can
try the ROCs a packet may have been protected with (a receiver that first
sees a stream after a wrap, reordering across the wrap) instead of failing
the way a stateful receiver with a replay window would; it keeps no replay
state (duplicates are counted by the checker from the payload markers).
"""
import hashlib
import hmac
import struct
import threading

from aesfast import Ecb, Gcm, GcmEnc

# suite: (master key bytes, master salt bytes, tag bytes, aead)
SUITES = {
    'AES_CM_128_HMAC_SHA1_80': (16, 14, 10, False),
    'AES_CM_128_HMAC_SHA1_32': (16, 14, 4, False),
    'AEAD_AES_128_GCM': (16, 12, 16, True),
    'AEAD_AES_256_GCM': (32, 12, 16, True),
}
LABEL_ENC, LABEL_AUTH, LABEL_SALT = 0, 1, 2


def _ecb(k):
    return Ecb(k)


_kdf_tls = threading.local()


def _kdf(master_key, master_salt, wants):
    """RFC 3711 4.3.1 with key derivation rate 0: AES-CM keyed with the
    master key, IV = (master salt XOR label << 48) << 16. A 96-bit GCM
    salt is padded with zero bytes to 112 bits, as libsrtp does.
    wants: [(label, bytes)]; returns the session keys in that order.
    One AES context per thread, re-keyed, and one encryption for all
    labels: the checker derives thousands of keys a second."""
    ecb = _kdf_tls.__dict__.get('ecb')   # per thread: rekeyed for every derivation
    if ecb is None:
        ecb = _kdf_tls.ecb = _ecb(master_key)
    else:
        ecb.rekey(master_key)
    salt = int.from_bytes(master_salt.ljust(14, b'\0'), 'big')
    blocks = []
    for label, n in wants:
        iv = (salt ^ (label << 48)) << 16
        blocks.extend((iv + j).to_bytes(16, 'big') for j in range((n + 15) // 16))
    ks = ecb.encrypt(b''.join(blocks))
    out, off = [], 0
    for _, n in wants:
        out.append(ks[off:off + n])
        off += (n + 15) // 16 * 16
    return out


class _Keys:
    """Session keys of one master key and salt."""
    __slots__ = ('suite', 'tag', 'aead', 'ecb', 'hmac0', 'salt', 'gcm')

    def _derive(self, suite, material, gcm):
        klen, slen, self.tag, self.aead = SUITES[suite]
        assert len(material) == klen + slen, (suite, len(material))
        mk, ms = material[:klen], material[klen:]
        self.suite = suite
        if self.aead:
            k, salt = _kdf(mk, ms, [(LABEL_ENC, klen), (LABEL_SALT, 12)])
            self.gcm = gcm(k)
            self.ecb = self.hmac0 = None
        else:
            k, a, salt = _kdf(mk, ms, [(LABEL_ENC, 16), (LABEL_AUTH, 20), (LABEL_SALT, 14)])
            self.ecb = _ecb(k)
            self.hmac0 = hmac.new(a, digestmod=hashlib.sha1)
            self.gcm = None
        self.salt = int.from_bytes(salt, 'big')

    def _ctr(self, data, ssrc, index):
        iv = (self.salt << 16) ^ (ssrc << 64) ^ (index << 16)
        ks = self.ecb.encrypt(b''.join(((iv + j) & ((1 << 128) - 1)).to_bytes(16, 'big')
                                      for j in range((len(data) + 15) // 16)))
        return (int.from_bytes(data, 'big') ^ int.from_bytes(ks[:len(data)], 'big')).to_bytes(len(data), 'big')


class TxKey(_Keys):
    """A sender's key (the scenario's sources): protect() with the index
    the sender knows. Like a libsrtp sender, the ROC is 0 at the first
    packet protected with this key."""
    __slots__ = ('first',)

    def __init__(self, suite, material):
        self._derive(suite, material, GcmEnc)
        self.first = None

    def protect(self, pkt, ext_seq, roc=None):
        """pkt: a plain RTP packet (12-byte header, no CSRC or extension)
        whose sequence number is ext_seq & 0xffff; ext_seq counts on across
        wraps. roc: use this ROC instead (forged packets)."""
        if roc is None:
            if self.first is None:
                self.first = ext_seq & ~0xffff
            roc = (ext_seq - self.first) >> 16
        seq, ssrc = ext_seq & 0xffff, int.from_bytes(pkt[8:12], 'big')
        if self.aead:
            iv = (((ssrc << 48) | (roc << 16) | seq) ^ self.salt).to_bytes(12, 'big')
            return pkt[:12] + self.gcm.encrypt(iv, pkt[12:], pkt[:12])
        out = pkt[:12] + self._ctr(pkt[12:], ssrc, (roc << 16) | seq)
        h = self.hmac0.copy()
        h.update(out)
        h.update(roc.to_bytes(4, 'big'))
        return out + h.digest()[:self.tag]


def rtp_header_len(pkt):
    """Length of the RTP header (fixed part, CSRCs, extension), or -1."""
    if len(pkt) < 12 or (pkt[0] >> 6) != 2:
        return -1
    n = 12 + 4 * (pkt[0] & 0x0f)
    if pkt[0] & 0x10:
        if len(pkt) < n + 4:
            return -1
        n += 4 + 4 * int.from_bytes(pkt[n + 2:n + 4], 'big')
    return n if n <= len(pkt) else -1


class RxKey(_Keys):
    """One egress key of one viewer, as the checker holds it. unprotect()
    returns the plain payload (its first `want` bytes for AES-CM suites:
    the tag authenticates the whole packet before anything is decrypted)
    or None if the packet does not authenticate with this key under any
    plausible ROC."""

    __slots__ = ('roc', 's_l', 'started', 'last_roc')

    def __init__(self, suite, material):
        self._derive(suite, material, Gcm)
        self.roc, self.s_l, self.started, self.last_roc = 0, 0, False, 0

    def _guess(self, seq):
        """RFC 3711 appendix A: the ROC of seq from the highest seen."""
        if not self.started:
            return 0
        if self.s_l < 32768:
            return self.roc - 1 if seq - self.s_l > 32768 else self.roc
        return self.roc + 1 if self.s_l - 32768 > seq else self.roc

    def _try(self, pkt, hlen, ssrc, seq, roc, want):
        if self.aead:
            iv = (((ssrc << 48) | (roc << 16) | seq) ^ self.salt).to_bytes(12, 'big')
            return self.gcm.decrypt(iv, pkt[hlen:], pkt[:hlen])
        body = pkt[:len(pkt) - self.tag]
        h = self.hmac0.copy()
        h.update(body)
        h.update(roc.to_bytes(4, 'big'))
        if not hmac.compare_digest(h.digest()[:self.tag], pkt[len(pkt) - self.tag:]):
            return None
        return self._ctr(body[hlen:hlen + want], ssrc, (roc << 16) | seq)

    def unprotect(self, pkt, want=64, guess=True, others=True):
        """guess, others: try the ROC guessed from the highest index seen,
        the other plausible ones (a caller with several candidate keys tries
        every key's guess before any key's others: a wrong key costs one
        try, not four)."""
        hlen = rtp_header_len(pkt)
        if hlen < 0 or len(pkt) < hlen + self.tag:
            return None
        seq, ssrc = struct.unpack_from('!H4xI', pkt, 2)
        g = self._guess(seq)
        rocs = ((g,) if guess else ()) + ((g + 1, g - 1, 0) if others else ())
        for roc in rocs:
            if roc < 0 or roc > 0xffffffff:
                continue
            plain = self._try(pkt, hlen, ssrc, seq, roc, want)
            if plain is not None:
                self.last_roc = roc
                idx = (roc << 16) | seq
                if not self.started or idx > ((self.roc << 16) | self.s_l):
                    self.roc, self.s_l, self.started = roc, seq, True
                return plain
        return None


LABEL_RTCP_ENC, LABEL_RTCP_AUTH, LABEL_RTCP_SALT = 3, 4, 5


class RtcpKey:
    """SRTCP (RFC 3711 3.4) with AES-CM and HMAC-SHA1, both ways: the
    WebRTC phase's sources protect sender reports, its checker unprotects
    what the viewers received. Everything after the first 8 bytes (header
    and sender SSRC) is encrypted; then E || 31-bit SRTCP index, then the
    tag over all of it. (The AEAD suites' SRTCP is not needed here.)"""

    def __init__(self, suite, material):
        klen, slen, _, aead = SUITES[suite]
        if aead:
            raise ValueError('SRTCP with %s is not implemented here' % suite)
        self.tag = 10   # 80 bits for both (RFC 4568 6.2.1: _32 is SRTP's only)
        k, a, salt = _kdf(material[:klen], material[klen:],
                          [(LABEL_RTCP_ENC, 16), (LABEL_RTCP_AUTH, 20), (LABEL_RTCP_SALT, 14)])
        self.ecb = _ecb(k)
        self.hmac0 = hmac.new(a, digestmod=hashlib.sha1)
        self.salt = int.from_bytes(salt, 'big')

    def _ctr(self, data, ssrc, index):
        iv = (self.salt << 16) ^ (ssrc << 64) ^ (index << 16)
        ks = self.ecb.encrypt(b''.join(((iv + j) & ((1 << 128) - 1)).to_bytes(16, 'big')
                                      for j in range((len(data) + 15) // 16)))
        return (int.from_bytes(data, 'big') ^ int.from_bytes(ks[:len(data)], 'big')).to_bytes(len(data), 'big')

    def protect(self, pkt, index):
        ssrc = int.from_bytes(pkt[4:8], 'big')
        out = pkt[:8] + self._ctr(pkt[8:], ssrc, index) + (0x80000000 | index).to_bytes(4, 'big')
        h = self.hmac0.copy()
        h.update(out)
        return out + h.digest()[:self.tag]

    def unprotect(self, pkt):
        """The plain compound packet, or None if it does not authenticate."""
        if len(pkt) < 8 + 4 + self.tag:
            return None
        body, tag = pkt[:-self.tag], pkt[-self.tag:]
        h = self.hmac0.copy()
        h.update(body)
        if not hmac.compare_digest(h.digest()[:self.tag], tag):
            return None
        ei = int.from_bytes(body[-4:], 'big')
        if not ei & 0x80000000:
            return body[:-4]
        ssrc = int.from_bytes(body[4:8], 'big')
        return body[:8] + self._ctr(body[8:-4], ssrc, ei & 0x7fffffff)
