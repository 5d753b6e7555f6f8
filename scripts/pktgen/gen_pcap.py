#!/usr/bin/python3
"""Write a pcap of valid SRTP (and plain RTP) flows for Pktgen-DPDK to
replay at srtpgw, with the matching srtpgw configuration, the ops that
create the streams and viewers (srtpgw-agentctl apply) and Pktgen command
and Lua files. docs/load-testing.md says how to use them.

Files written into OUT (NAME is --name, default "flows"):
  NAME.pcap   the frames, streams interleaved round robin
  srtpgw.conf the gateway's configuration (one port, --workers workers)
  NAME.ops    stream and viewer ops, with every key (mode 0600)
  NAME.pkt    Pktgen commands: send the pcap on port 0 at the rate
  NAME.lua    Pktgen Lua: the same, then print rates and totals and quit

Keys come from os.urandom (--seed: from a seeded generator, for tests) and
are written only into NAME.ops. SRTP packets can be sent once: a second
pass is dropped by srtpgw as replays, so size the pcap for the run
(packets = rate x seconds); plain RTP streams can loop (--loops 0).
"""
import argparse
import ipaddress
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import emit  # noqa: E402
import flows  # noqa: E402
import frames  # noqa: E402

MAC_RE = re.compile(r'^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$')
MAX_PAYLOAD = 1500 - 20 - 8 - 12 - 16  # MTU - IPv4 - UDP - RTP - largest tag
PKTGEN_OVERHEAD = 24  # preamble, inter-frame gap and CRC: Pktgen's rate counts them
ALL_SUITES = list(frames.SUITES) + [frames.PLAIN]


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults in the help, but not the empty ones."""

    def _get_help_string(self, action):
        if action.default is None or action.required:
            return action.help
        return super()._get_help_string(action)


def parser():
    p = argparse.ArgumentParser(
        prog='gen_pcap.py', description=__doc__.split('\n\n')[0],
        epilog='Example: gen_pcap.py -o /tmp/load --streams 1000 --packets 3000 --viewers 2 '
               '--device net_memif0 --pps 200000',
        formatter_class=HelpFormatter)
    g = p.add_argument_group('flows')
    g.add_argument('-o', '--out', required=True, help='output directory (created if missing)')
    g.add_argument('--name', default='flows', help='base name of the pcap, ops, .pkt and .lua files')
    g.add_argument('--streams', type=int, default=100, help='number of streams (N)')
    g.add_argument('--packets', type=int, default=1000, help='packets per stream (P)')
    g.add_argument('--viewers', type=int, default=1, help='viewers per stream (V), each its own key')
    g.add_argument('--payload', type=int, default=160, help='RTP payload bytes (%d..%d)' % (
        frames.MARK_LEN, MAX_PAYLOAD))
    g.add_argument('--suite', default='AES_CM_128_HMAC_SHA1_80',
                   help='ingress suite, or a comma list used in turn per stream; one of %s' %
                   ', '.join(ALL_SUITES))
    g.add_argument('--viewer-suite', default='AES_CM_128_HMAC_SHA1_80',
                   help='egress suite, or a comma list used in turn per viewer')
    g.add_argument('--owners', type=int, default=1, help='owners the streams are spread over')
    g.add_argument('--first-owner', type=int, default=1, help='first owner number')
    g.add_argument('--first-id', type=int, default=1,
                   help='first stream id; viewer j of stream S gets id S*1000+j')
    g.add_argument('--seed', type=int,
                   help='reproducible keys and headers (tests only: the seed gives the keys away)')
    g = p.add_argument_group('addresses')
    g.add_argument('--gw-mac', help="the gateway port's MAC (frames' destination); "
                   'default for net_memif 02:53:47:57:00:01, set on its --vdev with mac=')
    g.add_argument('--gw-ip', default='10.0.0.1/24', help="the gateway port's address/prefix")
    g.add_argument('--gw-port', type=int, default=20000, help='listen port of the first stream; +1 per stream')
    g.add_argument('--src-mac', default='02:53:47:57:00:02', help="the sender's MAC (Pktgen's port)")
    g.add_argument('--src-ip', default='10.0.0.2', help="the sender's address")
    g.add_argument('--src-port', type=int, default=40000, help='source port of the first stream; +1 per stream')
    g.add_argument('--viewer-ip', action='append',
                   help='a viewer address (repeat for several: viewers use them in turn); default --src-ip')
    g.add_argument('--viewer-port', type=int, default=50000,
                   help='first viewer port; +1 per viewer (per round over the addresses)')
    g.add_argument('--viewer-mac', help='MAC the gateway sends viewers\' packets to (default --src-mac)')
    g.add_argument('--next-hop', help='next hop for viewer addresses outside the gateway\'s prefix')
    g = p.add_argument_group('srtpgw')
    g.add_argument('--device', default='net_memif0',
                   help='DPDK device of the port: net_memif0, net_pcap0, a PCI address (0000:01:00.0)')
    g.add_argument('--workers', type=int, default=1, help='worker lcores (one RX queue each)')
    g.add_argument('--agent-socket', default='/run/srtpgw/agent.sock', help="the gateway's agent socket")
    g.add_argument('--memif-socket', default='/run/srtpgw-memif.sock', help='net_memif socket name')
    g.add_argument('--mbufs', type=int, default=16383, help='mbuf pool size')
    g.add_argument('--idle-sleep-us', type=int,
                   help='workers\' idle sleep (default 0 = busy poll for a PCI NIC, 100 for vdevs)')
    g = p.add_argument_group('pktgen')
    g.add_argument('--pps', type=int, default=100000, help='send rate in packets/s (sets Pktgen\'s rate %%)')
    g.add_argument('--link-mbps', type=int,
                   help="the link speed Pktgen computes its rate from (default: 100000 for net_memif, "
                   "which reports 100G, else 10000)")
    g.add_argument('--loops', type=int, default=1,
                   help='passes over the pcap (0 = forever); more than one only if every stream is plain')
    return p


def check(p, a):
    """Validate a (fills defaults); p.error() exits 2 with one line."""
    def mac(name, v, unicast=True):
        if not MAC_RE.match(v or ''):
            p.error('%s: %r is not a MAC address (xx:xx:xx:xx:xx:xx)' % (name, v))
        if unicast and (int(v[:2], 16) & 1 or v.replace(':', '').strip('0') == ''):
            p.error('%s: %s is not a unicast MAC' % (name, v))

    def ip4(name, v):
        try:
            return ipaddress.IPv4Address(v)
        except ValueError:
            p.error('%s: %r is not an IPv4 address' % (name, v))

    def port_range(name, first, n):
        if not 1 <= first or first + n - 1 > 65535:
            p.error('%s: ports %d..%d do not fit in 1..65535' % (name, first, first + n - 1))

    def suites(name, v):
        out = [s.strip() for s in v.split(',')]
        for s in out:
            if s not in ALL_SUITES:
                p.error('%s: unknown suite %r (one of %s)' % (name, s, ', '.join(ALL_SUITES)))
        return out

    for name, v, lo, hi in (('--streams', a.streams, 1, 65535), ('--packets', a.packets, 1, 1 << 24),
                            ('--viewers', a.viewers, 0, 256), ('--payload', a.payload, frames.MARK_LEN,
                                                               MAX_PAYLOAD),
                            ('--owners', a.owners, 1, 1 << 31), ('--workers', a.workers, 1, 32),
                            ('--pps', a.pps, 1, 1 << 32),
                            ('--loops', a.loops, 0, 1 << 16), ('--mbufs', a.mbufs, 1023, 4194303),
                            ('--first-id', a.first_id, 1, (1 << 63) // 1000 - 1 - a.streams),
                            ('--first-owner', a.first_owner, 1, (1 << 32) - 1 - a.owners)):
        if not lo <= v <= hi:
            p.error('%s: %d is not in %d..%d' % (name, v, lo, hi))
    if a.streams * a.packets * max(a.loops, 1) >= 1 << 32:
        p.error('--streams x --packets: more than Pktgen can count (2^32)')
    a.suite = suites('--suite', a.suite)
    a.viewer_suite = suites('--viewer-suite', a.viewer_suite)
    if a.loops != 1 and any(s != frames.PLAIN for s in a.suite[:a.streams]):
        p.error('--loops %d: SRTP packets sent a second time are dropped as replays; '
                'use --loops 1 (size the pcap for the run) or --suite plain' % a.loops)
    if not re.match(r'^[A-Za-z0-9_.-]{1,64}$', a.name):
        p.error('--name: use 1..64 letters, digits, "_", "-" or "."')
    if not a.device or len(a.device) > 127 or re.search(r'[\s,"]', a.device):
        p.error('--device: %r is not a DPDK device name' % a.device)
    kind = emit.device_kind(a.device)
    if a.gw_mac is None:
        if kind != 'memif':
            p.error('--gw-mac is required for %s (the MAC of the gateway\'s port)' % a.device)
        a.gw_mac = '02:53:47:57:00:01'
    mac('--gw-mac', a.gw_mac)
    mac('--src-mac', a.src_mac, unicast=False)
    a.viewer_mac = a.viewer_mac or a.src_mac
    mac('--viewer-mac', a.viewer_mac)
    try:
        gw = ipaddress.IPv4Interface(a.gw_ip if '/' in a.gw_ip else a.gw_ip + '/24')
    except ValueError:
        p.error('--gw-ip: %r is not an IPv4 address/prefix' % a.gw_ip)
    a.gw_ip = str(gw)
    ip4('--src-ip', a.src_ip)
    a.viewer_ip = a.viewer_ip or [a.src_ip]
    off_link = [v for v in a.viewer_ip if ip4('--viewer-ip', v) not in gw.network]
    if any(ipaddress.IPv4Address(v) == gw.ip for v in a.viewer_ip):
        p.error('--viewer-ip: %s is the gateway\'s own address' % gw.ip)
    if a.next_hop:
        if ip4('--next-hop', a.next_hop) not in gw.network or ipaddress.IPv4Address(a.next_hop) == gw.ip:
            p.error('--next-hop: %s is not another host in %s' % (a.next_hop, gw.network))
    elif off_link:
        p.error('--viewer-ip %s is outside %s: give --next-hop' % (off_link[0], gw.network))
    if len(set(a.viewer_ip) - set(off_link)) + bool(a.next_hop) > 64:
        p.error('--viewer-ip: more than 64 static neighbours; put viewers behind --next-hop')
    port_range('--gw-port', a.gw_port, a.streams)
    port_range('--src-port', a.src_port, a.streams)
    n_views = a.streams * a.viewers
    port_range('--viewer-port', a.viewer_port, (n_views + len(a.viewer_ip) - 1) // len(a.viewer_ip))
    if kind == 'pcap' and a.workers != 1:
        p.error('--workers: net_pcap has one RX queue per rx_iface argument; use --workers 1')
    if len(a.agent_socket) > 107 or not a.agent_socket:
        p.error('--agent-socket: 1..107 bytes')
    if a.link_mbps is None:
        a.link_mbps = 100000 if kind == 'memif' else 10000
    if not 1 <= a.link_mbps <= 1 << 20:
        p.error('--link-mbps: %d is not in 1..%d' % (a.link_mbps, 1 << 20))
    if a.idle_sleep_us is None:
        a.idle_sleep_us = 0 if kind == 'pci' else 100
    if not 0 <= a.idle_sleep_us <= 100000:
        p.error('--idle-sleep-us: %d is not in 0..100000' % a.idle_sleep_us)


def write_private(path, text):
    """Write text to path with mode 0600 from the start (the keys are
    never readable by others, not even for a moment)."""
    tmp = path + '.tmp'
    if os.path.lexists(tmp):
        os.unlink(tmp)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def write_text(path, text):
    with open(path + '.tmp', 'w') as f:
        f.write(text)
    os.replace(path + '.tmp', path)


def write_pcap(path, a, streams, rand):
    """The frames, timed at --pps; returns (packets, bytes of frames)."""
    gw_mac, src_mac = frames.mac_bytes(a.gw_mac), frames.mac_bytes(a.src_mac)
    gw_ip = a.gw_ip.split('/')[0]
    n = total = 0
    with open(path + '.tmp', 'wb') as f:
        w = frames.PcapWriter(f)
        for s, data in flows.packets(streams, a.packets, a.payload, rand):
            frame = frames.udp4_frame(gw_mac, src_mac, a.src_ip, gw_ip, s.src_port, s.listen_port, data, n)
            w.write(n * 1000000 // a.pps, frame)
            n += 1
            total += len(frame)
    os.replace(path + '.tmp', path)
    return n, total


def main(argv=None):
    p = parser()
    a = p.parse_args(argv)
    check(p, a)
    rand = flows.Rand(a.seed)
    streams = flows.plan(a, rand)
    # Pktgen's rate is a percentage of the link: frames plus overhead
    avg = sum(max(frames.FRAME_OVERHEAD + a.payload + frames.TAG[s.suite], 60)
              for s in streams) / len(streams) + PKTGEN_OVERHEAD
    rate = a.pps * avg * 8 / (a.link_mbps * 1e6) * 100
    if rate > 100:
        p.error('--pps %d needs %.1f%% of a %d Mb/s link' % (a.pps, rate, a.link_mbps))
    rate = '%.4f' % max(rate, 0.0001)
    try:
        os.makedirs(a.out, exist_ok=True)
        pcap_name = a.name + '.pcap'
        pcap = os.path.join(a.out, pcap_name)
        n, nbytes = write_pcap(pcap, a, streams, rand)
        count = n * a.loops
        expect_rx = a.packets * a.viewers * a.streams * a.loops
        ops_name = a.name + '.ops'
        write_private(os.path.join(a.out, ops_name), emit.ops(a, streams, pcap_name))
        write_text(os.path.join(a.out, 'srtpgw.conf'), emit.config(a, pcap_name, ops_name))
        write_text(os.path.join(a.out, a.name + '.pkt'), emit.pktgen_pkt(a, pcap_name, count, rate, a.pps))
        write_text(os.path.join(a.out, a.name + '.lua'),
                   emit.pktgen_lua(a, pcap_name, count, rate, a.pps, expect_rx))
    except OSError as e:
        print('gen_pcap.py: %s: %s' % (e.filename or a.out, e.strerror), file=sys.stderr)
        return 1
    print('%s: %d packets (%d streams x %d, %d viewers each), %d bytes, %.1f s at %d packets/s '
          '(Pktgen rate %s%%)' % (pcap, n, a.streams, a.packets, a.viewers, nbytes, n / a.pps, a.pps, rate))
    print('srtpgw: %s; ops (keys, mode 0600): %s; Pktgen: %s, %s' % (
        os.path.join(a.out, 'srtpgw.conf'), os.path.join(a.out, ops_name),
        os.path.join(a.out, a.name + '.pkt'), os.path.join(a.out, a.name + '.lua')))
    return 0


if __name__ == '__main__':
    sys.exit(main())
