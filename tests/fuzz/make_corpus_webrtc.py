#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of fuzz_stun and fuzz_dtls (docs/fuzzing.md).

    tests/fuzz/make_corpus_webrtc.py [DIR]     (default: tests/fuzz/corpus)

Deterministic. The encoders mirror how the harnesses read their bytes
(tests/fuzz/fuzz_stun.c, fuzz_dtls.c): change both together.
"""
import binascii
import hashlib
import hmac
import os
import struct
import sys

PWD = b"FuzzPasswordOfTwentyFour"
LUFRAG, RUFRAG = b"Lfz1", b"Rfz1"
COOKIE = 0x2112A442


# ---- fuzz_stun: flags, then datagrams [u16 len LE][u8 source][u8 100 ms steps][bytes]

def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def stun(cls_bits, attrs, txid, integrity=True, fingerprint=True, key=PWD):
    """A Binding message (cls_bits: 0x000 request, 0x010 indication, 0x100
    success) with MESSAGE-INTEGRITY and FINGERPRINT computed as RFC 8489 says."""
    body = b"".join(attrs)
    mtype = 0x0001 | cls_bits
    if integrity:
        hdr = struct.pack("!HHI12s", mtype, len(body) + 24, COOKIE, txid)
        body += attr(0x0008, hmac.new(key, hdr + body, hashlib.sha1).digest())
    if fingerprint:
        hdr = struct.pack("!HHI12s", mtype, len(body) + 8, COOKIE, txid)
        crc = binascii.crc32(hdr + body) ^ 0x5354554E
        body += attr(0x8028, struct.pack("!I", crc))
    return struct.pack("!HHI12s", mtype, len(body), COOKIE, txid) + body


def check(n, user=LUFRAG + b":" + RUFRAG, nominate=False, controlled=False, extra=(), **kw):
    attrs = [attr(0x0006, user), attr(0x0024, struct.pack("!I", 0x6E0001FF)),
             attr(0x8029 if controlled else 0x802A, struct.pack("!Q", 0x1122334455667788))]
    if nominate:
        attrs.append(attr(0x0025, b""))
    attrs += list(extra)
    return stun(0, attrs, bytes([n]) * 12, **kw)


def dgrams(flags, items):
    out = bytes([flags])
    for src, steps, d in items:
        out += struct.pack("<HBB", len(d), src, steps) + d
    return out


RFC5769_REQUEST = bytes.fromhex(
    "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e2074657374"
    "20636c69656e74002400046e0001ff80290008932ff9b151263b36000600096576"
    "746a3a683676592020200008001 49aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2"
    "80280004e57a3bcf".replace(" ", ""))


def stun_seeds():
    return {
        "rfc5769_request": dgrams(0, [(0, 0, RFC5769_REQUEST)]),
        "check": dgrams(0, [(0, 0, check(1))]),
        "nominate_move_lapse": dgrams(0, [
            (0, 0, check(1)), (0, 1, check(2, nominate=True)),
            (4, 10, check(3, nominate=True)), (1, 20, check(4)),
            (0, 255, check(5)), (4, 255, check(6)), (4, 40, check(7))]),
        "signed": dgrams(1, [(2, 0, check(1, nominate=True, key=b"wrong"))]),
        "any_remote": dgrams(2, [(0, 0, check(1, user=LUFRAG + b":someone", nominate=True))]),
        "errors": dgrams(0, [
            (0, 0, check(1, controlled=True)),
            (0, 0, check(2, integrity=False)),
            (0, 0, stun(0, [attr(0x0024, b"\0\0\0\1")], b"\3" * 12)),
            (0, 0, check(4, extra=[attr(0x0033, b"x")])),
            (0, 0, check(5, extra=[attr(0xC057, b"\0\1\0\0")])),
            (0, 0, check(6, user=b"Other:" + RUFRAG)),
            (0, 0, check(7, key=b"not the password")),
            (7, 0, check(8))]),
        "not_requests": dgrams(0, [
            (0, 0, stun(0x010, [], b"\1" * 12, integrity=False)),
            (0, 0, stun(0x100, [attr(0x0020, b"\0\1\xa1\x47\xe1\x12\xa6\x43")], b"\2" * 12)),
            (0, 0, b"\x16\xfe\xfd" + b"\0" * 30)]),
    }


# ---- fuzz_dtls: flags, then actions (client mode) or datagrams (raw mode)

def dtls_seeds():
    deliver = bytes([7]) * 96
    lossy = bytes([7, 7, 0, 7, 7, 7, 4, 7, 1, 7, 7, 2, 9, 1, 7, 7, 3, 40, 0, 7] * 6)

    def raw(items):
        out = b"\x01"
        for steps, d in items:
            out += struct.pack("<HB", len(d), steps) + d
        return out

    record = b"\x16\xfe\xfd\x00\x00" + b"\x00" * 6 + struct.pack("!H", 12) + b"\x01" + b"\x00" * 11
    return {
        "gcm": b"\x00" + deliver,
        "cm_only": b"\x02" + deliver,
        "no_use_srtp": b"\x04" + deliver,
        "cm32_only": b"\x06" + deliver,
        "wrong_fingerprint": b"\x08" + deliver,
        "lossy": b"\x00" + lossy,
        "raw": raw([(0, record), (1, b"\x17\xfe\xfd" + b"\x00" * 10), (0, b"\x01" * 20),
                    (200, record + record)]),
    }


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    for name, seeds in (("stun", stun_seeds()), ("dtls", dtls_seeds())):
        d = os.path.join(top, name)
        os.makedirs(d, exist_ok=True)
        for seed, data in seeds.items():
            with open(os.path.join(d, seed), "wb") as f:
                f.write(data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
