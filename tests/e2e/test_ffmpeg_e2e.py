"""End to end: a real ffmpeg SRTP camera, srtpgw, real ffmpeg SRTP viewers.

Topology: a Linux bridge in a namespace of its own (the switch); the
namespaces camera, viewer1 and viewer2 each on it with a veth; srtpgw's port
is a veth whose root-namespace end it opens with net_af_packet (two queue
pairs, both polled by its one worker) and whose other end is on the bridge.

The camera sends ffmpeg's testsrc as MJPEG over SRTP (AES_CM_128_HMAC_SHA1_80)
to the gateway; the gateway re-encrypts it for viewer1 and viewer2, each with
its own key, and ffmpeg in each viewer namespace decrypts and decodes it to
PNG files. Every decoded frame must be, byte for byte, the decode of a frame
the camera sent (reference frames come from the same testsrc -> mjpeg ->
decode pipeline run locally, without a network). A third viewer on the
gateway whose ffmpeg is given a key other than the viewer's decodes nothing.
"""
import glob
import os
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import (Gateway, NetNS, Resources, b64, new_key, run, switch,  # noqa: E402
                     switch_port, uniq, wait_for)
import media  # noqa: E402
from media import SUITE, psnr  # noqa: E402

NET = '10.88.0.'
GW, CAM, V1, V2 = NET + '1', NET + '2', NET + '3', NET + '4'
LISTEN = 5004
VPORT = 6000          # viewer1 and viewer2 (ffmpeg binds 6001 for RTCP too)
WRONG_PORT = 6010     # the wrong-key viewer, in viewer2's namespace

SIZE, RATE, SECONDS, QV = (320, 240), 10, 6, 5
FRAMES = RATE * SECONDS           # frames the camera sends
MIN_FRAMES = 20                   # each viewer must decode at least this many
FRAME_BYTES = SIZE[0] * SIZE[1] * 3
STREAM_ID, OWNER = 1, 7
VIEWER1, VIEWER2, WRONG = 11, 12, 13

TESTSRC = media.source('testsrc', SIZE, RATE, SECONDS)
# a viewer gives up this long after the last packet (or before the first)
VIEWER_IDLE_S = 5


def sdp(port, key):
    return media.sdp(GW, port, key)


def rgb_frames(pattern):
    return media.rgb_frames(pattern, SIZE)


class FfmpegEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t0 = time.monotonic()
        cls.res = Resources()
        try:
            cls._setup()
            cls._run_media()
        except BaseException as e:
            if not isinstance(e, (SystemExit, KeyboardInterrupt)):  # not already cleaned up
                try:
                    cls._diagnose()
                except Exception as d:
                    print('diagnosis failed: %r' % d, file=sys.stderr)
            cls.res.cleanup()
            cls._check_clean()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.gw.stop()
            assert rc == 0, 'srtpgw exit code %d:\n%s' % (rc, cls.gw.read_log())
        finally:
            cls.res.cleanup()
            cls._check_clean()
            print('\n%s: %.1f s in all' % (cls.__name__, time.monotonic() - cls.t0), file=sys.stderr)

    # ---- set-up ---------------------------------------------------------
    @classmethod
    def _setup(cls):
        res = cls.res
        cls.dir = tempfile.mkdtemp(prefix='srtpgw-e2e-')
        res.add(lambda d: run('rm', '-rf', d), cls.dir)
        cls.procs = []

        # the reference frames, made while the network is set up
        ref = os.path.join(cls.dir, 'ref')
        os.mkdir(ref)
        cls.ref_proc = cls._spawn(None, 'reference', media.reference_cmd(TESTSRC, QV, ref + '/%04d.png'))

        cls.sw = switch(res)
        cls.ns = {}
        for role, addr in (('camera', CAM), ('viewer1', V1), ('viewer2', V2)):
            ns = NetNS(res, uniq(role[:3] + role[-1]))
            switch_port(res, cls.sw, ns, [addr + '/24'], ns_ifname='eth0')
            cls.ns[role] = ns
        cls.iface = switch_port(res, cls.sw)
        cls.names = {'netns': [cls.sw.name] + [n.name for n in cls.ns.values()], 'link': [cls.iface]}
        cls.gw = Gateway(res, ports=[{
            'name': 'lan', 'device': 'net_af_packet0',
            'vdev': 'net_af_packet0,iface=%s,qpairs=2' % cls.iface,
            'rx_queues': 2, 'addresses': [GW + '/24']}],
            workers=[[('lan', 0), ('lan', 1)]]).start()

        # every host reaches the gateway through the switch (ARP both ways)
        for role, ns in cls.ns.items():
            wait_for(lambda: ns.run('ping', '-c', '1', '-W', '1', GW, check=False).returncode == 0,
                     15, '%s to ping the gateway' % role, interval=0.1)

        cls.cam_key, cls.v1_key, cls.v2_key, cls.wrong_key, cls.wrong_ffmpeg_key = (
            new_key(SUITE) for _ in range(5))
        keys = [cls.cam_key, cls.v1_key, cls.v2_key, cls.wrong_key, cls.wrong_ffmpeg_key]
        assert len(set(keys)) == len(keys)
        view = 'viewer add %d stream=%d owner=%d to=%s:%d suite=%s key=%s'
        learned = cls.gw.counters().get('arp_learned', 0)
        cls.gw.apply([
            'stream add %d owner=%d listen=%s:%d suite=%s key=%s' %
            (STREAM_ID, OWNER, GW, LISTEN, SUITE, b64(cls.cam_key)),
            view % (VIEWER1, STREAM_ID, OWNER, V1, VPORT, SUITE, b64(cls.v1_key)),
            view % (VIEWER2, STREAM_ID, OWNER, V2, VPORT, SUITE, b64(cls.v2_key)),
            view % (WRONG, STREAM_ID, OWNER, V2, WRONG_PORT, SUITE, b64(cls.wrong_key)),
        ])
        # the gateway probes the viewers' addresses at once: wait until both
        # answered, so that no packet is dropped for an unresolved next hop
        wait_for(lambda: cls.gw.counters().get('arp_learned', 0) - learned >= 2, 10,
                 'the gateway to resolve both viewers', interval=0.05)

    @classmethod
    def _spawn(cls, ns, name, cmd):
        """Start cmd (in ns, or here) with its output in NAME.log; it is
        killed by PID at clean-up if still running."""
        log = open(os.path.join(cls.dir, name + '.log'), 'w')
        kw = dict(stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        p = ns.popen(*cmd, **kw) if ns else subprocess.Popen(cmd, **kw)
        log.close()
        p.name = name
        cls.procs.append(p)
        cls.res.add(cls._stop, p, 0)
        return p

    _stop = staticmethod(media.stop)

    @classmethod
    def _viewer(cls, role, name, port, key):
        ns = cls.ns[role]
        path = os.path.join(cls.dir, name + '.sdp')
        with open(path, 'w') as f:
            f.write(sdp(port, key))
        out = os.path.join(cls.dir, name)
        os.mkdir(out)
        p = cls._spawn(ns, name, media.viewer_cmd(path, VIEWER_IDLE_S, FRAMES, out + '/%04d.png'))

        def bound():
            if p.poll() is not None:
                raise AssertionError('%s exited %d before binding:\n%s' % (name, p.returncode, cls.log(name)))
            return ns.run('ss', '-Hlun', 'sport = :%d' % port).stdout.strip()
        wait_for(bound, 10, '%s to bind UDP port %d' % (name, port), interval=0.05)
        return p

    @classmethod
    def _run_media(cls):
        cls.before = cls.gw.counters()
        cls.viewers = {
            'viewer1': cls._viewer('viewer1', 'viewer1', VPORT, cls.v1_key),
            'viewer2': cls._viewer('viewer2', 'viewer2', VPORT, cls.v2_key),
            'wrong': cls._viewer('viewer2', 'wrong', WRONG_PORT, cls.wrong_ffmpeg_key),
        }
        cls.t_camera = time.monotonic()
        cam = cls._spawn(cls.ns['camera'], 'camera', media.camera_cmd(TESTSRC, QV, cls.cam_key, GW, LISTEN))
        ended = cls._stop(cam, SECONDS + 15)
        assert ended and cam.returncode == 0, 'camera: %s, exit %s:\n%s' % (
            'ended' if ended else 'stopped', cam.returncode, cls.log('camera'))
        cls.t_camera = time.monotonic() - cls.t_camera
        cls.ended = {}
        for name, p in cls.viewers.items():
            cls.ended[name] = cls._stop(p, VIEWER_IDLE_S + 10)
        assert cls._stop(cls.ref_proc, 30) and cls.ref_proc.returncode == 0, cls.log('reference')

        # every packet the camera sent has been through the gateway by now
        cls.after = cls.gw.counters()
        cls.streams = cls.gw.streams()
        cls.stats = cls.gw.viewers()

        cls.ref = rgb_frames(os.path.join(cls.dir, 'ref', '%04d.png'))
        cls.got = {name: rgb_frames(os.path.join(cls.dir, name, '%04d.png')) for name in cls.viewers}
        print('\ncamera %.1f s; frames decoded: %s of %d; stream %s; viewers %s' % (
            cls.t_camera, {n: len(f) for n, f in cls.got.items()}, FRAMES,
            cls.streams.get(STREAM_ID), list(cls.stats.values())), file=sys.stderr)

    @classmethod
    def log(cls, name):
        try:
            with open(os.path.join(cls.dir, name + '.log')) as f:
                return f.read()[-4000:]
        except OSError as e:
            return str(e)

    @classmethod
    def _diagnose(cls):
        """On a failed set-up: what the gateway and the programs said."""
        gw = getattr(cls, 'gw', None)
        if gw is not None and gw.proc is not None:
            print('--- srtpgw log:\n' + gw.read_log()[-4000:], file=sys.stderr)
            if gw.proc.poll() is None:
                try:
                    print('--- counters: %s\n--- streams: %s\n--- viewers: %s' % (
                        {k: v for k, v in gw.counters().items() if v}, gw.streams(), gw.viewers()),
                        file=sys.stderr)
                except Exception as e:
                    print('--- counters unavailable: %s' % e, file=sys.stderr)
        for p in getattr(cls, 'procs', []):
            print('--- %s (exit %s):\n%s' % (p.name, p.poll(), cls.log(p.name)), file=sys.stderr)

    @classmethod
    def _check_clean(cls):
        names = getattr(cls, 'names', None)
        if not names:
            return
        left = [n for n in names['netns'] if n in run('ip', 'netns', 'list').stdout.split()]
        links = run('ip', '-o', 'link').stdout
        left += [n for n in names['link'] if (' %s:' % n) in links or (' %s@' % n) in links]
        assert not left, 'left behind after clean-up: %s' % left

    # ---- the checks -----------------------------------------------------
    def test_reference_frames_are_all_different(self):
        """The reference identifies each frame (else matching proves little)."""
        self.assertEqual(len(self.ref), FRAMES)
        self.assertEqual(len(set(self.ref)), FRAMES)

    def test_viewers_decode_enough_frames(self):
        for name in ('viewer1', 'viewer2'):
            with self.subTest(viewer=name):
                self.assertGreaterEqual(len(self.got[name]), MIN_FRAMES,
                                        '%s decoded too few frames:\n%s' % (name, self.log(name)))
                self.assertTrue(self.ended[name], '%s had to be stopped' % name)
                self.assertEqual(self.viewers[name].returncode, 0, self.log(name))

    def test_viewer_frames_are_the_camera_frames(self):
        """Each decoded frame is exactly the decode of one frame the camera
        sent, in the order sent, none twice."""
        index = {f: i for i, f in enumerate(self.ref)}
        for name in ('viewer1', 'viewer2'):
            with self.subTest(viewer=name):
                got = self.got[name]
                self.assertTrue(got, 'no frames')
                seq, bad = [], []
                for n, f in enumerate(got):
                    if f in index:
                        seq.append(index[f])
                    else:
                        best = max(range(len(self.ref)), key=lambda i: psnr(f, self.ref[i], 97))
                        bad.append('frame %d: no exact match; closest reference %d at %.1f dB' %
                                   (n + 1, best + 1, psnr(f, self.ref[best])))
                        if len(bad) >= 3:
                            break
                self.assertEqual(bad, [])
                self.assertEqual(seq, sorted(set(seq)), 'frames out of order or repeated')

    def test_wrong_key_decodes_nothing(self):
        """The gateway sent the third viewer everything, under that viewer's
        key; an ffmpeg holding another key authenticates none of it."""
        self.assertEqual(self.stats[WRONG]['packets'], self.streams[STREAM_ID]['packets'])
        self.assertEqual(len(glob.glob(os.path.join(self.dir, 'wrong', '*.png'))), 0,
                         'ffmpeg with the wrong key decoded frames')
        self.assertEqual(self.got['wrong'], [])
        self.assertTrue(self.ended['wrong'], 'the wrong-key viewer had to be stopped')
        self.assertNotEqual(self.viewers['wrong'].returncode, 0)
        self.assertIn('HMAC mismatch', self.log('wrong'), 'ffmpeg saw no SRTP packets')

    def test_counters(self):
        st = self.streams[STREAM_ID]
        self.assertGreaterEqual(st['packets'], max(len(f) for f in self.got.values()))
        self.assertGreater(st['packets'], 0)
        self.assertEqual((st['auth_fail'], st['replay_fail'], st['other_fail']), (0, 0, 0))
        for vid in (VIEWER1, VIEWER2, WRONG):
            with self.subTest(viewer=vid):
                v = self.stats[vid]
                self.assertEqual((v['stream'], v['owner']), (STREAM_ID, OWNER))
                self.assertEqual((v['packets'], v['drops']), (st['packets'], 0))
        self.assertEqual(len({self.stats[v]['bytes'] for v in (VIEWER1, VIEWER2, WRONG)}), 1,
                         'same suite, same packets: same bytes')
        delta = {k: self.after.get(k, 0) - self.before.get(k, 0) for k in self.after}
        for k in ('drop_srtp_auth', 'drop_srtp_replay', 'drop_srtp_other', 'drop_owner_mismatch',
                  'drop_neigh_unresolved', 'drop_no_mbuf', 'drop_source_mismatch'):
            self.assertEqual(delta.get(k, 0), 0, k)
        self.assertEqual(delta['forwarded'], st['packets'])


if __name__ == '__main__':
    unittest.main(verbosity=2)
