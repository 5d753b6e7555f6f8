"""Text of the files gen_pcap.py writes besides the pcap: the srtpgw
configuration (docs/config.md), the ops for `srtpgw-agentctl apply`
(docs/agentctl.md) and Pktgen-DPDK's command and Lua files."""
import base64
import ipaddress
import re

import frames

PORT_NAME = 'load'
PCI_RE = re.compile(r'^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$')


def device_kind(device):
    if device.startswith('net_memif'):
        return 'memif'
    if device.startswith('net_pcap'):
        return 'pcap'
    if PCI_RE.match(device):
        return 'pci'
    return 'vdev'


def srtpgw_eal(a):
    """The EAL arguments that give srtpgw the configured port (a hint in
    the configuration's header: EAL arguments never go into the file)."""
    kind = device_kind(a.device)
    lcores = "--lcores '0@0,%s'" % ','.join('%d@%d' % (w + 1, (w + 1) % 2) for w in range(a.workers))
    vdev = "--no-huge -m 512 --no-pci --file-prefix srtpgw %s" % lcores
    if kind == 'memif':
        return "%s --vdev %s,role=server,socket=%s,mac=%s" % (vdev, a.device, a.memif_socket, a.gw_mac)
    if kind == 'pcap':
        return ("%s --vdev '%s,rx_iface_in=IFACE,tx_iface=IFACE,tx_iface=IFACE'"
                % (vdev, a.device))
    if kind == 'pci':
        return '-l 0-%d -a %s' % (a.workers, a.device)
    return '%s --vdev %s,...' % (vdev, a.device)


def pktgen_eal(a, pcap_name, script):
    """Pktgen-DPDK's command line for the same port (memif: the client side)."""
    kind = device_kind(a.device)
    if kind == 'memif':
        eal = ("--lcores '0@1,1@0' --no-huge -m 2048 --no-pci --file-prefix pktgen "
               "--vdev net_memif0,role=client,socket=%s,mac=%s" % (a.memif_socket, a.src_mac))
    else:
        eal = '-l 0-1 -a PKTGEN_NIC'
    return "script -qc \"pktgen %s -- -P -m 1.0 -s 0:%s -f %s\" /dev/null" % (eal, pcap_name, script)


def neighbours(a):
    """(gateway4 or None, [(ip, mac)]): viewers on the gateway's link are
    static neighbours, the others go through --next-hop (a pcap or Pktgen
    answers no ARP)."""
    net = ipaddress.ip_interface(a.gw_ip).network
    on_link = sorted({ip for ip in a.viewer_ip if ipaddress.ip_address(ip) in net},
                     key=ipaddress.ip_address)
    neigh = [(ip, a.viewer_mac) for ip in on_link]
    if a.next_hop:
        neigh.append((a.next_hop, a.viewer_mac))
    return a.next_hop, neigh


def config(a, pcap_name, ops_name):
    gw4, neigh = neighbours(a)
    keys = ['name = "%s";' % PORT_NAME, 'device = "%s";' % a.device,
            'addresses = [ "%s" ];' % a.gw_ip]
    if a.workers > 1:
        keys.append('rx_queues = %d;' % a.workers)
    if gw4:
        keys.append('gateway4 = "%s";' % gw4)
    if neigh:
        keys.append('# Pktgen and pcaps answer no ARP: the viewers\' MAC is fixed')
        keys.append('neighbours = (\n%s\n    );' % ',\n'.join(
            '      { ip = "%s"; mac = "%s"; }' % n for n in neigh))
    workers = ',\n'.join('  { lcore = %d; queues = ( { port = "%s"; queue = %d; } ); }'
                         % (w + 1, PORT_NAME, w) for w in range(a.workers))
    return '\n'.join([
        '# srtpgw configuration for the flows of %s (scripts/pktgen/gen_pcap.py).' % pcap_name,
        '# Start:  srtpgw %s -- --config THIS_FILE' % srtpgw_eal(a),
        '# Then:   srtpgw-agentctl -s %s apply < %s' % (a.agent_socket, ops_name),
        '# See docs/load-testing.md.',
        'agent_socket = "%s";' % a.agent_socket,
        'mbufs = %d;' % a.mbufs,
        'idle_sleep_us = %d;' % a.idle_sleep_us,
        '',
        'ports = (',
        '  { ' + '\n    '.join(keys) + ' }',
        ');',
        '',
        'workers = (',
        workers,
        ');',
        ''])


