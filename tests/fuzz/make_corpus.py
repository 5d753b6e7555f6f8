#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seed corpora of the fuzz harnesses (docs/fuzzing.md).

    tests/fuzz/make_corpus.py [DIR]     (default: tests/fuzz/corpus)

Deterministic: the same files every run. Each seed is a small valid input
that drives its harness somewhere useful (a frame of each class; a
transaction of each kind; each control command that succeeds). The
encoders below mirror how each harness reads its bytes (fuzz_*.c), so a
harness change that moves bytes around must be mirrored here; the replay
tests (meson test fuzz_*_replay) run every seed, and scripts/fuzz prints
the coverage they reach.
"""
import base64
import os
import struct
import sys


# ---- fuzz_pkt: flags, room, frame -----------------------------------------

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


MAC_GW = bytes.fromhex("020000000001")
MAC_PEER = bytes.fromhex("020000000002")
IP_GW = bytes([10, 0, 0, 1])
IP_PEER = bytes([10, 0, 0, 2])
IP6_GW = bytes.fromhex("fd000000000000000000000000000001")
IP6_PEER = bytes.fromhex("fd000000000000000000000000000002")


def eth(dst, src, etype, vlan=None):
    if vlan is None:
        return dst + src + struct.pack("!H", etype)
    return dst + src + struct.pack("!HHH", 0x8100, vlan, etype)


def ipv4(proto, payload, src=IP_PEER, dst=IP_GW, options=b""):
    ihl = 5 + len(options) // 4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, 20 + len(options) + len(payload), 1, 0x4000,
                      64, proto, 0, src, dst) + options
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(nh, payload, src=IP6_PEER, dst=IP6_GW, hop=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), nh, hop) + src + dst + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp6(src, dst, msg):
    ph = src + dst + struct.pack("!IxxxB", len(msg), 58)
    c = csum(ph + msg)
    return msg[:2] + struct.pack("!H", c) + msg[4:]


RTP = bytes([0x80, 96]) + struct.pack("!HII", 1, 1000, 0x1234) + b"payload-of-the-camera"
RTCP = bytes([0x80, 200]) + struct.pack("!HI", 6, 0x1234) + b"\0" * 20


def pkt_seeds():
    s = {}
    s["rtp4"] = eth(MAC_GW, MAC_PEER, 0x0800) + ipv4(17, udp(4000, 5000, RTP))
    s["rtp4_vlan"] = eth(MAC_GW, MAC_PEER, 0x0800, vlan=100) + ipv4(17, udp(4000, 5000, RTP))
    s["rtcp6"] = eth(MAC_GW, MAC_PEER, 0x86DD) + ipv6(17, udp(4001, 5001, RTCP))
    hbh = bytes([17, 0]) + b"\x01\x04\0\0\0\0"  # hop-by-hop, PadN, then UDP
    s["rtp6_hbh"] = eth(MAC_GW, MAC_PEER, 0x86DD) + ipv6(0, hbh + udp(4000, 5000, RTP))
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + MAC_PEER + IP_PEER + b"\0" * 6 + IP_GW
    s["arp_req"] = eth(b"\xff" * 6, MAC_PEER, 0x0806) + arp
    s["arp_req_vlan"] = eth(b"\xff" * 6, MAC_PEER, 0x0806, vlan=7) + arp
    echo = bytes([8, 0, 0, 0]) + struct.pack("!HH", 1, 1) + b"ping"
    echo = echo[:2] + struct.pack("!H", csum(echo)) + echo[4:]
    s["icmp4_echo"] = eth(MAC_GW, MAC_PEER, 0x0800) + ipv4(1, echo)
    s["icmp4_echo_opts"] = eth(MAC_GW, MAC_PEER, 0x0800) + ipv4(1, echo, options=b"\x01\x01\x01\x00")
    e6 = icmp6(IP6_PEER, IP6_GW, bytes([128, 0, 0, 0]) + struct.pack("!HH", 1, 1) + b"ping6")
    s["icmp6_echo"] = eth(MAC_GW, MAC_PEER, 0x86DD) + ipv6(58, e6)
    dst_opts = bytes([58, 0]) + b"\x01\x04\0\0\0\0"  # destination options, PadN, then ICMPv6
    s["icmp6_echo_dstopts"] = eth(MAC_GW, MAC_PEER, 0x86DD) + ipv6(60, dst_opts + e6)
    ns = icmp6(IP6_PEER, bytes.fromhex("ff0200000000000000000001ff000001"),
               bytes([135, 0, 0, 0, 0, 0, 0, 0]) + IP6_GW + bytes([1, 1]) + MAC_PEER)
    s["nd_ns"] = eth(bytes.fromhex("3333ff000001"), MAC_PEER, 0x86DD) + \
        ipv6(58, ns, dst=bytes.fromhex("ff0200000000000000000001ff000001"), hop=255)
    dad = icmp6(b"\0" * 16, bytes.fromhex("ff0200000000000000000001ff000001"),
                bytes([135, 0, 0, 0, 0, 0, 0, 0]) + IP6_GW)
    s["nd_ns_dad"] = eth(bytes.fromhex("3333ff000001"), MAC_PEER, 0x86DD) + \
        ipv6(58, dad, src=b"\0" * 16, dst=bytes.fromhex("ff0200000000000000000001ff000001"), hop=255)
    na = icmp6(IP6_PEER, IP6_GW, bytes([136, 0, 0, 0, 0x60, 0, 0, 0]) + IP6_PEER + bytes([2, 1]) + MAC_PEER)
    s["nd_na"] = eth(MAC_GW, MAC_PEER, 0x86DD) + ipv6(58, na, hop=255)
    stun = struct.pack("!HHI", 1, 0, 0x2112A442) + b"\0" * 12
    s["stun_drop"] = eth(MAC_GW, MAC_PEER, 0x0800) + ipv4(17, udp(4000, 5000, stun))
    # flags: our MAC (bits 0-1), builders (0x20 ARP, 0x40 NS), tag (0x10);
    # room: the builders' buffer
    out = {}
    for i, (name, frame) in enumerate(sorted(s.items())):
        flags = (i & 3) | (0x70 if i % 2 else 0x60)
        out[name] = bytes([flags, 60 + 3 * i]) + frame
    return out


# ---- fuzz_agent: flags, then messages --------------------------------------

def agent_begin(seq=1, replace_all=False):
    return bytes([0, seq, 4 if replace_all else 0])


def agent_ops(*templates, restate_all=False):
    n = max(len(templates), 1)
    head = bytes([6 if restate_all else 2, n - 1]) + (b"\x01" if restate_all else b"")
    return head + b"".join(templates) + b"\x01"  # last: no corruption


COMMIT, ABORT, HELLO, QUIESCE = b"\x07", b"\x09", b"\x0b", b"\x0c"


def stats(kind, after=0, mx=0):
    # kind 0 workers, 1 flows, 2 viewers; cursor and max from small values
    return bytes([10, kind, 1, after, 1, mx, 0])


def stream_add(sid, owner, laddr=0, port=0, suite=1, keyvar=0, src=0, window=0):
    # template 0: id, owner, window, listen (address, port), source, key (suite, variant)
    return bytes([0, sid - 1, owner, window, laddr, port, src, suite, keyvar])


def viewer_add(vid, stream_pick=0, owner=None, grants=False, dest=0, port=0, suite=1, keyvar=1):
    """Template 7 on a stream that exists when the message is built: owner
    None = the stream's own, else an explicit owner value."""
    if owner is None:
        who = bytes([1]) + (b"\x00" if grants else b"")
    else:
        who = bytes([0, owner])
    return bytes([7, vid - 1, stream_pick]) + who + bytes([dest, port, suite, keyvar])


