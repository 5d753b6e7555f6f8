"""Frames of the load kit: RTP packets, SRTP with pylibsrtp (Debian's
libsrtp2, not the gateway's code), Ethernet/IPv4/UDP headers and a classic
pcap writer (microsecond records, the only format Pktgen-DPDK reads)."""
import socket
import struct

# suite name (as in the op language) -> (master key + salt bytes, pylibsrtp profile)
SUITES = {
    'AES_CM_128_HMAC_SHA1_80': (30, 'SRTP_PROFILE_AES128_CM_SHA1_80'),
    'AES_CM_128_HMAC_SHA1_32': (30, 'SRTP_PROFILE_AES128_CM_SHA1_32'),
    'AEAD_AES_128_GCM': (28, 'SRTP_PROFILE_AEAD_AES_128_GCM'),
    'AEAD_AES_256_GCM': (44, 'SRTP_PROFILE_AEAD_AES_256_GCM'),
}
PLAIN = 'plain'
TAG = {'AES_CM_128_HMAC_SHA1_80': 10, 'AES_CM_128_HMAC_SHA1_32': 4,
       'AEAD_AES_128_GCM': 16, 'AEAD_AES_256_GCM': 16, PLAIN: 0}
FRAME_OVERHEAD = 14 + 20 + 8 + 12  # Ethernet, IPv4, UDP, RTP headers
MARK = b'SGWP'  # payloads start with MARK, the stream id and the packet's index
MARK_LEN = 12


def srtp_session(suite, key, outbound):
    """A pylibsrtp session for one stream (any SSRC)."""
    from pylibsrtp import Policy, Session
    return Session(policy=Policy(
        key=key, srtp_profile=getattr(Policy, SUITES[suite][1]),
        ssrc_type=Policy.SSRC_ANY_OUTBOUND if outbound else Policy.SSRC_ANY_INBOUND))


def rtp(seq, ts, ssrc, payload, pt=96):
    return struct.pack('!BBHII', 0x80, pt, seq & 0xffff, ts & 0xffffffff, ssrc) + payload


def payload(stream_id, index, size, filler):
    """MARK, stream id, packet index, then bytes of filler (a random block
    longer than any payload) from an offset that changes per packet."""
    head = MARK + struct.pack('!II', stream_id & 0xffffffff, index & 0xffffffff)
    off = (index * 7 + stream_id) % 64
    return head + filler[off:off + size - MARK_LEN]


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(':'))


def udp4_frame(dst_mac, src_mac, src_ip, dst_ip, sport, dport, data, ip_id):
    """An Ethernet/IPv4/UDP frame with valid IP and UDP checksums (DF set,
    TTL 64). MACs as bytes, addresses as dotted strings."""
    src, dst = socket.inet_aton(src_ip), socket.inet_aton(dst_ip)
    ulen = 8 + len(data)
    pseudo = src + dst + struct.pack('!BBH', 0, 17, ulen)
    udp = struct.pack('!HHHH', sport, dport, ulen, 0) + data
    ucs = checksum(pseudo + udp) or 0xffff
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + ulen, ip_id & 0xffff, 0x4000, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', checksum(ip)) + ip[12:]
    return dst_mac + src_mac + b'\x08\x00' + ip + udp[:6] + struct.pack('!H', ucs) + udp[8:]


class PcapWriter:
    """Classic pcap, little endian, microseconds, Ethernet link type."""

    def __init__(self, f, snaplen=65535):
        self.f = f
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, snaplen, 1))

    def write(self, t_us, frame):
        self.f.write(struct.pack('<IIII', t_us // 1000000, t_us % 1000000, len(frame), len(frame)))
        self.f.write(frame)


def read_pcap(path):
    """The frames of a classic pcap file (either byte order, us or ns)."""
    with open(path, 'rb') as f:
        head = f.read(24)
        if len(head) < 24:
            raise ValueError('%s: not a pcap file' % path)
        magic = struct.unpack('<I', head[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            order = '<'
        elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
            order = '>'
        else:
            raise ValueError('%s: not a classic pcap file' % path)
        frames = []
        while True:
            rec = f.read(16)
            if not rec:
                return frames
            if len(rec) < 16:
                raise ValueError('%s: truncated record' % path)
            incl = struct.unpack(order + 'IIII', rec)[2]
            data = f.read(incl)
            if len(data) < incl:
                raise ValueError('%s: truncated record' % path)
            frames.append(data)