def b64(key):
    return base64.b64encode(key).decode()


def crypto(suite, key):
    return 'plain' if suite == frames.PLAIN else 'suite=%s key=%s' % (suite, b64(key))


def ops(a, streams, pcap_name):
    """One transaction: every stream and its viewers. Holds every key."""
    gw = a.gw_ip.split('/')[0]
    out = ['# Streams and viewers of %s. THIS FILE HOLDS THE KEYS: keep it private.' % pcap_name,
           '# srtpgw-agentctl -s %s apply < THIS_FILE' % a.agent_socket]
    for s in streams:
        out.append('stream add %d owner=%d listen=%s:%d %s' % (
            s.id, s.owner, gw, s.listen_port, crypto(s.suite, s.key)))
        for v in s.viewers:
            out.append('viewer add %d stream=%d owner=%d to=%s:%d %s' % (
                v.id, s.id, s.owner, v.ip, v.port, crypto(v.suite, v.key)))
    return '\n'.join(out) + '\n'


def pktgen_pkt(a, pcap_name, count, rate, pps):
    """Pktgen command file: set up port 0 and start; the screen shows the rates."""
    return '\n'.join([
        '# Pktgen-DPDK commands (scripts/pktgen/gen_pcap.py): replay %s on port 0' % pcap_name,
        '# %s at %s%% of %d Mb/s (about %d packets/s).' % (
            'once' if count else 'forever', rate, a.link_mbps, pps),
        '# %s' % pktgen_eal(a, pcap_name, 'THIS_FILE'),
        'enable 0 pcap',
        'set 0 rate %s' % rate,
        'set 0 count %d' % count,
        'start 0',
        ''])


LUA = '''\
-- Pktgen-DPDK Lua script (scripts/pktgen/gen_pcap.py): replay {pcap} on
-- port 0 {times} at {rate}% of {link} Mb/s (about {pps} packets/s), print
-- the peak rates and the totals, then quit. Needs pktgen built with
-- -Denable_lua=true.
-- {cmd}
local port = "0"
local count = {count}         -- packets to send (0: forever)
local expect_rx = {expect}    -- what srtpgw sends back: each packet once per viewer

pktgen.pcap(port, "on")
pktgen.set(port, "rate", "{rate}")
pktgen.set(port, "count", count)
pktgen.clr()
pktgen.start(port)
local peak_tx, peak_rx, seconds = 0, 0, 0
pktgen.delay(1000)
while pktgen.isSending(port)[0] == "y" do
  local r = pktgen.portStats(port, "rate")[0]
  if r.pkts_tx > peak_tx then peak_tx = r.pkts_tx end
  if r.pkts_rx > peak_rx then peak_rx = r.pkts_rx end
  seconds = seconds + 1
  pktgen.delay(1000)
end
pktgen.delay(2000)  -- the last answers, and pktgen's once-a-second counters
local s = pktgen.portStats(port, "port")[0]
print(string.format("srtpgw-kit: %d s; peak tx %d pps, rx %d pps; sent %d, received %d (expected %d), rx missed %d",
  seconds, peak_tx, peak_rx, s.opackets, s.ipackets, expect_rx, s.imissed))
pktgen.quit()
'''


def pktgen_lua(a, pcap_name, count, rate, pps, expect_rx):
    return LUA.format(pcap=pcap_name, times='once' if count else 'forever', rate=rate,
                      link=a.link_mbps, pps=pps, count=count, expect=expect_rx,
                      cmd=pktgen_eal(a, pcap_name, 'THIS_FILE'))
