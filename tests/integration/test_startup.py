"""srtpgw's start-up: --help, and clear one-line errors with a non-zero exit
for a bad config file, a device the EAL does not have, an lcore the EAL
does not run, queue counts the device cannot give, and an --ops file with
an op the parser or the agent refuses (nothing started: no agent socket)."""
import base64
import os
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import SRTPGW, uniq  # noqa: E402

EAL = ['--no-huge', '-m', '128', '--no-pci', '--log-level', 'lib.eal:error']
# an ASan build's malloc is ASan's: glibc's tunable does not reach it
ASAN = b'libasan' in subprocess.run(['ldd', SRTPGW], capture_output=True).stdout


class Startup(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory(prefix='srtpgw-startup-')
        self.addCleanup(self.dir.cleanup)
        self.prefix = uniq('sgwst')
        self.addCleanup(subprocess.run, ['rm', '-rf', '/var/run/dpdk/' + self.prefix])

    def gateway(self, config, eal=(), vdevs=('net_null0',), ops=None):
        path = os.path.join(self.dir.name, 'srtpgw.conf')
        with open(path, 'w') as f:
            f.write(config)
        args = [SRTPGW] + EAL + ['--file-prefix', self.prefix, '--lcores', '0@0,1@1'] + list(eal)
        for v in vdevs:
            args += ['--vdev', v]
        extra = []
        if ops is not None:
            extra = ['--ops', os.path.join(self.dir.name, 'flows.ops')]
            with open(extra[1], 'w') as f:
                f.write(ops)
        return subprocess.run(args + ['--', '--config', path] + extra, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=60)

    def config(self, device='net_null0', port_extra='', top_extra='', lcore=1):
        return ('agent_socket = "%s/agent.sock";\n%s\n'
                'ports = ( { name = "p0"; device = "%s"; addresses = [ "10.5.0.1/24" ]; %s } );\n'
                'workers = ( { lcore = %d; queues = ( { port = "p0"; queue = 0; } ); } );\n'
                % (self.dir.name, top_extra, device, port_extra, lcore))

    def error_line(self, out):
        lines = [line for line in out.splitlines() if line.startswith('srtpgw: error:')]
        self.assertEqual(len(lines), 1, out)
        return lines[0]

    def test_help(self):
        r = subprocess.run([SRTPGW, '--help'], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn('--config FILE', r.stdout)
        self.assertIn('--ops FILE', r.stdout)

    def test_ops_errors_name_file_and_line(self):
        """A bad --ops file: one error line FILE:LINE, exit 1, and the
        gateway never got as far as its agent socket."""
        key = base64.b64encode(bytes(30)).decode()
        stream = 'stream add 1 owner=7 listen=10.5.0.1:5000 suite=AES_CM_128_HMAC_SHA1_80 key=%s\n' % key
        cases = [
            ('# a comment\n' + stream + 'viewer add 10 stream=2 owner=7 to=10.5.0.9:6000 plain\n',
             'flows.ops:3: viewer_add: no stream 2 (nothing applied)'),
            (stream + 'viewer add 10 stream=1 owner=7 to=10.5.0.9:6000 plain bogus\n',
             'flows.ops:2: unknown argument "bogus" (nothing applied)'),
            (stream.replace('10.5.0.1', '10.6.0.1'), 'flows.ops:1: stream_add: '),
        ]
        for ops, want in cases:
            with self.subTest(want=want):
                r = self.gateway(self.config(), ops=ops)
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertIn(want, self.error_line(r.stdout))
                self.assertNotIn(key, r.stdout)
                self.assertFalse(os.path.exists(os.path.join(self.dir.name, 'agent.sock')))
        path = os.path.join(self.dir.name, 'srtpgw.conf')
        with open(path, 'w') as f:
            f.write(self.config())
        r = subprocess.run([SRTPGW] + EAL + ['--file-prefix', self.prefix, '--vdev', 'net_null0', '--',
                            '--config', path, '--ops', os.path.join(self.dir.name, 'none.ops')],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertIn('none.ops: cannot open the ops file: No such file or directory', self.error_line(r.stdout))

    def test_missing_config_option(self):
        r = subprocess.run([SRTPGW] + EAL + ['--file-prefix', self.prefix, '--'],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn('usage: srtpgw', r.stderr)

    def test_config_error_names_the_key(self):
        r = self.gateway(self.config(port_extra='mtu = 20;'))
        self.assertEqual(r.returncode, 1)
        self.assertIn('srtpgw.conf:3: ports.[0].mtu: must be between 68 and 9600', self.error_line(r.stdout))

    def test_unknown_key(self):
        r = self.gateway(self.config(top_extra='idle_sleep = 5;'))
        self.assertEqual(r.returncode, 1)
        self.assertIn('idle_sleep: unknown key', self.error_line(r.stdout))

    def test_device_not_given_to_the_eal(self):
        r = self.gateway(self.config(device='net_null7'))
        self.assertEqual(r.returncode, 1)
        self.assertIn('port p0: no DPDK device "net_null7"', self.error_line(r.stdout))

    def test_lcore_not_in_the_eal(self):
        r = self.gateway(self.config(lcore=5))
        self.assertEqual(r.returncode, 1)
        self.assertIn('workers.[0].lcore: lcore 5 is not enabled in the EAL', self.error_line(r.stdout))

    def test_too_many_queues(self):
        # net_pcap on one interface has one queue pair; the config needs two
        # TX queues (the worker's and the agent thread's). Start-up stops
        # before the port is started, so nothing is sent on lo.
        r = self.gateway(self.config(device='net_pcap0'), vdevs=('net_pcap0,iface=lo',))
        self.assertEqual(r.returncode, 1)
        self.assertIn('port p0: device net_pcap0 has at most 1 RX and 1 TX queues; the config asks 1 and 2',
                      self.error_line(r.stdout))

    def test_starts_and_stops_cleanly(self):
        """A good config on net_null: up, then SIGTERM, exit 0, socket gone;
        each crypto engine, named in the start-up line."""
        for crypto, says in (('libsrtp', 'crypto libsrtp;'), ('burst', 'crypto burst (intel-ipsec-mb, ')):
            with self.subTest(crypto=crypto):
                self.start_and_stop('idle_sleep_us = 1000;\ncrypto = "%s";' % crypto, says)

    def test_heap_on_huge_pages(self):
        """heap_hugepages (default true): srtpgw re-executes itself once with
        glibc.malloc.hugetlb=1, and malloc's heap is marked for transparent
        huge pages (VmFlags hg); false, or an operator's own value of the
        tunable, leaves the heap as it is. The start-up line says which."""
        tunable = 'glibc.malloc.hugetlb'
        for top_extra, env, says, on in (
                ('', {}, "memory: malloc's heap on transparent huge pages (%s=1)" % tunable, True),
                ('heap_hugepages = false;', {}, "on ordinary pages: heap_hugepages = false", False),
                ('', {'GLIBC_TUNABLES': tunable + '=0'}, 'on ordinary pages: GLIBC_TUNABLES sets ' + tunable,
                 False)):
            with self.subTest(config=top_extra, env=env):
                def check(p):
                    environ = open('/proc/%d/environ' % p.pid, 'rb').read().split(b'\0')
                    self.assertEqual(('GLIBC_TUNABLES=%s=1' % tunable).encode() in environ, on)
                    if not ASAN:  # ASan's allocator is not glibc's: no [heap] of malloc's
                        self.assertEqual(self.heap_flags(p.pid).count(' hg'), 1 if on else 0)
                self.start_and_stop(top_extra, says, env=env, running=check)

    @staticmethod
    def heap_flags(pid):
        with open('/proc/%d/smaps' % pid) as f:
            lines = f.read().splitlines()
        at = [i for i, line in enumerate(lines) if line.endswith('[heap]')]
        assert at, 'no [heap] mapping'
        return next(line for line in lines[at[0]:] if line.startswith('VmFlags:')) + ' '

    def start_and_stop(self, top_extra, says, env=None, running=None):
        path = os.path.join(self.dir.name, 'srtpgw.conf')
        with open(path, 'w') as f:
            f.write(self.config(top_extra=top_extra))
        p = subprocess.Popen([SRTPGW] + EAL + ['--file-prefix', self.prefix, '--lcores', '0@0,1@1',
                                                '--vdev', 'net_null0,copy=1', '--', '--config', path],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             env=dict(os.environ, **(env or {})))
        try:
            seen = []
            for line in p.stdout:
                seen.append(line)
                if 'agent listening' in line:
                    break
            self.assertTrue(any(says in line for line in seen), seen)
            if running is not None:
                running(p)
            self.assertTrue(os.path.exists(os.path.join(self.dir.name, 'agent.sock')))
            p.terminate()
            self.assertEqual(p.wait(30), 0)
            self.assertFalse(os.path.exists(os.path.join(self.dir.name, 'agent.sock')))
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()


if __name__ == '__main__':
    unittest.main(verbosity=2)