def viewer_add_new(vid, sid, owner, dest=0, port=0, suite=1, keyvar=1):
    """Template 7 when no stream exists yet (added by the same message)."""
    return bytes([7, vid - 1, 0, sid - 1, owner, dest, port, suite, keyvar])


def grant_add(stream_pick, owner):
    return bytes([5, stream_pick, owner])


def stream_rekey(stream_pick, keep_old=True, suite=1, keyvar=2):
    return bytes([3, stream_pick, 0, 1 if keep_old else 0, suite, keyvar])


def stream_del(stream_pick):
    return bytes([2, 1, stream_pick, 1])


def viewer_del(vid):
    return bytes([10, vid - 1])


def viewer_rekey(vid, suite=3, keyvar=3):
    return bytes([11, vid - 1, suite, keyvar])


def viewer_dest(vid, dest=4, port=1):
    return bytes([12, vid - 1, dest, port])


def agent_seeds():
    s = {}
    one = agent_begin(1) + agent_ops(stream_add(1, 1), viewer_add_new(1, 1, 1)) + COMMIT
    s["add_commit"] = b"\x00" + one + stats(1) + stats(2) + stats(0) + HELLO
    s["add_commit_reader"] = b"\x01" + one + QUIESCE + HELLO
    s["add_abort"] = b"\x02" + agent_begin(1) + agent_ops(stream_add(1, 1), viewer_add_new(1, 1, 1)) + ABORT
    s["grant_viewer"] = b"\x04" + agent_begin(1) + agent_ops(stream_add(1, 1, laddr=2, port=1, suite=3)) + \
        COMMIT + agent_begin(2) + agent_ops(grant_add(0, 2), viewer_add(2, owner=2, dest=5)) + COMMIT
    s["rekey_overlap"] = b"\x01" + one + agent_begin(2) + agent_ops(stream_rekey(0)) + COMMIT + \
        agent_begin(3) + agent_ops(bytes([2, 1, 0, 0])) + COMMIT + QUIESCE
    s["viewer_changes"] = b"\x08" + one + agent_begin(2) + \
        agent_ops(viewer_rekey(1), viewer_dest(1), viewer_add(2, dest=3)) + COMMIT + \
        agent_begin(3) + agent_ops(viewer_del(1)) + COMMIT
    s["replace_all"] = b"\x00" + one + agent_begin(2, replace_all=True) + \
        agent_ops(restate_all=True) + COMMIT + agent_begin(3, replace_all=True) + \
        agent_ops(stream_add(2, 3, laddr=1, port=2, suite=4)) + COMMIT + stats(1)
    s["delete"] = b"\x03" + one + agent_begin(2) + agent_ops(stream_del(0)) + COMMIT + QUIESCE
    s["op_fails"] = b"\x00" + one + agent_begin(2) + \
        agent_ops(stream_add(2, 1, port=1), viewer_add(3, stream_pick=0, dest=8)) + COMMIT + HELLO
    return s


