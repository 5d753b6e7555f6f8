"""A pcap file replayed by net_pcap itself (rx_pcap=), with the streams and
viewers installed by srtpgw --ops before the port starts and the port's
MAC from the config (`mac`): no interface, no tcpreplay, no namespace.

The file (scapy, SRTP protected with pylibsrtp under each stream's key):
P packets of each of three streams of two owners (one of them granted to
the other owner too), round robin, and frames that must be dropped: to a
port with no stream (drop_no_flow), with a broken auth tag
(drop_srtp_auth), to another MAC (drop_l2_not_us). Once the gateway has
received every frame of the file (its counters, through srtpgw-agentctl)
and sent what it owes, it is stopped with SIGTERM and its tx_pcap= file
read: every viewer got its stream's packets exactly once, in order,
decrypting with its own key to the camera's RTP, from the stream's listen
address and the configured MAC to the viewer's static neighbour MAC;
nothing else was sent, by the workers or the agent thread; the counters
are exact. Needs no root (the gateway runs as whoever runs the test).
"""
import base64
import os
import random
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (Gateway, Resources, counter_deltas, marked_payload, new_key, rtp,  # noqa: E402
                     run, srtp_session, wait_for)

from scapy.all import IP, UDP, Ether, rdpcap, wrpcap  # noqa: E402

GW_MAC, CAM_MAC, OTHER_MAC = '02:00:00:00:00:01', '02:00:00:00:00:05', '02:00:00:00:00:99'
GW4, CAM4 = '10.0.0.1', '10.0.0.5'
P = 20  # packets per stream
NEIGH = {'10.0.0.20': '02:00:00:00:00:20', '10.0.0.21': '02:00:00:00:00:21',
         '10.0.0.22': '02:00:00:00:00:22'}
# stream id: (owner, listen port, suite, SSRC)
STREAMS = {1: (7, 5000, 'AES_CM_128_HMAC_SHA1_80', 0x11110001),
           2: (7, 5002, 'AEAD_AES_128_GCM', 0x11110002),
           3: (8, 5004, 'AES_CM_128_HMAC_SHA1_32', 0x11110003)}
GRANTS = [(3, 7)]
# viewer id: (stream, owner, destination, suite)
VIEWERS = {10: (1, 7, ('10.0.0.20', 6000), 'AEAD_AES_256_GCM'),
           11: (1, 7, ('10.0.0.20', 6001), 'AES_CM_128_HMAC_SHA1_80'),
           20: (2, 7, ('10.0.0.21', 6000), 'AES_CM_128_HMAC_SHA1_32'),
           30: (3, 8, ('10.0.0.21', 6002), 'AEAD_AES_128_GCM'),
           31: (3, 7, ('10.0.0.22', 6000), 'AES_CM_128_HMAC_SHA1_80')}
N_NO_FLOW, N_BAD_TAG, N_OTHER_MAC = 5, 4, 3


def frame(dst_mac, sport, dport, data):
    return Ether(src=CAM_MAC, dst=dst_mac) / IP(src=CAM4, dst=GW4) / UDP(sport=sport, dport=dport) / data


