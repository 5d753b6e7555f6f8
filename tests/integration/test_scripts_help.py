"""Every script a user runs answers --help with its own usage text and exit
0, and refuses an unknown argument with exit 2 (scripts/test once printed a
line of its own code, "set -uo pipefail", as help)."""
import os
import subprocess
import unittest

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')
SCRIPTS = ['test', 'fuzz', 'setup', 'demo', 'isolation', 'bench']


class ScriptsHelp(unittest.TestCase):
    def test_help(self):
        for name in SCRIPTS:
            with self.subTest(script=name):
                r = subprocess.run([os.path.join(TOP, 'scripts', name), '--help'],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, timeout=60)
                self.assertEqual(r.returncode, 0, r.stdout)
                lines = r.stdout.strip().splitlines()
                self.assertGreater(len(lines), 1, r.stdout)
                for line in lines:
                    # no shell code: the help is the script's leading comment
                    self.assertNotRegex(line, r'^\s*(set -|cd |\. |exec |top=|case )', r.stdout)

    def test_unknown_argument(self):
        for name in ['test', 'fuzz', 'setup']:
            with self.subTest(script=name):
                r = subprocess.run([os.path.join(TOP, 'scripts', name), '--no-such-option'],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True, timeout=60)
                self.assertEqual(r.returncode, 2, r.stdout)
                self.assertIn('--help', r.stdout)


if __name__ == '__main__':
    unittest.main()