# ---- fuzz_control: flags, then requests ------------------------------------

CMDS = ["owner.add", "owner.del", "owner.list", "stream.add", "stream.del", "stream.rekey",
        "stream.show", "viewer.add", "viewer.del", "viewer.rekey", "viewer.show", "grant.add",
        "grant.del", "stats", "status", "owner.rename",
        # with flags 0x80 only
        "token.add", "token.list", "token.del", "whoami"]
ARGS = {
    "owner.add": [("name", True)], "owner.del": [("name", True)], "owner.list": [],
    "stream.add": [("name", True), ("owner", True), ("listen", False), ("source", False),
                   ("suite", False), ("plain", False), ("key", False), ("idle_timeout", False)],
    "stream.del": [("name", True)], "stream.rekey": [("name", True), ("key", False)],
    "stream.show": [("name", False)],
    "viewer.add": [("name", True), ("stream", True), ("to", True), ("owner", False),
                   ("suite", False), ("plain", False), ("key", False)],
    "viewer.del": [("name", True)],
    "viewer.rekey": [("name", True), ("suite", False), ("plain", False), ("key", False)],
    "viewer.show": [("name", False), ("stream", False)],
    "grant.add": [("stream", True), ("to", True)], "grant.del": [("stream", True), ("to", True)],
    "stats": [("stream", False)], "status": [], "owner.rename": [("name", True)],
    "token.add": [("owner", False), ("name", False), ("expires", False)],
    "token.list": [("owner", False)], "token.del": [("name", True)], "whoami": [],
}


