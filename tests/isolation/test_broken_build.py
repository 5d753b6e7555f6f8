"""The checker can fail: against a deliberately broken srtpgw
(meson -Dbroken=no_owner_check: no owner check in the agent nor per packet)
a short scenario in which every revoke leaves the grantee's viewers
attached for a second must report misdeliveries, and so must the WebRTC
phase, whose orphaned WebRTC display keeps receiving. The test passes when
the checkers catch it.

The broken build goes to build-broken-owner/ at the top of the tree (made
once, rebuilt incrementally; scripts/env's environment).
"""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from scenario import format_report, run_scenario  # noqa: E402

BROKEN = os.path.join(TOP, 'build-broken-owner')


def build_broken():
    # the source directory is named: meson test runs this from the build directory
    setup = '' if os.path.exists(os.path.join(BROKEN, 'build.ninja')) else \
        'meson setup "$1" "$0" -Dbroken=no_owner_check && '
    r = subprocess.run(['bash', '-c', '. "$0/scripts/env" && %s ninja -C "$1" gateway/srtpgw' % setup,
                        TOP, BROKEN], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise AssertionError('building %s failed:\n%s' % (BROKEN, r.stdout))
    with open(os.path.join(BROKEN, 'meson-info', 'intro-buildoptions.json')) as f:
        assert '"no_owner_check"' in f.read().replace(' ', ''), 'build-broken-owner is not -Dbroken=no_owner_check'


class BrokenBuildIsCaught(unittest.TestCase):
    def test_no_owner_check_misdelivers(self):
        build_broken()
        rep = run_scenario(build=BROKEN, seconds=15, streams=200, owners=20, rate=1500, changes=1500,
                           orphan_fraction=1.0, orphan_life=1.0)
        print(format_report(rep), flush=True)
        ck = rep['checker']
        self.assertGreater(ck['misdeliveries'], 0, 'the checker missed the broken owner check')
        self.assertGreater(ck['misdelivery_kinds'].get('outside_window', 0), 0)
        self.assertTrue(rep['failures'])
        # nothing else broke: what it delivered was authentic
        self.assertEqual(ck['unauthenticated'], 0, ck['samples'])
        # the WebRTC phase's orphans (a grant withdrawn, the viewers left
        # attached) go on receiving: caught at the WebRTC display too
        w = rep['webrtc']
        self.assertGreater(w['misdeliveries_webrtc'], 0, 'the phase missed the broken owner check')
        self.assertGreater(w['misdelivery_kinds'].get('not_authorised', 0), 0)
        self.assertEqual(w['orphan_drop_owner_mismatch'], 0)
        # no_marker (a packet that decrypts under its session's key but
        # does not start with a source's marker) is not asserted here: one
        # ASan run of this broken build saw 2 (an SDES viewer and a display
        # of the same stream at once), not yet explained; test_isolation_ci,
        # the real build, asserts 0
        self.assertEqual(w['undecryptable'], 0, w['samples'])
        if w['no_marker']:
            print('WebRTC phase: %d without a marker (unexplained, see above): %s'
                  % (w['no_marker'], [x for x in w['samples'] if x['kind'] == 'no_marker']))


if __name__ == '__main__':
    unittest.main(verbosity=2)