class PcapReplay(unittest.TestCase):

    def setUp(self):
        self.res = Resources()
        self.addCleanup(self.res.cleanup)
        self.dir = tempfile.mkdtemp(prefix='srtpgw-replay-')
        self.res.add(run, 'rm', '-rf', self.dir)
        self.rng = random.Random(int.from_bytes(os.urandom(4), 'big'))
        self.skeys = {sid: new_key(s[2]) for sid, s in STREAMS.items()}
        self.vkeys = {vid: new_key(v[3]) for vid, v in VIEWERS.items()}

    def write_ops(self):
        lines = []
        for sid, (owner, port, suite, _) in STREAMS.items():
            lines.append('stream add %d owner=%d listen=%s:%d source=%s suite=%s key=%s'
                         % (sid, owner, GW4, port, CAM4, suite, base64.b64encode(self.skeys[sid]).decode()))
        lines += ['grant add %d owner=%d' % g for g in GRANTS]
        for vid, (sid, owner, to, suite) in VIEWERS.items():
            lines.append('viewer add %d stream=%d owner=%d to=%s:%d suite=%s key=%s'
                         % (vid, sid, owner, to[0], to[1], suite, base64.b64encode(self.vkeys[vid]).decode()))
        path = os.path.join(self.dir, 'flows.ops')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write('# streams and viewers of the replay, installed before the port starts\n')
            f.write('\n'.join(lines) + '\n')
        return path

    def write_pcap(self):
        """The input file; returns {stream id: [RTP sent]} and the frame count."""
        sent = {sid: [] for sid in STREAMS}
        tx = {sid: srtp_session(s[2], self.skeys[sid], outbound=True) for sid, s in STREAMS.items()}
        seq0 = {sid: self.rng.randrange(0x10000) for sid in STREAMS}

        def packet(sid, i):
            return rtp(seq0[sid] + i, ts=3000 * i, ssrc=STREAMS[sid][3], payload=marked_payload(sid, i, 120))

        frames = []
        for i in range(P):
            for sid in STREAMS:
                pkt = packet(sid, i)
                sent[sid].append(pkt)
                frames.append(frame(GW_MAC, 40000 + sid, STREAMS[sid][1], tx[sid].protect(pkt)))
        drops = []
        # a port no stream listens on: valid SRTP of stream 1's key
        for i in range(N_NO_FLOW):
            drops.append(frame(GW_MAC, 40001, 5999, tx[1].protect(packet(1, P + i))))
        # stream 1, indices never used otherwise, the last byte of the tag flipped
        for i in range(N_BAD_TAG):
            data = bytearray(tx[1].protect(packet(1, P + N_NO_FLOW + i)))
            data[-1] ^= 0x5a
            drops.append(frame(GW_MAC, 40001, STREAMS[1][1], bytes(data)))
        # stream 2's port, fresh indices, but addressed to another MAC
        for i in range(N_OTHER_MAC):
            drops.append(frame(OTHER_MAC, 40002, STREAMS[2][1], tx[2].protect(packet(2, P + i))))
        for d in drops:  # anywhere after the first round
            frames.insert(self.rng.randrange(len(STREAMS), len(frames) + 1), d)
        wrpcap(os.path.join(self.dir, 'in.pcap'), frames)
        return sent, len(frames)

    def gateway(self, ops):
        """srtpgw on net_pcap: the file in, the worker's queue and the agent
        thread's each to a file of their own; --no-huge and its own
        --file-prefix (the fixture's EAL arguments)."""
        pcap = 'net_pcap0,rx_pcap=%s,tx_pcap=%s,tx_pcap=%s' % tuple(
            os.path.join(self.dir, n) for n in ('in.pcap', 'out.pcap', 'out-agent.pcap'))
        return Gateway(self.res, ports=[{
            'name': 'p0', 'device': 'net_pcap0', 'vdev': pcap, 'addresses': [GW4 + '/24'],
            'neighbours': sorted(NEIGH.items()), 'extra': 'mac = "%s"' % GW_MAC}],
            workers=[[('p0', 0)]], args=['--ops', ops])

    def test_file_replay_exact(self):
        sent, n_frames = self.write_pcap()
        self.assertEqual(n_frames, len(STREAMS) * P + N_NO_FLOW + N_BAD_TAG + N_OTHER_MAC)
        ops = self.write_ops()
        gw = self.gateway(ops).start()
        n_out = P * len(VIEWERS)
        want = {'rx': n_frames, 'forwarded': len(STREAMS) * P, 'tx': n_out,
                'drop_no_flow': N_NO_FLOW, 'drop_srtp_auth': N_BAD_TAG, 'drop_l2_not_us': N_OTHER_MAC}

        wait_for(lambda: gw.counters().get('rx', 0) == n_frames, 30, 'rx = the %d frames of the file' % n_frames)
        try:  # what the worker owes goes out in the same poll, or the next
            wait_for(lambda: gw.counters().get('tx', 0) >= n_out, 5, 'tx = %d' % n_out)
        except AssertionError:
            pass  # the exact comparison below says what happened instead
        counters = gw.counters()
        self.assertEqual(counter_deltas({}, counters), want)
        st = gw.streams()
        self.assertEqual({sid: (s['packets'], s['auth_fail'], s['replay_fail']) for sid, s in st.items()},
                         {1: (P, N_BAD_TAG, 0), 2: (P, 0, 0), 3: (P, 0, 0)})
        vst = gw.viewers()
        self.assertEqual({vid: (v['packets'], v['drops']) for vid, v in vst.items()},
                         {vid: (P, 0) for vid in VIEWERS})
        self.assertNotIn(base64.b64encode(self.skeys[1]).decode(), gw.read_log())
        rc = gw.stop()
        self.assertEqual(rc, 0, gw.read_log())
        self.assertIn('net_pcap cannot set its MAC address', gw.read_log())

        # what the gateway wrote: the worker's queue, then the agent thread's
        out = rdpcap(os.path.join(self.dir, 'out.pcap'))
        self.assertEqual(len(rdpcap(os.path.join(self.dir, 'out-agent.pcap'))), 0)
        self.assertEqual(len(out), n_out)
        by_dest = {v[2]: vid for vid, v in VIEWERS.items()}
        got = {vid: [] for vid in VIEWERS}
        for f in out:
            ip, udp = f[IP], f[UDP]
            vid = by_dest.get((ip.dst, udp.dport))
            self.assertIsNotNone(vid, 'a frame to %s:%d, no viewer' % (ip.dst, udp.dport))
            sid = VIEWERS[vid][0]
            self.assertEqual((f[Ether].src, f[Ether].dst), (GW_MAC, NEIGH[ip.dst]))
            self.assertEqual((ip.src, udp.sport), (GW4, STREAMS[sid][1]))
            got[vid].append(bytes(udp.payload))
        for vid, (sid, _, _, suite) in VIEWERS.items():
            rx = srtp_session(suite, self.vkeys[vid], outbound=False)
            self.assertEqual([rx.unprotect(d) for d in got[vid]], sent[sid], 'viewer %d' % vid)
            # and under no other viewer's key
            for other, (_, _, _, osuite) in VIEWERS.items():
                if other != vid:
                    orx = srtp_session(osuite, self.vkeys[other], outbound=False)
                    with self.assertRaises(Exception):
                        orx.unprotect(got[vid][0])


if __name__ == '__main__':
    unittest.main(verbosity=2)
