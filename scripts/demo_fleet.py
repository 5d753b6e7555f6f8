"""srtpgw's fleet demo (scripts/demo --fleet, issue 14): three gateways,
each srtpgw with its srtpgw-control, sharing their state in a 3-member etcd
(tests/lib/fleet_net.py: one bridge, namespaces, service addresses
10.96.0.200 and on). Two owners, alice and bob, each with a camera (ffmpeg
sending VP8 as SRTP to its stream's service address) and a viewer (ffmpeg
decoding its own key's SRTP to PNG files), all in the hosts namespace.

The streams are placed on two gateways; once the viewers have decoded a
while, the gateway carrying alice's camera is killed (kill -9 of its
srtpgw). Its controller revokes its lease, another gateway takes the
stream and announces its address, and the camera goes on sending to the
same address. Printed: the fleet's status before and after, the new
placement, and how long each viewer's packets (a tap beside the viewers)
and decoded frames (the PNG files' times) stopped. Saved: each viewer's
last frame before the kill and its last frame after, as
OUT/fleet-<owner>-before.png and -after.png.

Fails (exit 1) unless every stream of the killed gateway went on from
another gateway, every viewer decoded frames after the kill, none of
another camera's, and its before and after frames show its owner's camera.
"""
import base64
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lib'))
from sgwtest import SRTPGWCTL, CtlError, Resources, wait_for  # noqa: E402
from fleet_net import FleetNet  # noqa: E402
import media  # noqa: E402
from demo_common import (RATE, SIZE, OutputInUse, camera_file, lock_output, say, start_camera,  # noqa: E402
                         start_viewer, whose_picture)

# owner id -> (name, camera source, the viewer's port); stream k of them
# listens on service address k, port PORT
OWNERS = {1: ('alice', 'testsrc', 6000), 2: ('bob', 'smptebars', 6002)}
PORT = 5004
KILLED = 1  # whose camera's gateway is killed
MIN_SECONDS = 6
NAMES = {o: n for o, (n, _, _) in OWNERS.items()}


class Tap:
    """The UDP packets to some (address, port) in a namespace, as (arrival
    time, RTP sequence number): an AF_PACKET socket on its eth0, beside
    the viewers (it takes nothing from them)."""

    def __init__(self, ns, dests):
        self.dests = set(dests)
        self.got = {d: [] for d in dests}
        with ns.inside():
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
            self.sock.bind(('eth0', 0x0800))
        self.sock.settimeout(0.1)
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_ev.set()
        self.thread.join(5)
        self.sock.close()

    def _run(self):
        while not self.stop_ev.is_set():
            try:
                pkt, addr = self.sock.recvfrom(2048)
            except socket.timeout:
                continue
            now = time.time()
            if addr[2] == socket.PACKET_OUTGOING or len(pkt) < 28 or pkt[9] != 17:
                continue
            ihl = (pkt[0] & 15) * 4
            d = (socket.inet_ntoa(pkt[16:20]), struct.unpack('!H', pkt[ihl + 2:ihl + 4])[0])
            if d in self.dests and len(pkt) >= ihl + 8 + 12:
                self.got[d].append((now, struct.unpack('!H', pkt[ihl + 10:ihl + 12])[0]))

    def times(self, d):
        return [t for t, _ in list(self.got[d])]

    def seq_jump(self, d, t):
        """How far the sequence numbers jumped from the last packet before
        t to the first after (mod 2^16), or None."""
        got = list(self.got[d])
        before = [q for x, q in got if x <= t]
        after = [q for x, q in got if x > t]
        return (after[0] - before[-1]) % 65536 if before and after else None


def longest_stop(times, t):
    """The longest silence in a sorted list of arrival times that began at
    or after the last arrival before t: (seconds, when it ended); (None,
    None) if nothing arrived after t."""
    before = [x for x in times if x <= t]
    after = [x for x in times if x > t]
    if not after:
        return None, None
    prev, worst, end = (before[-1] if before else t), 0.0, after[0]
    for x in after:
        if x - prev > worst:
            worst, end = x - prev, x
        prev = x
    return worst, end


def ms(s):
    return 'never resumed' if s is None else '%.0f ms' % (s * 1000)


def frame_times(frames_dir):
    """[(time written, path)] of a viewer's PNG files, in order."""
    files = sorted(f for f in os.listdir(frames_dir) if f.endswith('.png'))
    return [(os.stat(os.path.join(frames_dir, f)).st_mtime, os.path.join(frames_dir, f)) for f in files]


def placements(net, i):
    """{stream: gateway or None} as gateway i's controller sees them."""
    return {p['stream']: p.get('gateway') for p in net.ctl(i).ctl('fleet', 'status')['placements']}


