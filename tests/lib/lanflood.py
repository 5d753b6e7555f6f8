"""A host on the LAN flooding the gateway's slow path as fast as one
process can: ARP requests for the gateway's address and ICMP echo requests
to it, alternately, through a PACKET_TX_RING (a few hundred frames per
system call: the kernel, not Python, is the limit). Prints "ready", runs
until SIGTERM, then prints the number of frames it sent and exits.

    python3 lanflood.py IFACE SRC_MAC SRC_IP GW_MAC GW_IP
"""
import mmap
import signal
import socket
import struct
import sys

SOL_PACKET, PACKET_VERSION, PACKET_TX_RING, TPACKET_V2 = 263, 10, 13, 1
TP_STATUS_AVAILABLE, TP_STATUS_SEND_REQUEST = 0, 1
FRAME_SIZE, FRAMES = 2048, 512   # 2 frames per 4 KiB block
DATA_OFF = 32                     # TPACKET_ALIGN(sizeof(struct tpacket2_hdr))


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def mac(text):
    return bytes(int(x, 16) for x in text.split(':'))


def arp_request(src_mac, src_ip, target_ip):
    return (b'\xff' * 6 + src_mac + b'\x08\x06' +
            struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + src_mac + src_ip + bytes(6) + target_ip)


def icmp_echo(src_mac, src_ip, dst_mac, dst_ip, ident=0x5347, seq=1):
    body = b'srtpgw flood'
    icmp = struct.pack('!BBHHH', 8, 0, 0, ident, seq) + body
    icmp = icmp[:2] + struct.pack('!H', csum(icmp)) + icmp[4:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(icmp), 0, 0x4000, 64, 1, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return dst_mac + src_mac + b'\x08\x00' + ip + icmp


def main():
    iface, src_mac, src_ip, gw_mac, gw_ip = sys.argv[1:6]
    src_mac, gw_mac = mac(src_mac), mac(gw_mac)
    src_ip, gw_ip = socket.inet_aton(src_ip), socket.inet_aton(gw_ip)
    frames = [arp_request(src_mac, src_ip, gw_ip), icmp_echo(src_mac, src_ip, gw_mac, gw_ip)]
    frames = [f + bytes(max(0, 60 - len(f))) for f in frames]
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
    s.setsockopt(SOL_PACKET, PACKET_TX_RING, struct.pack('IIII', 4096, FRAMES // 2, FRAME_SIZE, FRAMES))
    s.bind((iface, 0))
    ring = mmap.mmap(s.fileno(), FRAMES * FRAME_SIZE)
    for i in range(FRAMES):
        f = frames[i % 2]
        off = (i // 2) * 4096 + (i % 2) * FRAME_SIZE
        struct.pack_into('II', ring, off, TP_STATUS_AVAILABLE, len(f))
        ring[off + DATA_OFF:off + DATA_OFF + len(f)] = f
    offs = [(i // 2) * 4096 + (i % 2) * FRAME_SIZE for i in range(FRAMES)]
    marked = [False] * FRAMES
    sent = 0

    def reap():
        """Count the frames the kernel has sent since they were marked."""
        nonlocal sent
        for i, off in enumerate(offs):
            if marked[i] and struct.unpack_from('I', ring, off)[0] == TP_STATUS_AVAILABLE:
                marked[i] = False
                sent += 1
    print('ready', flush=True)
    while not stop:
        reap()
        for i, off in enumerate(offs):
            if not marked[i] and struct.unpack_from('I', ring, off)[0] == TP_STATUS_AVAILABLE:
                struct.pack_into('I', ring, off, TP_STATUS_SEND_REQUEST)
                marked[i] = True
        try:
            s.send(b'')  # sends every frame marked, returns when they are out
        except OSError:  # ENOBUFS: the kernel had no room for some; they stay marked
            pass
    try:
        s.send(b'')  # what is still marked, if it can
    except OSError:
        pass
    reap()
    print(sent, flush=True)


if __name__ == '__main__':
    main()