def req(cmd, env=10, **args):
    """A structured request: pool index per argument given (fuzz_control.c pools).
    env 8 with flags 0x80: the request carries the last token made."""
    out = bytes([1, CMDS.index(cmd), env])  # not raw; command; envelope (10: normal)
    for name, required in ARGS[cmd]:
        if name in args:
            out += bytes([2 if required else 3, args[name]])
        else:
            out += bytes([0 if required else 4])
    return out + b"\x01"  # no unknown argument


def raw(line):
    return bytes([0, len(line) - 1]) + line.encode()


def control_seeds():
    s = {}
    base = req("owner.add", name=0) + req("owner.add", name=1) + \
        req("stream.add", name=0, owner=0) + req("viewer.add", name=0, stream=0, to=0)
    s["basic"] = b"\x00" + base + req("owner.list") + req("stream.show") + req("viewer.show") + req("status")
    s["grant_viewer"] = b"\x01" + base + req("grant.add", stream=0, to=1) + \
        req("viewer.add", name=1, stream=0, to=1, owner=1) + req("grant.del", stream=0, to=1)
    s["rekey"] = b"\x02" + base + req("stream.rekey", name=0) + req("viewer.rekey", name=0, suite=2) + \
        req("stream.rekey", name=0, key=0)
    s["given_keys"] = b"\x04" + req("owner.add", name=2) + \
        req("stream.add", name=1, owner=2, listen=4, suite=3, key=3) + \
        req("viewer.add", name=2, stream=1, to=1, suite=2, key=2) + req("stream.show", name=1)
    s["plain_and_listen"] = b"\x21" + req("owner.add", name=0) + \
        req("stream.add", name=0, owner=0, listen=1, plain=0, idle_timeout=1) + \
        req("stream.add", name=1, owner=0, listen=1) + req("viewer.add", name=0, stream=0, to=0, plain=0)
    s["delete"] = b"\x01" + base + req("viewer.del", name=0) + req("stream.del", name=0) + \
        req("stream.add", name=0, owner=0, listen=1) + req("owner.del", name=0) + req("status")
    grants = b"".join(req("owner.add", name=i) for i in range(9)) + req("stream.add", name=0, owner=0)
    s["grants_full"] = b"\x00" + grants + b"".join(req("grant.add", stream=0, to=i) for i in range(1, 9))
    # 3 even ports in the range (flag 0x40): the fourth stream finds none
    s["ports_full"] = b"\x40" + req("owner.add", name=0) + \
        b"".join(req("stream.add", name=i, owner=0) for i in range(4))
    s["errors"] = b"\x40" + req("stream.add", name=0, owner=0) + req("viewer.del", name=3) + \
        req("grant.add", stream=0, to=0) + req("owner.rename", name=0) + req("stats") + \
        raw('{"v":1,"cmd":"status"}') + raw('{"v":1,') + raw("[1,2]")
    # flags 0x80: every other request (odd ones here) acts for owner alice;
    # env 8: for the owner of the last token made
    s["authority"] = b"\x80" + req("owner.add", name=0) + req("stream.add", name=0, owner=0) + \
        req("owner.add", name=1) + req("viewer.add", name=0, stream=0, to=0) + \
        req("stream.add", name=1, owner=1) + req("viewer.add", name=1, stream=1, to=1) + \
        req("grant.add", stream=1, to=0) + req("viewer.add", name=1, stream=1, to=1) + \
        req("token.add", owner=0, name=0, expires=0) + req("stream.show") + req("whoami", env=8) + \
        req("owner.del", name=1) + req("token.add", env=8) + req("viewer.show") + req("token.list") + \
        req("stream.del", name=1) + req("stream.rekey", env=8, name=0) + req("token.del", name=0) + \
        req("status", env=8) + req("grant.del", stream=1, to=0)
    return s


# ---- fuzz_srtp_burst: set-up, then ops (tests/fuzz/fuzz_srtp_burst.c) -----

CM80, CM32, GCM128, GCM256 = 0, 1, 2, 3
WINDOWS = {w: i for i, w in enumerate((128, 64, 96, 100, 160, 256, 1000, 1024,
                                       0, 65, 127, 129, 192, 320, 512, 993))}


