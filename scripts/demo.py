"""srtpgw demo: two owners, each with a camera, and their viewers, each
host in its own network namespace behind a bridge; srtpgw in the middle on
a net_af_packet port, srtpgw-control beside it, everything configured with
srtpgwctl only. Every viewer has its own key. Run by scripts/demo.

The cameras (ffmpeg: testsrc for alice, smptebars for bob) send VP8, which
browsers decode. The viewers: ffmpeg with a pasted SDES key (alice-tv,
alice-phone, bob-tv), and alice's and bob's displays, headless Chromium
pages (docs/webrtc-viewer.html) watching over WHEP with their owner's
token, the page served from another origin than the API.

Shows: the frames each ffmpeg viewer decoded (PNG files in the output
directory) and a screenshot of each display's page, that each viewer and
each display saw only its owner's camera, that a viewer of the other owner
is refused without a grant (srtpgwctl, and bob's display with bob's token
on alice's camera: 403), and the gateway's counters. Fails (exit 1) if a
viewer decoded nothing, saw another camera, has no PNG saved, or a
display's page shows something else than its owner's camera.

The frames are decoded into a private temporary directory; the output
directory is locked for the whole run (a second demo with the same --out
stops at once) and gets only the copies. Two demos sharing one directory
used to delete and overwrite each other's frames: one reported 80 frames
for a viewer and left no PNG for it.
"""
import argparse
import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lib'))
from sgwtest import (SRTPGWCTL, Control, CtlError, Gateway, NetNS, Resources,  # noqa: E402
                     run, switch, switch_port, wait_for)
from browser import Browser, spki_sha256  # noqa: E402
import media  # noqa: E402
from demo_common import (RATE, SIZE, OutputInUse, camera_file, lock_output, save_frames,  # noqa: E402,F401
                         say, start_camera, start_viewer, viewers_without_png, whose_picture)

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

NET = '10.66.0.'
GW = NET + '1'
SUITE = media.SUITE
# the management network: srtpgw-control's HTTPS API and the page server
# on the host (10.67.0.1), the displays' second interface
MGMT = '10.67.0.'
API = 'https://%s1:8443' % MGMT
ORIGIN = 'http://%s1:8080' % MGMT  # another origin than the API's: real CORS

# owner id -> (name, camera source, listen port)
OWNERS = {1: ('alice', 'testsrc', 5004), 2: ('bob', 'smptebars', 5006)}
# host -> (address, owner, stream)
HOSTS = {'cam-alice': (NET + '2', 1, None), 'cam-bob': (NET + '3', 2, None),
         'alice-tv': (NET + '11', 1, 1), 'alice-phone': (NET + '12', 1, 1),
         'bob-tv': (NET + '21', 2, 2)}
# display -> (address, management address, owner): Chromium over WHEP
DISPLAYS = {'alice-display': (NET + '31', MGMT + '31', 1), 'bob-display': (NET + '41', MGMT + '41', 2)}


def page_url(stream, token):
    return '%s/webrtc-viewer.html#api=%s&stream=%s&token=%s' % (ORIGIN, API, stream, token)


def open_display(b, stream, token, timeout=30):
    """The sample page in browser b for stream with token: its state once
    the API answered (201, or a refusal)."""
    b.open('about:blank')  # a page loaded anew, not the same one with another #
    b.open(page_url(stream, token), ready='window.srtpgw !== undefined')
    return b.wait('srtpgw.state.answered_ms !== null || srtpgw.state.status === "failed" ? srtpgw.state : null',
                  timeout=timeout, what='the API to answer %s\'s offer' % b.name)


