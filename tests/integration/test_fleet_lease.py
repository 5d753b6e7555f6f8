"""The gateway's lease in a fleet and the data plane's deadline (docs/fleet.md,
"Gateways, leases and placement"): srtpgw-control with store = "etcd" holds
an etcd lease for its gateway while the gateway is there, keeps gw/<name>
under it, and after each keep-alive moves the gateway's deadline (LEASE).

The property that keeps two gateways from forwarding one stream: when the
controller dies (kill -9) or loses etcd, its gateway's deadline passes
*before* etcd expires the lease (gw/<name> disappears), and so before any
other gateway could be given its streams. Measured here on a real gateway
and a real etcd: the moment the gateway reports its deadline passed, and
the moment the key is gone. A clean stop gives the lease back at once.
"""
import base64
import os
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import SRTPGWCTL, Control, GatewayCase, pcap_port, wait_for  # noqa: E402
from etcd_cluster import EtcdCluster, http_json  # noqa: E402

GW4, PEER4 = '10.94.0.1', '10.94.0.2'
PREFIX = '/sgwt/lease/'
TTL = 1  # s: etcd's minimum with the harness's 500 ms election timeout


class FleetLease(GatewayCase):
    PEER_ADDRS = [PEER4 + '/24']

    @classmethod
    def port(cls):
        return pcap_port(cls.iface, [GW4 + '/24'], neighbours=[(PEER4, cls.ns_mac)])

    @classmethod
    def ready(cls):
        cls.etcd = EtcdCluster(1, res=cls.res)
        cls.kek = os.urandom(32)
        cls.n = 0

    def setUp(self):
        # a deadline left by the last test's controller would look like
        # this test's: start each one with the deadline passed
        r = self.gw.agentctl('lease', '1')
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_for(lambda: self.lease()[0] == 'expired', 5, 'the deadline to pass', interval=0.01)

    def controller(self, ttl=TTL):
        FleetLease.n += 1
        name = 'gw%d' % self.n
        c = Control(self.res, self.gw, [GW4], name=name, extra_config=(
            'store = "etcd";\netcd_endpoints = [ "%s" ];\netcd_prefix = "%s";\nfleet_gateway = "%s";\n'
            'fleet_lease_ttl = %d;\n' % (self.etcd.client_url(0), PREFIX, name, ttl)))
        with open(c.kek, 'wb') as f:
            os.fchmod(f.fileno(), 0o600)
            f.write(self.kek)
        c.fleet_name = name
        return c.start()

    def lease(self):
        st = self.gw.status()
        return st['lease'], st['lease_ms']

    def gw_key(self, name):
        """gw/<name> in etcd: its lease id, or None if the key is not there."""
        key = base64.b64encode((PREFIX + 'gw/' + name).encode()).decode()
        r = http_json(self.etcd.client_url(0) + '/v3/kv/range', {'key': key}, timeout=2.0)
        kvs = r.get('kvs', [])
        return int(kvs[0].get('lease', 0)) if kvs else None

    def armed(self):
        wait_for(lambda: self.lease()[0] == 'armed', 10, 'the gateway\'s deadline armed', interval=0.02)

    def test_deadline_kept_ahead_while_the_controller_lives(self):
        ttl = 2  # keep-alives every 500 ms, each deadline 1.6 s ahead
        c = self.controller(ttl)
        self.addCleanup(c.stop)
        self.armed()
        lease = self.gw_key(c.fleet_name)
        self.assertTrue(lease)  # under a lease
        # fleet status: this gateway and its lease, as etcd has it
        fs = c.ctl('fleet', 'status')
        self.assertEqual((fs['gateway'], fs['lease'], fs['lease_ttl']), (c.fleet_name, '%x' % lease, ttl))
        self.assertIn({'name': c.fleet_name, 'lease': '%x' % lease, 'streams': 0}, fs['gateways'])
        self.assertEqual(fs['placements'], [])
        text = subprocess.run([SRTPGWCTL, '--socket', c.sock, 'fleet', 'status'], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=30)
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertRegex(text.stdout, r'(?m)^gateway: %s$' % c.fleet_name)
        self.assertRegex(text.stdout, r'(?m)^GATEWAY +LEASE +STREAMS$')
        self.assertRegex(text.stdout, r'(?m)^%s +%x +0$' % (c.fleet_name, lease))
        self.assertRegex(text.stdout, r'(?m)^no streams$')
        # for 3 TTLs the deadline never passes: each keep-alive moves it
        worst = None
        end = time.monotonic() + 3 * ttl
        while time.monotonic() < end:
            state, left = self.lease()
            self.assertEqual(state, 'armed')
            worst = left if worst is None else min(worst, left)
            time.sleep(0.02)  # sampling interval of the deadline
        print('deadline ahead: at least %d ms over %d s' % (worst, 3 * ttl))
        self.assertLessEqual(worst, ttl * 1000)

    def test_kill9_deadline_passes_before_the_lease_expires(self):
        for round_ in range(3):
            c = self.controller()
            self.armed()
            wait_for(lambda: self.gw_key(c.fleet_name), 10, 'gw key in etcd', interval=0.02)
            t0 = time.monotonic()
            c.kill9()
            # never etcd's lease gone while the gateway still forwards: the
            # key is read first, so a key gone and then a deadline not yet
            # passed is a moment with the lease free and the gateway armed
            t_dead = t_gone = None
            while t_dead is None or t_gone is None:
                gone = self.gw_key(c.fleet_name) is None
                state = self.lease()[0]
                now = time.monotonic() - t0
                self.assertFalse(gone and state != 'expired',
                                 'lease gone at %.0f ms while the gateway was %s' % (now * 1000, state))
                if t_dead is None and state == 'expired':
                    t_dead = now
                if t_gone is None and gone:
                    t_gone = now
                self.assertLess(now, 10 * TTL, 'neither passed in time')
                time.sleep(0.005)  # sampling interval
            print('kill -9 #%d: deadline passed by %.0f ms, lease gone by %.0f ms (first seen)' % (
                round_, t_dead * 1000, t_gone * 1000))
            self.assertLessEqual(t_dead, t_gone)
            self.assertLessEqual(t_dead, TTL + 0.5)

    def test_clean_stop_gives_the_lease_back(self):
        c = self.controller()
        self.armed()
        wait_for(lambda: self.gw_key(c.fleet_name), 10, 'gw key in etcd', interval=0.02)
        t0 = time.monotonic()
        self.assertEqual(c.stop(), 0)
        gone = time.monotonic() - t0
        # revoked before the daemon exited: no waiting for the TTL
        self.assertIsNone(self.gw_key(c.fleet_name))
        print('clean stop: lease given back within %.0f ms' % (gone * 1000))
        wait_for(lambda: self.lease()[0] == 'expired', 2 * TTL, 'the deadline to pass', interval=0.02)

    def test_etcd_lost_then_back(self):
        c = self.controller()
        self.addCleanup(c.stop)
        self.armed()
        self.etcd.kill(0)
        try:
            t0 = time.monotonic()
            wait_for(lambda: self.lease()[0] == 'expired', 3 * TTL, 'the deadline to pass without etcd',
                     interval=0.01)
            # within the TTL (less its margin) of the last keep-alive; the
            # slack is the sampling's, under a loaded machine
            self.assertLessEqual(time.monotonic() - t0, TTL + 0.5)
        finally:
            self.etcd.start(0)
        # etcd back: a lease again (the old one may have expired), the
        # deadline armed again
        self.armed()
        wait_for(lambda: self.gw_key(c.fleet_name), 10, 'gw key in etcd again', interval=0.05)


if __name__ == '__main__':
    unittest.main(verbosity=2)