def sb_setup(pairs, window=128, one_key=False, seed=0x5eed):
    """pairs: (suite, key seed, SSRC, first sequence number) each."""
    flags = (len(pairs) - 1) | (4 if one_key else 0) | WINDOWS[window] << 3
    b = struct.pack("<BI", flags, seed)
    for suite, key, ssrc, seq in pairs:
        b += struct.pack("<BBIH", suite, key, ssrc, seq)
    return b


def sb_op(kind, packets, split=0, head=b"", count=None):
    """kind 0 protect, 1 unprotect, 2 protect_rtcp, 3 unprotect_rtcp;
    packets: their encodings (one or more bytes each); count: how many
    packets they make if not one each (runs)."""
    n = count or len(packets)
    assert 1 <= n <= 256
    op = bytes([kind | 4, n - 1]) if n > 32 else bytes([kind | (n - 1) << 3])
    return op + bytes([split]) + head + b"".join(packets)


def sb_rtp(pair=0, step=None, arg=0, cc=None, ext=None, payload=None):
    """A packet to protect. step: None (the next sequence number), 'gap',
    'jump', 'back', 'other_ssrc', 'short', 'seq', 'again'."""
    steps = {None: 0, "gap": 4, "jump": 5, "back": 6}
    special = {"other_ssrc": 0, "short": 1, "seq": 2, "again": 3}
    s = pair | (steps[step] if step in steps else 7) << 2
    tail = b""
    if step in ("gap", "back"):
        tail += bytes([arg])
    elif step == "jump":
        tail += struct.pack("<H", arg)
    elif step in special:
        tail += bytes([special[step] | (arg & 0x3f) << 2])
        if step == "seq":
            tail += struct.pack("<H", arg)
    if cc is not None or ext is not None:
        s |= (0x20 if cc is not None else 0) | (0x40 if ext is not None else 0)
        tail += bytes([(cc or 0) | (ext or 0) << 4])
    if payload is not None:
        s |= 0x80
        tail += struct.pack("<H", payload)
    return bytes([s]) + tail


def sb_rtcp(pair=0, words=5, short=None, other_ssrc=False, size=None):
    """An RTCP packet to protect: 8 + 4 * words bytes (words < 15), or
    size bytes, or short (< 12) bytes."""
    assert words < 15
    s = pair | (15 if size is not None else words) << 2
    tail = struct.pack("<H", size - 8) if size is not None else b""
    if short is not None:
        s |= 0x40
        tail += bytes([short])
    if other_ssrc:
        s |= 0x80
    return bytes([s]) + tail


def sb_mut(kind, arg=0, *args):
    """A mutation: kind 0 bit flip (position), 1 xor (position, value),
    2 truncate (length), 3 append 1 + arg bytes, 4 RTP seq (value) / RTCP
    E flag, 5 SSRC, 6 tag byte (value), 7 RTP byte 0 (value) / RTCP index
    (value)."""
    b = bytes([kind | (arg & 15) << 3])
    fmt = {0: "<H", 1: "<HB", 2: "<H", 3: "", 4: "<H", 5: "", 6: "<B", 7: "<B"}[kind]
    if kind == 4 and not args:
        fmt = ""
    if kind == 7 and args and args[0] > 255:
        fmt = "<I"
    return b + (struct.pack(fmt, *args) if fmt else b"")


def sb_item(pair=0, kind="next", arg=0, muts=(), cross=False, raw=b"", roc=None, seq=0,
            payload=40, other_ssrc=False):
    """A packet to unprotect: kind next, run (the next 1 + arg in order),
    replay (arg back), ahead (arg), skip (arg), newest, forge (RTP: roc
    -1..2 or an absolute 'abs:N', seq; RTCP: an authentication-only packet
    of arg words), raw (bytes)."""
    kinds = {"next": 0, "run": 1, "replay": 2, "ahead": 3, "skip": 4, "newest": 5, "forge": 6, "raw": 7,
             "auth_only": 6}
    s = pair | kinds[kind] << 2 | (0x40 if cross else 0) | (0x20 if muts else 0)
    tail = b""
    if kind in ("run", "replay", "ahead", "skip", "auth_only"):
        tail += bytes([arg])
    elif kind == "forge":
        if isinstance(roc, str):
            x = 8 | (4 if other_ssrc else 0)
            tail += bytes([x]) + struct.pack("<HBI", seq, payload, int(roc[4:]))
        else:
            x = {-1: 0, 0: 1, 1: 2, 2: 3}[roc or 0] | (4 if other_ssrc else 0)
            tail += bytes([x]) + struct.pack("<HB", seq, payload)
    elif kind == "raw":
        tail += bytes([len(raw)]) + raw
    for i, m in enumerate(muts):
        tail += bytes([m[0] | (0x80 if i + 1 < len(muts) else 0)]) + m[1:]
    return bytes([s]) + tail


