"""The harness of the fleet's tests, tests/lib/fleet_net.py (docs/testing.md,
"The fleet's network"): three gateways, each srtpgw with its srtpgw-control
in a namespace of its own on a management network, three etcd members.

What it shows, on the real processes and a real etcd:
- every gateway's gw/<name> key is in etcd and every controller's
  `srtpgwctl fleet status` lists the three gateways;
- a partition of gateway 2's controller (its port on the management
  switch disabled) makes gateway 2's deadline pass and then its key go,
  in that order, while gateways 0 and 1 stay armed; healing brings its
  key and its deadline back;
- kill -9 of gateway 1's srtpgw makes its controller revoke its lease (the
  key goes at once, not at the TTL); a restarted srtpgw has a lease again;
- after the run no namespace, link, process or directory of it is left.
"""
import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
from sgwtest import Resources, run, wait_for  # noqa: E402
from fleet_net import FleetNet  # noqa: E402

TTL = 1  # s: etcd's minimum with the harness's 500 ms election timeout
ALL = ['gw0', 'gw1', 'gw2']


def root_state():
    """What a run may leave behind: network namespaces, the root
    namespace's links, the EAL's runtime directories."""
    dpdk = '/var/run/dpdk'
    return {'netns': sorted(run('ip', 'netns', 'list').stdout.split()),
            'links': sorted(l['ifname'] for l in json.loads(run('ip', '-j', 'link', 'show').stdout)),
            'dpdk': sorted(os.listdir(dpdk)) if os.path.isdir(dpdk) else []}


