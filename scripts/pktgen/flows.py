"""The plan of a load run: streams, their viewers and keys, and the frames
of the pcap (the streams interleaved round robin)."""
import os
import random
from dataclasses import dataclass, field

import frames

TS_STEP = 3000  # RTP timestamp step per packet: 90 kHz video at 30 packets/s


class Rand:
    """Keys and random header fields: os.urandom, or a seeded generator for
    reproducible output (test runs only: anyone with the seed has the keys)."""

    def __init__(self, seed=None):
        self.seeded = random.Random(seed) if seed is not None else None

    def bytes(self, n):
        return self.seeded.randbytes(n) if self.seeded else os.urandom(n)

    def int(self, bits):
        return int.from_bytes(self.bytes((bits + 7) // 8), 'big') & ((1 << bits) - 1)


@dataclass
class Viewer:
    id: int
    ip: str
    port: int
    suite: str
    key: bytes = None  # None for plain


@dataclass
class Stream:
    id: int
    owner: int
    listen_port: int
    src_port: int
    suite: str
    key: bytes
    ssrc: int
    seq0: int
    ts0: int
    viewers: list = field(default_factory=list)


def new_key(rand, suite):
    return None if suite == frames.PLAIN else rand.bytes(frames.SUITES[suite][0])


def plan(a, rand):
    """Streams and viewers from the parsed options a. Every random value is
    drawn in a fixed order, so a seed gives the same plan whatever the
    addresses and MACs."""
    streams = []
    k = 0
    for i in range(a.streams):
        suite = a.suite[i % len(a.suite)]
        s = Stream(id=a.first_id + i, owner=a.first_owner + i % a.owners,
                   listen_port=a.gw_port + i, src_port=a.src_port + i, suite=suite,
                   key=new_key(rand, suite), ssrc=rand.int(32), seq0=rand.int(16), ts0=rand.int(32))
        for j in range(a.viewers):
            vs = a.viewer_suite[k % len(a.viewer_suite)]
            s.viewers.append(Viewer(id=s.id * 1000 + j, ip=a.viewer_ip[k % len(a.viewer_ip)],
                                    port=a.viewer_port + k // len(a.viewer_ip), suite=vs,
                                    key=new_key(rand, vs)))
            k += 1
        streams.append(s)
    return streams


def packets(streams, count, size, rand):
    """(stream, wire packet) for count packets of every stream, round
    robin: consecutive sequence numbers from each stream's random start
    (wrapping, which moves the ROC), timestamps advancing by TS_STEP."""
    filler = rand.bytes(size + 64)
    sessions = {s.id: frames.srtp_session(s.suite, s.key, outbound=True)
                for s in streams if s.suite != frames.PLAIN}
    for n in range(count):
        for s in streams:
            pkt = frames.rtp(s.seq0 + n, s.ts0 + n * TS_STEP, s.ssrc, frames.payload(s.id, n, size, filler))
            yield s, (sessions[s.id].protect(pkt) if s.id in sessions else pkt)
