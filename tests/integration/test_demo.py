"""scripts/demo.py: every viewer ends with PNG frames in the output
directory, and each display (headless Chromium over WHEP) with a
screenshot of its page showing its owner's camera, or the demo fails.
scripts/demo --fleet (scripts/demo_fleet.py): the camera of the killed
gateway goes on from another, and every viewer's frames from before and
after the kill show its owner's camera.

The demo once reported 80 frames for a viewer and left no PNG for it: two
demos shared the default output directory, and each one's start (rm -rf of
the directory) and end (rm -rf of its .work) deleted the other's frames. Now
frames are decoded into a private directory, the output directory is locked
for the run, the frames kept are the files that are there, and a viewer
without a PNG fails the demo.
"""
import fcntl
import glob
import os
import subprocess
import sys
import tempfile
import time
import unittest

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEMO = os.path.join(TOP, 'scripts', 'demo.py')
SCRIPT = os.path.join(TOP, 'scripts', 'demo')
sys.path.insert(0, os.path.join(TOP, 'tests', 'lib'))
sys.path.insert(0, os.path.join(TOP, 'scripts'))
import demo  # noqa: E402
import media  # noqa: E402

VIEWERS = ['alice-tv', 'alice-phone', 'bob-tv']
DISPLAYS = {'alice-display': ['alice-tv', 'alice-phone'], 'bob-display': ['bob-tv']}


class Demo(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix='srtpgw-demo-test-')
        self.addCleanup(self.tmp.cleanup)
        self.out = os.path.join(self.tmp.name, 'out')

    def test_frames_saved_are_the_files_there(self):
        """First, middle and last of what the viewer wrote, whatever their
        numbers; none, and the viewer is named as having no PNG."""
        frames = os.path.join(self.tmp.name, 'alice-tv')
        os.makedirs(frames)
        for n in range(3, 12):  # numbered from 3: nothing at 0001
            with open(os.path.join(frames, '%04d.png' % n), 'wb') as f:
                f.write(b'frame %d' % n)
        os.makedirs(os.path.join(self.tmp.name, 'bob-tv'))
        self.assertEqual(demo.save_frames(frames, os.path.join(self.out, 'alice-tv')), 3)
        got = []
        for k in (1, 2, 3):
            with open(os.path.join(self.out, 'alice-tv', 'frame-%d.png' % k), 'rb') as f:
                got.append(f.read())
        self.assertEqual(got, [b'frame 3', b'frame 7', b'frame 11'])
        self.assertEqual(demo.save_frames(os.path.join(self.tmp.name, 'bob-tv'),
                                          os.path.join(self.out, 'bob-tv')), 0)
        self.assertEqual(demo.viewers_without_png(self.out, ['alice-tv', 'bob-tv']), ['bob-tv'])

    def test_output_directory_in_use(self):
        """A second demo with the same --out stops at once, says who holds
        it, and leaves the first one's frames alone."""
        os.makedirs(os.path.join(self.out, 'alice-tv'))
        kept = os.path.join(self.out, 'alice-tv', 'frame-1.png')
        with open(kept, 'wb') as f:
            f.write(b'the first demo')
        with open(os.path.join(self.out, '.lock'), 'a+') as lock:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            lock.write('%d\n' % os.getpid())
            lock.flush()
            r = subprocess.run(['/usr/bin/python3', DEMO, '--seconds', '1', '--out', self.out],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn('in use by another demo (pid %d)' % os.getpid(), r.stderr)
        self.assertTrue(os.path.exists(kept))

    def test_demo_leaves_frames_for_every_viewer(self):
        r = subprocess.run(['/usr/bin/python3', DEMO, '--seconds', '3', '--out', self.out],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertIn("every viewer and display saw only its owner's camera", r.stdout)
        for v in VIEWERS:
            self.assertEqual(sorted(os.path.basename(p) for p in glob.glob(os.path.join(self.out, v, '*.png'))),
                             ['frame-1.png', 'frame-2.png', 'frame-3.png'], r.stdout)
        self.assertEqual(sorted(os.listdir(self.out)), sorted(VIEWERS + list(DISPLAYS) + ['.lock']))
        self.assertEqual(r.stdout.count("camera ok"), 4, r.stdout)  # 2 displays x (screenshot, picture)
        self.assertIn("bob-display: POST /whep/cam-alice with bob's token -> 403 permission denied", r.stdout)
        # each display's screenshot decodes and shows its owner's camera:
        # near the frames the ffmpeg viewers of that owner decoded (the
        # demo checked them against the camera), far from the other's
        frames = {d: [media.rgb_of_png(p, demo.SIZE) for v in viewers
                      for p in sorted(glob.glob(os.path.join(self.out, v, '*.png')))]
                  for d, viewers in DISPLAYS.items()}
        for d in DISPLAYS:
            self.assertEqual(sorted(os.listdir(os.path.join(self.out, d))), ['picture.png', 'screenshot.png'])
            for png in ('screenshot.png', 'picture.png'):
                with open(os.path.join(self.out, d, png), 'rb') as f:
                    self.assertEqual(f.read(8), b'\x89PNG\r\n\x1a\n')
                # testsrc moves: 3 frames of it are a few dB further than
                # the camera's every frame; smptebars is 15 dB further still
                who, score = demo.whose_picture(os.path.join(self.out, d, png), frames, shows_db=15, margin_db=10)
                self.assertEqual(who, d, '%s %s: %s\n%s' % (d, png, score, r.stdout))
                # the check can fail: against the other owner's frames only
                other = [o for o in DISPLAYS if o != d][0]
                self.assertIsNone(demo.whose_picture(os.path.join(self.out, d, png), {other: frames[other]},
                                                     shows_db=15, margin_db=10)[0])

    def test_fleet_demo(self):
        """scripts/demo --fleet, as a user runs it (it builds first): exit
        0, the failover printed, before and after frames of both owners."""
        t = time.monotonic()
        r = subprocess.run([SCRIPT, '--fleet', '--seconds', '7', '--out', self.out],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        took = time.monotonic() - t
        print('scripts/demo --fleet --seconds 7: %.1f s' % took)
        self.assertEqual(r.returncode, 0, r.stdout)
        self.assertRegex(r.stdout, r"== killing gateway gw\d \(the one carrying cam-alice\): kill -9 of its srtpgw")
        self.assertRegex(r.stdout, r"cam-alice: on gw\d now, was on gw\d; alice-tv's packets stopped for \d+ ms, "
                                   r"its frames for \d+ ms")
        self.assertRegex(r.stdout, r"cam-bob: on gw\d throughout")
        self.assertIn("every viewer saw only its owner's camera", r.stdout)
        self.assertEqual(r.stdout.count("picture ok"), 4, r.stdout)
        pngs = ['fleet-%s-%s.png' % (o, w) for o in ('alice', 'bob') for w in ('before', 'after')]
        self.assertEqual(sorted(os.listdir(self.out)), sorted(pngs + ['.lock']))
        for png in pngs:
            with open(os.path.join(self.out, png), 'rb') as f:
                self.assertEqual(f.read(8), b'\x89PNG\r\n\x1a\n')
        self.assertLess(took, 60, r.stdout)

    def test_fleet_demo_seconds_too_few(self):
        r = subprocess.run(['/usr/bin/python3', DEMO, '--fleet', '--seconds', '2', '--out', self.out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(r.returncode, 2, r.stdout + r.stderr)
        self.assertIn('--seconds must be at least', r.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
