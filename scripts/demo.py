"""srtpgw demo: two owners, each with a camera, and their viewers, each
host in its own network namespace behind a bridge; srtpgw in the middle on
a net_af_packet port. Every viewer has its own key. Run by scripts/demo.

Shows: the frames each viewer decoded (PNG files in the output directory),
that each viewer saw only its owner's camera, that a viewer of the other
owner is refused without a grant, and the gateway's counters.
"""
import argparse
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests', 'lib'))
from sgwtest import (AgentError, Gateway, NetNS, Resources, b64, new_key, run,  # noqa: E402
                     switch, switch_port, wait_for, AGENTCTL)
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


def main():
    ap = argparse.ArgumentParser(description='srtpgw demo (see scripts/demo --help)')
    ap.add_argument('--seconds', type=int, default=8, help='how long the cameras send (default 8)')
    ap.add_argument('--out', default='demo-out', help='where the PNG frames go (default demo-out)')
    args = ap.parse_args()
    frames = RATE * args.seconds

    res = Resources()
    procs = []
    try:
        work = os.path.join(args.out, '.work')
        shutil.rmtree(args.out, ignore_errors=True)
        os.makedirs(work)

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

        say('== streams and viewers, each with its own random key (keys are not shown)')
        keys = {h: new_key(SUITE) for h in HOSTS}
        ops = []
        for owner, (name, _, port) in OWNERS.items():
            ops.append('stream add %d owner=%d listen=%s:%d suite=%s key=%s' %
                       (owner, owner, GW, port, SUITE, b64(keys['cam-' + name])))
        for i, (host, (addr, owner, stream)) in enumerate(HOSTS.items()):
            if stream:
                ops.append('viewer add %d stream=%d owner=%d to=%s:6000 suite=%s key=%s' %
                           (100 + i, stream, owner, addr, SUITE, b64(keys[host])))
        gw.apply(ops)
        for owner, (name, src, port) in OWNERS.items():
            say('  stream %d of %s (%s) on %s:%d' % (owner, name, src, GW, port))
        for i, (host, (addr, owner, stream)) in enumerate(HOSTS.items()):
            if stream:
                say('  viewer %d %-12s %s:6000 owner %s' % (100 + i, host, addr, OWNERS[owner][0]))
        try:
            gw.apply(['viewer add 999 stream=1 owner=2 to=%s:6002 suite=%s key=%s' %
                      (HOSTS['bob-tv'][0], SUITE, b64(new_key(SUITE)))])
            say('!! a viewer of bob was attached to alice\'s camera')
            return 1
        except AgentError as e:
            say('  bob-tv on alice\'s camera without a grant: refused (%s)' % str(e).split(': ', 2)[-1])

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
            r = subprocess.Popen(media.reference_cmd(s, QV, os.path.join(work, 'ref-' + name, '%04d.png')),
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
            dest = os.path.join(args.out, host)
            os.makedirs(dest)
            n = len(got)
            for k, idx in enumerate(sorted({1, max(1, n // 2), n})):
                src = os.path.join(work, host, '%04d.png' % idx)
                if n and os.path.exists(src):
                    shutil.copy(src, os.path.join(dest, 'frame-%d.png' % (k + 1)))

        say('== gateway counters')
        for what in ('streams', 'viewers'):
            say(subprocess.run([AGENTCTL, '-s', gw.sock, 'stats', what], stdout=subprocess.PIPE,
                               text=True).stdout.rstrip())
        c = gw.counters()
        say('  ' + ', '.join('%s %d' % (k, v) for k, v in sorted(c.items()) if v and not k.startswith('drop_')))
        drops = {k: v for k, v in c.items() if v and k.startswith('drop_')}
        say('  drops: ' + (', '.join('%s %d' % kv for kv in sorted(drops.items())) or 'none'))
        rc = gw.stop()
        shutil.rmtree(work, ignore_errors=True)
        say('== PNG frames per viewer in %s/' % args.out)
        say('== %s' % ('every viewer saw only its owner\'s camera' if ok and rc == 0 else 'FAILED'))
        return 0 if ok and rc == 0 else 1
    finally:
        res.cleanup()


if __name__ == '__main__':
    sys.exit(main())