def srtp_burst_seeds():
    s = {}
    ssrc_a, ssrc_b, ssrc_c = 0x11223344, 0xCAFEF00D, 0x0BADBEEF
    in_order = [sb_item() for _ in range(20)]
    # each suite: RTP and RTCP, protected and unprotected in order
    for name, suite in (("cm80", CM80), ("cm32", CM32), ("gcm128", GCM128), ("gcm256", GCM256)):
        s["basic_" + name] = sb_setup([(suite, 7, ssrc_a, 1000)]) + \
            sb_op(0, [sb_rtp() for _ in range(20)], head=bytes([120])) + \
            sb_op(1, in_order, split=7) + \
            sb_op(2, [sb_rtcp(words=w) for w in range(10)]) + \
            sb_op(3, [sb_item() for _ in range(10)], split=3)
    # a ROC wrap, with packets reordered, replayed and skipped around it
    s["wrap_reorder"] = sb_setup([(CM80, 1, ssrc_a, 65520)]) + \
        sb_op(0, [sb_rtp() for _ in range(40)], head=bytes([60])) + \
        sb_op(1, [sb_item(), sb_item(kind="ahead", arg=20), sb_item(), sb_item(kind="skip", arg=12),
                  sb_item(kind="replay", arg=3), sb_item(kind="replay", arg=13), sb_item(),
                  sb_item(kind="newest"), sb_item(kind="replay", arg=30)] +
              [sb_item() for _ in range(20)], split=4)
    # jumps of the sequence number across ROC wraps (ROC 3 reached)
    s["jumps_gcm"] = sb_setup([(GCM128, 2, ssrc_b, 100)]) + \
        sb_op(0, [sb_rtp(), sb_rtp(step="jump", arg=0x7000), sb_rtp(step="jump", arg=0x7000),
                  sb_rtp(step="jump", arg=0x7000), sb_rtp(), sb_rtp(step="jump", arg=0x7ff0),
                  sb_rtp(step="jump", arg=0x7ff0), sb_rtp(step="jump", arg=0x7ff0),
                  sb_rtp(step="jump", arg=0x7ff0), sb_rtp(step="back", arg=5), sb_rtp(),
                  sb_rtp(step="again"), sb_rtp(step="gap", arg=200), sb_rtp()], head=bytes([30])) + \
        sb_op(1, [sb_item() for _ in range(14)] + [sb_item(kind="replay", arg=5)], split=2)
    # header shapes, short and foreign-SSRC packets to protect
    s["shapes"] = sb_setup([(CM32, 3, ssrc_a, 7), (GCM256, 4, ssrc_b, 65535)]) + \
        sb_op(0, [sb_rtp(cc=3), sb_rtp(1, ext=2), sb_rtp(cc=15, ext=15), sb_rtp(1, payload=0),
                  sb_rtp(payload=1300), sb_rtp(1, step="short", arg=7), sb_rtp(step="other_ssrc", arg=1),
                  sb_rtp(1, step="seq", arg=40000), sb_rtp(1, cc=1, ext=0), sb_rtp()],
              head=bytes([17])) + \
        sb_op(1, [sb_item(0), sb_item(1), sb_item(0), sb_item(1), sb_item(0), sb_item(1), sb_item(0),
                  sb_item(1), sb_item(0)])
    # every kind of tampering, each then the packet valid
    muts = [sb_mut(0, 3, 5), sb_mut(1, 0, 30, 0x40), sb_mut(2, 0, 20), sb_mut(3, 7),
            sb_mut(4, 0, 1234), sb_mut(5, 1), sb_mut(5, 9), sb_mut(6, 0, 1), sb_mut(6, 9, 0x80),
            sb_mut(7, 0, 0x90), sb_mut(2, 0, 11)]
    for name, suite in (("cm80", CM80), ("gcm128", GCM128)):
        items = []
        for m in muts:
            items += [sb_item(kind="ahead", arg=0, muts=[m]), sb_item()]
        items.append(sb_item(kind="ahead", arg=0, muts=[sb_mut(0, 1, 40), sb_mut(6, 2, 4)]))
        s["tamper_" + name] = sb_setup([(suite, 5, ssrc_c, 30000)]) + \
            sb_op(0, [sb_rtp(cc=1, ext=1) for _ in range(14)], head=bytes([80])) + \
            sb_op(1, items, split=5)
    # three pairs interleaved in one burst, one key: packets given to the
    # next pair's receiver (another SSRC: SSRCS on a bound context)
    s["three_one_key"] = sb_setup([(CM80, 9, ssrc_a, 10), (CM80, 9, ssrc_b, 20),
                                   (CM80, 9, ssrc_c, 65500)], one_key=True) + \
        sb_op(0, [sb_rtp(i % 3) for i in range(60)], head=bytes([50])) + \
        sb_op(1, [sb_item(i % 3) for i in range(30)] +
              [sb_item(i % 3, cross=True) for i in range(6)] +
              [sb_item(i % 3) for i in range(24)], split=0)
    # three pairs, three suites, large bursts (chunked by 64)
    s["big_bursts"] = sb_setup([(CM80, 1, ssrc_a, 65000), (GCM128, 2, ssrc_b, 1), (CM32, 3, ssrc_c, 32760)]) + \
        sb_op(0, [sb_rtp(i % 3) for i in range(200)], head=bytes([20])) + \
        sb_op(1, [sb_item(i % 3) for i in range(150)] + [sb_item(1, kind="replay", arg=i) for i in range(40)],
              split=0) + \
        sb_op(1, [sb_item(i % 3, kind="replay", arg=60) for i in range(50)], split=65)
    # SRTCP: reordered, replayed, E flag flipped, index changed, truncated,
    # an authentication-only sender's packets (no E flag)
    for name, suite in (("cm80", CM80), ("gcm256", GCM256)):
        s["rtcp_" + name] = sb_setup([(suite, 6, ssrc_b, 0)]) + \
            sb_op(2, [sb_rtcp(words=w % 15) for w in range(40)] + [sb_rtcp(size=300), sb_rtcp(short=5),
                                                                 sb_rtcp(other_ssrc=True)]) + \
            sb_op(3, [sb_item(), sb_item(kind="ahead", arg=10), sb_item(), sb_item(kind="replay", arg=1),
                      sb_item(kind="ahead", arg=0, muts=[sb_mut(4)]),
                      sb_item(kind="ahead", arg=0, muts=[sb_mut(7, 0, 99999)]),
                      sb_item(kind="ahead", arg=0, muts=[sb_mut(2, 0, 15)]),
                      sb_item(kind="ahead", arg=0, muts=[sb_mut(1, 0, 9, 0x21)]),
                      sb_item(kind="auth_only", arg=3), sb_item(kind="auth_only", arg=0),
                      sb_item(kind="skip", arg=5), sb_item(kind="replay", arg=4)] +
                  [sb_item() for _ in range(10)], split=6)
    # long in-order runs (the windows slide bit by bit, SRTCP's across its
    # two words), then replays 60 to 135 behind the newest
    s["long_runs"] = sb_setup([(CM80, 3, ssrc_a, 65400), (GCM128, 4, ssrc_b, 9)]) + \
        sb_op(2, [sb_rtcp(int(i % 5 == 4), words=0) for i in range(256)]) + \
        sb_op(0, [sb_rtp(i % 2) for i in range(256)], head=bytes([4])) + \
        sb_op(3, [sb_item(0, kind="run", arg=199), sb_item(1, kind="run", arg=39)] +
              [sb_item(0, kind="replay", arg=60 + 5 * i) for i in range(16)], split=0, count=256) + \
        sb_op(1, [sb_item(0, kind="run", arg=109), sb_item(1, kind="run", arg=109)] +
              [sb_item(i % 2, kind="replay", arg=60 + 5 * i) for i in range(16)], split=0, count=236)
    # SRTCP indices far ahead: the receiver's first packet is the 406th
    # (its window moves by more than its size at once), then replays
    s["rtcp_jump"] = sb_setup([(CM32, 6, ssrc_c, 0)], window=0) + \
        sb_op(2, [sb_rtcp(words=0) for _ in range(256)]) + sb_op(2, [sb_rtcp(words=1) for _ in range(150)]) + \
        sb_op(3, [sb_item(kind="skip", arg=255), sb_item(), sb_item(kind="skip", arg=140),
                  sb_item(kind="replay", arg=150), sb_item(kind="replay", arg=20), sb_item()])
    # packets made at a ROC: the receiver's, one behind, ahead
    s["forged_roc"] = sb_setup([(CM80, 8, ssrc_a, 65530), (GCM256, 8, ssrc_b, 3)]) + \
        sb_op(0, [sb_rtp(i % 2) for i in range(16)], head=bytes([10])) + \
        sb_op(1, [sb_item(i % 2) for i in range(16)]) + \
        sb_op(1, [sb_item(0, kind="forge", roc=0, seq=8), sb_item(0, kind="forge", roc=-1, seq=65500),
                  sb_item(0, kind="forge", roc=1, seq=100), sb_item(1, kind="forge", roc=1, seq=2),
                  sb_item(1, kind="forge", roc=0, seq=40000), sb_item(0, kind="forge", roc=2, seq=5),
                  sb_item(1, kind="forge", roc="abs:65535", seq=9), sb_item(0, kind="forge", other_ssrc=True,
                                                                            seq=50)], split=3)
    # raw bytes, some with version 2 and the receiver's SSRC written in
    s["raw"] = sb_setup([(CM32, 2, ssrc_c, 500)], window=64) + \
        sb_op(0, [sb_rtp() for _ in range(4)], head=bytes([8])) + \
        sb_op(1, [sb_item(kind="raw", raw=bytes(range(40))), sb_item(kind="raw", raw=b"\x90" + bytes(30),
                                                                      cross=True),
                  sb_item(kind="raw", raw=b""), sb_item(kind="raw", raw=b"\xbf\x00" + bytes(13), cross=True),
                  sb_item(), sb_item()]) + \
        sb_op(3, [sb_item(kind="raw", raw=bytes(range(30)), cross=True), sb_item(kind="raw", raw=b"\x80")])
    # windows of 1024 and 64: packets late by more and less than them (the
    # sender jumps; the receiver takes the later ones first)
    for w, jump in ((1024, 975), (64, 15)):
        s["window_%d" % w] = sb_setup([(CM80, 4, ssrc_a, 1000)], window=w) + \
            sb_op(0, [sb_rtp() for _ in range(10)] + [sb_rtp(step="jump", arg=jump)] +
                  [sb_rtp() for _ in range(9)] + [sb_rtp(step="jump", arg=30)] + [sb_rtp() for _ in range(4)],
                  head=bytes([0])) + \
            sb_op(1, [sb_item(kind="skip", arg=9)] + [sb_item() for _ in range(14)] +
                  [sb_item(kind="replay", arg=24 - j) for j in range(10)] + [sb_item(kind="replay", arg=5)],
                  split=9)
    return s


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                             "corpus")
    for name, seeds in (("pkt", pkt_seeds()), ("agent", agent_seeds()), ("control", control_seeds()),
                        ("srtp_burst", srtp_burst_seeds())):
        d = os.path.join(top, name)
        os.makedirs(d, exist_ok=True)
        for old in os.listdir(d):
            os.unlink(os.path.join(d, old))
        for seed, data in sorted(seeds.items()):
            with open(os.path.join(d, seed), "wb") as f:
                f.write(data)
        print("%s: %d seeds in %s" % (name, len(seeds), d))


if __name__ == "__main__":
    main()
