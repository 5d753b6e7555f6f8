"""srtpgw demo: two owners, each with a camera, and their viewers, each
host in its own network namespace behind a bridge; srtpgw in the middle on
a net_af_packet port, srtpgw-control beside it, everything configured with
srtpgwctl only. Every viewer has its own key. Run by scripts/demo.

Shows: the frames each viewer decoded (PNG files in the output directory),
that each viewer saw only its owner's camera, that a viewer of the other
owner is refused without a grant, and the gateway's counters. Fails (exit
1) if a viewer decoded nothing, saw another camera, or has no PNG saved.

The frames are decoded into a private temporary directory; the output
directory is locked for the whole run (a second demo with the same --out
stops at once) and gets only the copies. Two demos sharing one directory
used to delete and overwrite each other's frames: one reported 80 frames
for a viewer and left no PNG for it.
"""
import argparse
import base64
import fcntl
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lib'))
from sgwtest import (SRTPGWCTL, Control, CtlError, Gateway, NetNS, Resources,  # noqa: E402
                     switch, switch_port, wait_for)
import media  # noqa: E402

NET = '10.66.0.'
GW = NET + '1'
SIZE, RATE, QV = (320, 240), 10, 5
SUITE = media.SUITE

# owner id -> (name, camera source, listen port)
OWNERS = {1: ('alice', 'testsrc', 5004), 2: ('bob', 'smptebars', 5006)}
# host -> (address, owner, stream)
HOSTS = {'cam-alice': (NET + '2', 1, None), 'cam-bob': (NET + '3', 2, None),
         'alice-tv': (NET + '11', 1, 1), 'alice-phone': (NET + '12', 1, 1),
         'bob-tv': (NET + '21', 2, 2)}


def say(*a):
    print(*a, flush=True)


class OutputInUse(Exception):
    pass


def lock_output(out):
    """Make out (if needed) and lock it for this run: an open file that
    holds the lock until the process ends. Raises OutputInUse if another
    demo holds it. Frames of an earlier run are removed."""
    os.makedirs(out, exist_ok=True)
    f = open(os.path.join(out, '.lock'), 'a+')
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        holder = f.read().strip() or '?'
        f.close()
        raise OutputInUse('%s is in use by another demo (pid %s): give this one --out DIR' % (out, holder))
    f.truncate(0)
    f.write('%d\n' % os.getpid())
    f.flush()
    for name in os.listdir(out):
        if name in HOSTS or name == '.work':  # .work: frames of the demo's older versions
            shutil.rmtree(os.path.join(out, name), ignore_errors=True)
    return f