def serving(addr, port):
    """Whether a TCP server accepts connections at addr:port."""
    s = socket.socket()
    s.settimeout(1)
    try:
        s.connect((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def save_data_url(url, path):
    with open(path, 'wb') as f:
        f.write(base64.b64decode(url.split(',', 1)[1]))


def main():
    ap = argparse.ArgumentParser(description='srtpgw demo (see scripts/demo --help)')
    ap.add_argument('--fleet', action='store_true',
                    help='the fleet demo instead: three gateways on etcd, one killed, its camera going on '
                    'from another (scripts/demo_fleet.py)')
    ap.add_argument('--seconds', type=int, help='how long the cameras send (default 8; 12 with --fleet)')
    ap.add_argument('--out', default='demo-out', help='where the PNG frames go (default demo-out)')
    args = ap.parse_args()
    if args.fleet:
        import demo_fleet
        return demo_fleet.run(args.seconds or 12, args.out)
    args.seconds = args.seconds or 8
    frames = RATE * args.seconds

    try:
        # .work: frames of the demo's older versions
        lock = lock_output(args.out, list(HOSTS) + list(DISPLAYS) + ['.work'])
    except OutputInUse as e:
        print('demo: %s' % e, file=sys.stderr)
        return 1
    res = Resources()
    try:
        work = tempfile.mkdtemp(prefix='srtpgw-demo-')
        res.add(shutil.rmtree, work, ignore_errors=True)

        say('== network: a bridge, %d hosts in namespaces, the gateway on net_af_packet' % len(HOSTS))
        sw = switch(res)
        ns = {}
        for host, (addr, _, _) in HOSTS.items():
            ns[host] = NetNS(res)
            switch_port(res, sw, ns[host], [addr + '/24'])
        # the displays: on the bridge and on the management network
        msw = switch(res)
        for host, (addr, maddr, _) in DISPLAYS.items():
            ns[host] = NetNS(res)
            switch_port(res, sw, ns[host], [addr + '/24'])
            switch_port(res, msw, ns[host], [maddr + '/24'])
        mgmt_if = switch_port(res, msw)
        run('ip', 'addr', 'add', MGMT + '1/24', 'dev', mgmt_if)
        gw_if = switch_port(res, sw)
        gw = Gateway(res, ports=[{'name': 'lan', 'device': 'net_af_packet0',
                                  'vdev': 'net_af_packet0,iface=%s,qpairs=2' % gw_if,
                                  'rx_queues': 2, 'addresses': [GW + '/24']}],
                     workers=[[('lan', 0), ('lan', 1)]]).start()
        for host in list(HOSTS) + list(DISPLAYS):
            wait_for(lambda: ns[host].run('ping', '-c', '1', '-W', '1', GW, check=False).returncode == 0,
                     15, '%s to reach the gateway' % host, interval=0.1)

        ctl = Control(res, gw, [GW], extra_config='http_listen = "%s1:8443";\nhttp_cors_origins = [ "%s" ];\n'
                      % (MGMT, ORIGIN)).start()
        wait_for(lambda: 'punt socket' in ctl.read_log(), 20, 'the punt channel', interval=0.05)
        say('== srtpgw-control beside it, its WHEP API on %s; from here on only srtpgwctl' % API)
        keys, tokens = {}, {}
        for owner, (name, src, port) in OWNERS.items():
            ctl.ctl('owner', 'add', name)
            r = ctl.ctl('stream', 'add', 'cam-' + name, '--owner', name, '--listen', '%s:%d' % (GW, port),
                        '--codec', 'VP8', '--pt', str(media.VP8_PT))
            keys['cam-' + name] = base64.b64decode(r['key'])
            tokens[name] = ctl.ctl('token', 'add', '--owner', name, '--name', name + '-displays')['token']
            say('  $ srtpgwctl owner add %s; srtpgwctl stream add cam-%s --owner %s --listen %s:%d --codec VP8 '
                '--pt %d; srtpgwctl token add --owner %s' % (name, name, name, GW, port, media.VP8_PT, name))
        for host, (addr, owner, stream) in HOSTS.items():
            if stream:
                r = ctl.ctl('viewer', 'add', host, '--stream', 'cam-' + OWNERS[stream][0],
                            '--to', '%s:6000' % addr)
                keys[host] = base64.b64decode(r['key'])
                say('  $ srtpgwctl viewer add %s --stream cam-%s --to %s:6000' % (host, OWNERS[stream][0], addr))
        say('  (each key was generated by srtpgw-control and shown once; this demo hands it to the host, not to you)')
        try:
            ctl.ctl('viewer', 'add', 'bob-sneaks', '--stream', 'cam-alice', '--owner', 'bob',
                    '--to', '%s:6002' % HOSTS['bob-tv'][0])
            say("!! a viewer of bob was attached to alice's camera")
            return 1
        except CtlError as e:
            say("  $ srtpgwctl viewer add bob-sneaks --stream cam-alice --owner bob ...  -> refused: %s"
                % e.stderr.replace('srtpgwctl: ', ''))
        ctl.wait_applied()

        # who needs a next hop: wait until the gateway resolved every viewer
        wait_for(lambda: gw.counters().get('arp_learned', 0) >= 3, 15, 'next hops', interval=0.05)

        # the cameras' pictures: VP8 files sent as they are, and decoded
        # here for what a viewer that got every packet must decode
        say('== the cameras\' VP8 (%s)' % ', '.join('cam-%s: %s' % (n, s) for n, s, _ in OWNERS.values()))
        refs, ivfs = {}, {}
        for owner, (name, src, port) in OWNERS.items():
            ivfs[owner], refs[owner] = camera_file(work, name, src, args.seconds)

        say('== the displays: headless Chromium, the page from %s, WHEP to %s' % (ORIGIN, API))
        pages = subprocess.Popen(['/usr/bin/python3', '-m', 'http.server', '--bind', MGMT + '1', '--directory',
                                  os.path.join(TOP, 'docs'), '8080'], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        res.add(media.stop, pages, 0)
        wait_for(lambda: serving(MGMT + '1', 8080), 20, 'the page server', interval=0.05)
        spki = spki_sha256(os.path.join(ctl.dir, 'http-selfsigned.pem'))
        displays = {}
        for host, (_, _, owner) in DISPLAYS.items():
            b = Browser(ns[host], spki=[spki], name=host)
            res.add(b.close)
            displays[host] = b.start()
        # bob's display, with bob's token, tries alice's camera first
        st = open_display(displays['bob-display'], 'cam-alice', tokens['bob'])
        say("  bob-display: POST /whep/cam-alice with bob's token -> %s" % st['error'])
        if st['http'] != 403:
            say("!! bob's display was let onto alice's camera")
            return 1
        for host, (_, _, owner) in DISPLAYS.items():
            name = OWNERS[owner][0]
            st = open_display(displays[host], 'cam-' + name, tokens[name])
            if st['http'] != 201:
                say('!! %s: POST /whep/cam-%s -> %s %s' % (host, name, st['http'], st['error']))
                return 1
            displays[host].wait('srtpgw.state.dtls === "connected"', 20, what=host + ' connected')
            say('  %s: POST /whep/cam-%s -> 201, ICE and DTLS connected, viewer webrtc-%s' % (
                host, name, st['session'].rsplit('/', 1)[1][:8] + '...'))

        say('== %d s of video: %s' % (args.seconds, ', '.join(
            '%s sends %s' % ('cam-' + n, s) for n, s, _ in OWNERS.values())))
        viewers = {}
        for host, (addr, owner, stream) in HOSTS.items():
            if not stream:
                continue
            viewers[host], _ = start_viewer(res, ns[host], work, host, GW, 6000, keys[host], frames)
        cams = [start_camera(res, ns['cam-' + name], ivfs[owner], keys['cam-' + name], GW, port)
                for owner, (name, src, port) in OWNERS.items()]
        # each display's page once it has shown a second of video: a
        # screenshot, and the picture its video element holds
        shots = {}
        for host, b in displays.items():
            try:
                b.wait('srtpgw.stats().then(s => s && s.framesDecoded >= %d)' % RATE, args.seconds + 20,
                       what=host + ' showing a second of video')
            except AssertionError as e:
                say('!! %s: %s; its stats: %s; the gateway\'s drops: %s' % (
                    host, e, b.evaluate('srtpgw.stats()'),
                    {k: v for k, v in gw.counters().items() if k.startswith('drop_') and v}))
                return 1
            shots[host] = {'screenshot.png': b.screenshot(), 'picture.png': b.evaluate('srtpgw.picture()')}
        for c in cams:
            media.stop(c, args.seconds + 20)
        for p in viewers.values():
            media.stop(p, 20)

        say('== what each viewer decoded')
        ref_frames = {o: set(frames) for o, frames in refs.items()}
        ok = True
        for host, (addr, owner, stream) in HOSTS.items():
            if not stream:
                continue
            got = media.rgb_frames(os.path.join(work, host, '%04d.png'), SIZE)
            own = sum(f in ref_frames[owner] for f in got)
            other = sum(f in ref_frames[o] for f in got for o in OWNERS if o != owner)
            good = len(got) > 0 and own == len(got) and other == 0
            ok &= good
            say('  %-12s %3d frames: %3d of %s\'s camera, %d of another camera  %s' % (
                host, len(got), own, OWNERS[owner][0], other, 'ok' if good else 'WRONG'))
            # keep a few frames to look at
            save_frames(os.path.join(work, host), os.path.join(args.out, host))
        missing = viewers_without_png(args.out, [h for h, (_, _, st) in HOSTS.items() if st])
        for host in missing:
            say('!! no PNG frame saved for %s in %s/%s' % (host, args.out, host))
        ok &= not missing

        say('== what each display showed (screenshots of its page; PSNR to the nearest frame of each camera)')
        for host, b in displays.items():
            owner = DISPLAYS[host][2]
            stats = b.evaluate('srtpgw.stats()')
            dest = os.path.join(args.out, host)
            os.makedirs(dest, exist_ok=True)
            with open(os.path.join(dest, 'screenshot.png'), 'wb') as f:
                f.write(shots[host]['screenshot.png'])
            if shots[host]['picture.png']:
                save_data_url(shots[host]['picture.png'], os.path.join(dest, 'picture.png'))
            for png in ('screenshot.png', 'picture.png'):
                who, score = whose_picture(os.path.join(dest, png), refs)
                good = who == owner
                ok &= good
                say('  %-13s %-14s %s  %s' % (host, png, ', '.join(
                    '%s %.1f dB' % (OWNERS[o][0], v) for o, v in sorted(score.items())) or 'does not decode',
                    ('%s\'s camera ok' % OWNERS[owner][0]) if good else 'WRONG'))
            say('  %-13s %d frames decoded, %d keyframes, %d packets' % (
                host, stats['framesDecoded'], stats['keyFramesDecoded'], stats['packetsReceived']))
            b.evaluate('srtpgw.stop()')  # DELETE: the viewer ends

        say('== srtpgwctl stats')
        say(subprocess.run([SRTPGWCTL, '--socket', ctl.sock, 'stats'], stdout=subprocess.PIPE,
                           text=True).stdout.rstrip())
        rc = ctl.stop() | gw.stop()
        say('== PNG frames per viewer, a screenshot per display in %s/' % args.out)
        say('== %s' % ('every viewer and display saw only its owner\'s camera' if ok and rc == 0 else 'FAILED'))
        return 0 if ok and rc == 0 else 1
    finally:
        res.cleanup()
        lock.close()


if __name__ == '__main__':
    sys.exit(main())