def show_status(net, i):
    """srtpgwctl fleet status on gateway i's controller, as people read it."""
    r = subprocess.run([SRTPGWCTL, '--socket', net.ctl(i).sock, 'fleet', 'status'], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=30)
    for line in r.stdout.rstrip().splitlines():
        say('    ' + line)


def run(seconds, out):
    if seconds < MIN_SECONDS:
        print('demo --fleet: --seconds must be at least %d (a kill, a failover, and video after it)'
              % MIN_SECONDS, file=sys.stderr)
        return 2
    try:
        lock = lock_output(out, ['fleet-%s-%s.png' % (n, w) for n in NAMES.values() for w in ('before', 'after')])
    except OutputInUse as e:
        print('demo: %s' % e, file=sys.stderr)
        return 1
    res = Resources()
    try:
        return fleet_demo(res, seconds, out)
    except KeyboardInterrupt:
        say('== interrupted: everything the demo made is removed')
        return 130
    except (AssertionError, CtlError) as e:  # a wait that timed out, a command refused
        say('== FAILED: %s' % e)
        return 1
    finally:
        res.cleanup()
        lock.close()


def fleet_demo(res, seconds, out):
    work = tempfile.mkdtemp(prefix='srtpgw-demo-fleet-')
    res.add(shutil.rmtree, work, ignore_errors=True)
    say('== the cameras\' VP8, %d s (%s)' % (seconds, ', '.join(
        'cam-%s: %s' % (n, s) for n, s, _ in OWNERS.values())))
    ivfs, refs = {}, {}
    for owner, (name, src, _) in OWNERS.items():
        ivfs[owner], refs[owner] = camera_file(work, name, src, seconds)

    t = time.monotonic()
    say('== a fleet: 3 etcd members, 3 gateways (srtpgw on net_af_packet + srtpgw-control, store = "etcd", '
        '1 s leases) on one bridge')
    net = FleetNet(res, gateways=3, etcd_members=3, ttl=1, service_addrs=len(OWNERS))
    say('  up in %.1f s: %s' % (time.monotonic() - t, ', '.join(
        '%s at %s' % (net.name(i), net.gw_addr(i)) for i in range(net.n))))
    c = net.ctl(0)
    keys, viewer_at, stream_addr = {}, {}, {}
    for k, (owner, (name, _, vport)) in enumerate(OWNERS.items()):
        stream_addr[owner] = net.service[k]
        c.ctl('owner', 'add', name)
        r = c.ctl('stream', 'add', 'cam-' + name, '--owner', name, '--listen', '%s:%d' % (net.service[k], PORT),
                  '--codec', 'VP8', '--pt', str(media.VP8_PT))
        keys['cam-' + name] = base64.b64decode(r['key'])
        viewer_at[owner] = (net.add_host_addr(), vport)
        r = c.ctl('viewer', 'add', name + '-tv', '--stream', 'cam-' + name, '--to', '%s:%d' % viewer_at[owner])
        keys[name + '-tv'] = base64.b64decode(r['key'])
        say('  $ srtpgwctl owner add %s; srtpgwctl stream add cam-%s --owner %s --listen %s:%d --codec VP8 '
            '--pt %d; srtpgwctl viewer add %s-tv --stream cam-%s --to %s:%d' % ((
                name, name, name, net.service[k], PORT, media.VP8_PT, name, name) + viewer_at[owner]))
    say('  (on %s\'s controller; the others see the changes through etcd)' % net.name(0))
    wait_for(lambda: None not in placements(net, 0).values() and len(placements(net, 0)) == len(OWNERS), 15,
             'every stream placed', interval=0.05)
    say('== srtpgwctl fleet status')
    show_status(net, 0)
    pl = placements(net, 0)
    for owner, name in NAMES.items():
        say('  cam-%s (%s:%d) is on %s' % (name, stream_addr[owner], PORT, pl['cam-' + name]))

    say('== %d s of video: %s; a viewer each in the hosts namespace' % (seconds, ', '.join(
        'cam-%s sends %s' % (n, s) for n, s, _ in OWNERS.values())))
    tap = Tap(net.hosts, viewer_at.values()).start()
    res.add(tap.stop)
    viewers, frames_dir = {}, {}
    for owner, (name, _, vport) in OWNERS.items():
        viewers[owner], frames_dir[owner] = start_viewer(
            res, net.hosts, work, name + '-tv', stream_addr[owner], vport, keys[name + '-tv'], RATE * seconds)
    t_cams = time.time()
    cams = [start_camera(res, net.hosts, ivfs[owner], keys['cam-' + name], stream_addr[owner], PORT)
            for owner, (name, _, _) in OWNERS.items()]
    # the kill: a third of the way in, once every viewer decoded a second
    wait_for(lambda: all(len(frame_times(d)) >= RATE for d in frames_dir.values()), seconds + 10,
             'every viewer to decode a second of video', interval=0.05)
    time.sleep(max(0.0, t_cams + seconds / 3 - time.time()))

    victim_name = pl['cam-' + NAMES[KILLED]]
    victim = next(i for i in range(net.n) if net.name(i) == victim_name)
    moving = sorted(s for s, g in pl.items() if g == victim_name)
    other = next(i for i in range(net.n) if i != victim)
    say('== killing gateway %s (the one carrying cam-%s): kill -9 of its srtpgw, pid %d' % (
        victim_name, NAMES[KILLED], net.gw(victim).proc.pid))
    t_kill = time.time()
    net.kill_gateway(victim)
    now = {}

    def moved():
        now.update(placements(net, other))
        return all(now.get(s) not in (None, victim_name) for s in moving)
    wait_for(moved, 10, 'the streams of %s placed on another gateway' % victim_name, interval=0.02)
    t_placed = time.time()
    for s in moving:
        say('  %s placed on %s (seen %.0f ms after the kill)' % (s, now[s], (t_placed - t_kill) * 1000))

    def resumed(owner):
        return (max(tap.times(viewer_at[owner]), default=0) > t_placed and
                max(frame_times(frames_dir[owner]), default=(0,))[0] > t_placed)
    for owner, name in NAMES.items():
        wait_for(lambda: resumed(owner), 10, '%s-tv to get packets and decode frames again' % name, interval=0.05)
    say('== srtpgwctl fleet status (asked on %s)' % net.name(other))
    show_status(net, other)

    for cam in cams:
        media.stop(cam, seconds + 20)
    # a viewer stopped writes the frames its decoder held at once: not
    # frames that came late
    t_end = time.time()
    for p in viewers.values():
        media.stop(p, 3)
    tap.stop()

    say('== what each viewer got (at the viewer: the tap\'s packets, the decoded frames\' times)')
    ok = True
    ref_frames = {o: set(f) for o, f in refs.items()}
    for owner, name in NAMES.items():
        on = now.get('cam-' + name)
        pkt_stop, _ = longest_stop(tap.times(viewer_at[owner]), t_kill)
        ft = frame_times(frames_dir[owner])
        frm_stop, _ = longest_stop([x for x, _ in ft if x <= t_end], t_kill)
        if 'cam-%s' % name in moving:
            say('  cam-%s: on %s now, was on %s; %s-tv\'s packets stopped for %s, its frames for %s' % (
                name, on, victim_name, name, ms(pkt_stop), ms(frm_stop)))
            if on in (None, victim_name):
                ok = False
                say('!! cam-%s did not go on from another gateway' % name)
            jump = tap.seq_jump(viewer_at[owner], t_kill)
            with open(os.path.join(work, name + '-tv.log')) as f:
                bad = [re.sub(r'^\[\S+ @ 0x[0-9a-f]+\] ', '', line.strip()) for line in f if 'bad cseq' in line]
            say('    its RTP sequence numbers jumped by %s (%s sends from its own index reservation)%s' % (
                jump, on, '; ffmpeg: "%s"' % bad[0] if bad else ''))
        else:
            say('  cam-%s: on %s throughout; %s-tv\'s longest pause after the kill: packets %s, frames %s'
                % (name, on, name, ms(pkt_stop), ms(frm_stop)))
        got = media.rgb_frames(os.path.join(frames_dir[owner], '%04d.png'), SIZE)
        own = sum(f in ref_frames[owner] for f in got)
        others = sum(f in ref_frames[o] for f in got for o in OWNERS if o != owner)
        say('  %s-tv: %d frames decoded: %d exactly cam-%s\'s, %d of another camera' % (
            name, len(got), own, name, others))
        ok &= others == 0
        before = [p for x, p in ft if x <= t_kill]
        after = [p for x, p in ft if x > t_placed]
        for when, picks in (('before', before), ('after', after)):
            if not picks:
                say('!! %s-tv decoded no frame %s the kill' % (name, when))
                ok = False
                continue
            dest = os.path.join(out, 'fleet-%s-%s.png' % (name, when))
            shutil.copy(picks[-1], dest)
            who, score = whose_picture(dest, refs)
            good = who == owner
            ok &= good
            say('  %-40s %s  %s' % (dest, ', '.join('%s %.1f dB' % (NAMES[o], v) for o, v in sorted(score.items())),
                                    ('cam-%s\'s picture ok' % name) if good else 'WRONG'))
    net.close()
    say('== %s' % ('every camera went on, the killed gateway\'s on another one, and every viewer saw only its '
                   'owner\'s camera' if ok else 'FAILED'))
    return 0 if ok else 1