class FleetNetSmoke(unittest.TestCase):
    def test_fleet(self):
        before = root_state()
        res = Resources()
        procs, dirs, netns, links = [], [], [], []
        try:
            t0 = time.monotonic()
            net = FleetNet(res, gateways=3, etcd_members=3, ttl=TTL)
            print('fleet up in %.1f s' % (time.monotonic() - t0))
            procs = [p for i in range(3) for p in (net.gw(i).proc, net.ctl(i).proc)] + list(net.etcd.procs)
            dirs = [net.gw(i).dir for i in range(3)] + [net.etcd.dir]
            netns, links = net.netns_names(), net.root_links()
            self.assertEqual(len(netns), 6)
            self.assertTrue(set(netns) <= set(root_state()['netns']))
            self.check_layout(net)
            self.check_fleet(net)
            self.check_partition(net)
            self.check_gateway_kill(net)
            net.close()
        finally:
            res.cleanup()
        # nothing left: the namespaces, the links, the processes (every
        # one we started, each restart's too: the last is what procs has
        # for a restarted one, and the killed ones were waited for), the
        # directories. Ours by name, and nothing new at all (tests run one
        # at a time: flock /tmp/sgw-itest.lock)
        after = root_state()
        self.assertEqual(set(netns) & set(after['netns']), set())
        self.assertEqual(set(links) & set(after['links']), set())
        self.assertEqual(after, before)
        self.assertTrue(procs)
        for p in procs:
            self.assertIsNotNone(p.poll(), 'pid %d still running' % p.pid)
        for d in dirs:
            self.assertFalse(os.path.exists(d), d)

    def check_layout(self, net):
        """Each controller runs in its own namespace as the process we
        hold (ip netns exec execs it), etcd is on the management
        address, and the hosts reach every gateway."""
        for i in range(3):
            pid = net.ctl(i).proc.pid
            self.assertEqual(os.path.basename(os.readlink('/proc/%d/exe' % pid)), 'srtpgw-control')
            self.assertEqual(os.stat('/proc/%d/ns/net' % pid).st_ino,
                             os.stat('/var/run/netns/' + net.srv[i].name).st_ino)
            self.assertNotEqual(os.stat('/proc/%d/ns/net' % pid).st_ino, os.stat('/proc/self/ns/net').st_ino)
            self.assertEqual(net.port_state(i), 'forwarding')
        self.assertEqual(net.etcd.endpoints(),
                         ','.join('http://10.95.0.254:%d' % p for p in net.etcd.client_ports))
        self.assertTrue(all(u.startswith('http://10.95.0.254:') for u in map(net.etcd.peer_url, range(3))))
        for i in range(3):
            r = net.hosts.run('ping', '-c', '1', '-W', '2', net.gw_addr(i), check=False)
            self.assertEqual(r.returncode, 0, 'hosts to %s: %s' % (net.gw_addr(i), r.stdout))
            # its own address only: the service addresses are on no gateway
            self.assertEqual([a['address'] for a in net.addrs(i)], [net.gw_addr(i)])

    def check_fleet(self, net):
        leases = net.gw_leases()
        self.assertEqual(sorted(leases), ALL)
        for i in range(3):
            self.assertEqual(net.lease_state(i)[0], 'armed')
            fs = net.ctl(i).ctl('fleet', 'status')
            self.assertEqual((fs['gateway'], fs['lease'], fs['lease_ttl']),
                             (net.name(i), '%x' % leases[net.name(i)], TTL))
            self.assertEqual(sorted(g['name'] for g in fs['gateways']), ALL)
            self.assertEqual({g['name']: g['lease'] for g in fs['gateways']},
                             {n: '%x' % l for n, l in leases.items()})

    def others_armed(self, net, others):
        for j in others:
            state, left = net.lease_state(j)
            self.assertEqual(state, 'armed', '%s: %s' % (net.name(j), state))

    def check_partition(self, net):
        old = net.gw_leases()['gw2']
        t0 = time.monotonic()
        net.partition(2)
        self.assertEqual(net.port_state(2), 'disabled')
        # the deadline passes first, then etcd drops the lease; 0 and 1
        # stay armed throughout. The key is read before the state, so a key
        # seen gone with the gateway still armed is a real overlap.
        t_dead = t_gone = None
        while t_dead is None or t_gone is None:
            keys = net.gw_keys()
            state = net.lease_state(2)[0]
            now = time.monotonic() - t0
            self.assertFalse('gw2' not in keys and state != 'expired',
                             'gw2 gone from etcd at %.0f ms while its gateway was %s' % (now * 1000, state))
            self.assertEqual([k for k in keys if k != 'gw2'], ['gw0', 'gw1'])
            self.others_armed(net, (0, 1))
            if t_dead is None and state == 'expired':
                t_dead = now
            if t_gone is None and 'gw2' not in keys:
                t_gone = now
            self.assertLess(now, 10 * TTL, 'partition: deadline %s, key %s' % (t_dead, t_gone))
            time.sleep(0.01)  # sampling interval
        print('partition of gw2: deadline passed by %.0f ms, key gone by %.0f ms' % (
            t_dead * 1000, t_gone * 1000))
        self.assertLessEqual(t_dead, t_gone)
        self.assertLessEqual(t_dead, TTL + 0.5)
        # the cut-off controller lives on, and its gateway stays expired
        self.assertIsNone(net.ctl(2).proc.poll())
        self.assertEqual(net.lease_state(2)[0], 'expired')
        self.assertEqual(net.gw_keys(), ['gw0', 'gw1'])
        for i in (0, 1):
            fs = net.ctl(i).ctl('fleet', 'status')
            self.assertEqual(sorted(g['name'] for g in fs['gateways']), ['gw0', 'gw1'])

        t0 = time.monotonic()
        net.heal(2)
        self.assertEqual(net.port_state(2), 'forwarding')
        wait_for(lambda: 'gw2' in net.gw_keys(), 30, 'gw2 back in etcd', interval=0.05)
        t_key = time.monotonic() - t0
        wait_for(lambda: net.lease_state(2)[0] == 'armed', 30, 'gw2 armed again', interval=0.02)
        print('healed: key back in %.0f ms, armed in %.0f ms' % (t_key * 1000, (time.monotonic() - t0) * 1000))
        leases = net.gw_leases()
        self.assertEqual(sorted(leases), ALL)
        self.assertNotEqual(leases['gw2'], old)  # the old lease expired: a new one
        self.others_armed(net, (0, 1))
        wait_for(lambda: sorted(g['name'] for g in net.ctl(2).ctl('fleet', 'status')['gateways']) == ALL, 30,
                 'gw2 to list the fleet again', interval=0.05)
        self.assertEqual(net.ctl(2).ctl('fleet', 'status')['lease'], '%x' % leases['gw2'])

    def check_gateway_kill(self, net):
        old = net.gw_leases()['gw1']
        t0 = time.monotonic()
        net.kill_gateway(1)
        wait_for(lambda: 'gw1' not in net.gw_keys(), 5, 'gw1 gone from etcd', interval=0.005)
        gone = time.monotonic() - t0
        print('kill -9 of gw1\'s srtpgw: key gone in %.0f ms' % (gone * 1000))
        # revoked by its controller, not expired: its log says so, and the
        # key went well within the TTL
        wait_for(lambda: 'fleet: lease %x revoked' % old in net.ctl(1).read_log(), 5, 'the revocation logged')
        self.assertLess(gone, TTL * 0.75)
        self.assertEqual(net.gw_keys(), ['gw0', 'gw2'])
        self.others_armed(net, (0, 2))
        self.assertIsNone(net.ctl(1).proc.poll())

        t0 = time.monotonic()
        net.start_gateway(1)
        wait_for(lambda: 'gw1' in net.gw_keys(), 30, 'gw1 back in etcd', interval=0.05)
        wait_for(lambda: net.lease_state(1)[0] == 'armed', 30, 'gw1 armed again', interval=0.02)
        print('gw1 restarted: key and deadline back in %.0f ms' % ((time.monotonic() - t0) * 1000))
        leases = net.gw_leases()
        self.assertEqual(sorted(leases), ALL)
        self.assertNotEqual(leases['gw1'], old)
        self.others_armed(net, (0, 1, 2))


if __name__ == '__main__':
    unittest.main(verbosity=2)