def save_frames(frames_dir, dest, keep=3):
    """Copy the first, middle and last PNG that a viewer decoded (the
    files that are there, not numbers worked out from a count) to
    dest/frame-N.png; returns how many were saved."""
    files = sorted(glob.glob(os.path.join(frames_dir, '[0-9]*.png')))
    os.makedirs(dest, exist_ok=True)
    picks = sorted({0, len(files) // 2, len(files) - 1})[:keep] if files else []
    for k, i in enumerate(picks):
        shutil.copy(files[i], os.path.join(dest, 'frame-%d.png' % (k + 1)))
    return len(picks)


def viewers_without_png(out, hosts):
    """The viewers whose directory in out holds no PNG."""
    return [h for h in hosts if not glob.glob(os.path.join(out, h, '*.png'))]


def main():
    ap = argparse.ArgumentParser(description='srtpgw demo (see scripts/demo --help)')
    ap.add_argument('--seconds', type=int, default=8, help='how long the cameras send (default 8)')
    ap.add_argument('--out', default='demo-out', help='where the PNG frames go (default demo-out)')
    args = ap.parse_args()
    frames = RATE * args.seconds

    try:
        lock = lock_output(args.out)
    except OutputInUse as e:
        print('demo: %s' % e, file=sys.stderr)
        return 1
    res = Resources()
    procs = []
    try:
        work = tempfile.mkdtemp(prefix='srtpgw-demo-')
        res.add(shutil.rmtree, work, ignore_errors=True)

        say('== network: a bridge, %d hosts in namespaces, the gateway on net_af_packet' % len(HOSTS))
        sw = switch(res)
        ns = {}
        for host, (addr, _, _) in HOSTS.items():
            ns[host] = NetNS(res)
            switch_port(res, sw, ns[host], [addr + '/24'])
        gw_if = switch_port(res, sw)
        gw = Gateway(res, ports=[{'name': 'lan', 'device': 'net_af_packet0',
                                  'vdev': 'net_af_packet0,iface=%s,qpairs=2' % gw_if,
                                  'rx_queues': 2, 'addresses': [GW + '/24']}],
                     workers=[[('lan', 0), ('lan', 1)]]).start()
        for host in HOSTS:
            wait_for(lambda: ns[host].run('ping', '-c', '1', '-W', '1', GW, check=False).returncode == 0,
                     15, '%s to reach the gateway' % host, interval=0.1)

        ctl = Control(res, gw, [GW]).start()
        say('== srtpgw-control beside it; from here on only srtpgwctl')
        keys = {}
        for owner, (name, src, port) in OWNERS.items():
            ctl.ctl('owner', 'add', name)
            r = ctl.ctl('stream', 'add', 'cam-' + name, '--owner', name, '--listen', '%s:%d' % (GW, port))
            keys['cam-' + name] = base64.b64decode(r['key'])
            say('  $ srtpgwctl owner add %s; srtpgwctl stream add cam-%s --owner %s --listen %s:%d'
                % (name, name, name, GW, port))
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

        say('== %d s of video: %s' % (args.seconds, ', '.join(
            '%s sends %s' % ('cam-' + n, s) for n, s, _ in OWNERS.values())))
        viewers = {}
        for host, (addr, owner, stream) in HOSTS.items():
            if not stream:
                continue
            sdp_path = os.path.join(work, host + '.sdp')
            with open(sdp_path, 'w') as f:
                f.write(media.sdp(GW, 6000, keys[host]))
            os.makedirs(os.path.join(work, host))
            p = ns[host].popen(*media.viewer_cmd(sdp_path, 5, frames, os.path.join(work, host, '%04d.png')),
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            procs.append(p)
            res.add(media.stop, p, 0)
            viewers[host] = p
            wait_for(lambda: ns[host].run('ss', '-Hlun', 'sport = :6000').stdout.strip(), 10,
                     host + ' to listen', interval=0.05)
        refs, cams = {}, []
        for owner, (name, src, port) in OWNERS.items():
            s = media.source(src, SIZE, RATE, args.seconds)
            os.makedirs(os.path.join(work, 'ref-' + name))
            # encoder | decoder as two processes, each stopped by its PID
            enc, dec = media.reference_cmds(s, QV, os.path.join(work, 'ref-' + name, '%04d.png'))
            e = subprocess.Popen(enc, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL)
            r = subprocess.Popen(dec, stdin=e.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            e.stdout.close()
            res.add(media.stop, e, 0)
            res.add(media.stop, r, 0)
            refs[owner] = r
            c = ns['cam-' + name].popen(*media.camera_cmd(s, QV, keys['cam-' + name], GW, port),
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
            res.add(media.stop, c, 0)
            cams.append(c)
        for c in cams:
            media.stop(c, args.seconds + 20)
        for p in list(viewers.values()) + list(refs.values()):
            media.stop(p, 20)

        say('== what each viewer decoded')
        ref_frames = {o: set(media.rgb_frames(os.path.join(work, 'ref-' + OWNERS[o][0], '%04d.png'), SIZE))
                      for o in OWNERS}
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

        say('== srtpgwctl stats')
        say(subprocess.run([SRTPGWCTL, '--socket', ctl.sock, 'stats'], stdout=subprocess.PIPE,
                           text=True).stdout.rstrip())
        rc = ctl.stop() | gw.stop()
        say('== PNG frames per viewer in %s/' % args.out)
        say('== %s' % ('every viewer saw only its owner\'s camera' if ok and rc == 0 else 'FAILED'))
        return 0 if ok and rc == 0 else 1
    finally:
        res.cleanup()
        lock.close()


if __name__ == '__main__':
    sys.exit(main())
