"""Receive frames from an AF_PACKET socket through a TPACKET_V3 ring
(packet_mmap(7)): the kernel fills blocks of frames in shared memory and
the reader hands a block back when it has taken its frames, so there is no
system call per frame. recvmsg() per frame cost the isolation checker about
a sixth of its time, which is what decides how fast a long run can go.

The kernel hands a block over when it is full or retire_ms after it opened
it, so a trickle of frames takes a block each: the ring holds at least
blocks x retire_ms of traffic (41 s by default) or as many frames as fit
(about 800,000 of 250 bytes by default), whichever is reached first.

RxRing(sock, block_size, blocks, retire_ms).block() -> list of
(frame bytes, kernel time in ns (CLOCK_REALTIME), packet type) of the next
filled block, or None if there is none yet. stats() -> (packets, drops) since
the last call. The socket stays pollable: it is readable when a block is
ready.
"""
import mmap
import struct

SOL_PACKET = 263
PACKET_RX_RING, PACKET_VERSION, PACKET_STATISTICS = 5, 10, 6
TPACKET_V3 = 2
TP_STATUS_KERNEL, TP_STATUS_USER = 0, 1
# struct tpacket_block_desc: version, offset_to_priv, then tpacket_hdr_v1:
# block_status, num_pkts, offset_to_first_pkt, ...
_BLOCK_STATUS = 8
_BLOCK_HDR = struct.Struct('=III')              # block_status, num_pkts, offset_to_first_pkt
# struct tpacket3_hdr: tp_next_offset, tp_sec, tp_nsec, tp_snaplen, tp_len,
# tp_status, tp_mac, tp_net; 48 bytes with its variant and padding, then the
# struct sockaddr_ll whose sll_pkttype is at byte 10
_FRAME_HDR = struct.Struct('=IIIIIIH')
_PKTTYPE = 48 + 10


class RxRing:
    def __init__(self, sock, block_size=1 << 16, blocks=4096, retire_ms=10):
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V3)
        frame = 2048   # only for the kernel's bookkeeping in V3
        sock.setsockopt(SOL_PACKET, PACKET_RX_RING, struct.pack(
            '=7I', block_size, blocks, frame, block_size // frame * blocks, retire_ms, 0, 0))
        self.sock = sock
        self.mm = mmap.mmap(sock.fileno(), block_size * blocks, mmap.MAP_SHARED,
                            mmap.PROT_READ | mmap.PROT_WRITE)
        self.block_size, self.blocks, self.cur = block_size, blocks, 0

    def block(self):
        mm, base = self.mm, self.cur * self.block_size
        status, num, off = _BLOCK_HDR.unpack_from(mm, base + _BLOCK_STATUS)
        if not status & TP_STATUS_USER:
            return None
        out = []
        p = base + off
        unpack = _FRAME_HDR.unpack_from
        for _ in range(num):
            nxt, sec, nsec, snap, _len, _st, mac = unpack(mm, p)
            out.append((mm[p + mac:p + mac + snap], sec * 1000000000 + nsec, mm[p + _PKTTYPE]))
            p += nxt
        struct.pack_into('=I', mm, base + _BLOCK_STATUS, TP_STATUS_KERNEL)
        self.cur = (self.cur + 1) % self.blocks
        return out

    def backlog(self):
        """Bytes of blocks filled and not yet taken: how far behind the
        reader is."""
        return self.block_size * sum(1 for i in range(self.blocks)
                   if struct.unpack_from('=I', self.mm, i * self.block_size + _BLOCK_STATUS)[0]
                   & TP_STATUS_USER)

    def stats(self):
        """(packets, drops) since the last call (the kernel resets them)."""
        return struct.unpack('=II', self.sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8))

    def close(self):
        self.mm.close()
