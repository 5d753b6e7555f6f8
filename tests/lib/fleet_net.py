"""A fleet of gateways on one machine, for the fleet's tests (docs/fleet.md,
docs/testing.md "The fleet's network"):

    media switch 10.96.0.0/24                  management switch 10.95.0.0/24
    +-- gateway i: srtpgw in the root           +-- the root namespace, 10.95.0.254:
    |   namespace on net_af_packet,             |   the etcd members (client and
    |   10.96.0.(11+i)                          |   peer URLs on that address)
    +-- namespace "hosts" (cameras,             +-- namespace srv<i>, 10.95.0.(1+i):
        viewers): 10.96.0.100, more with            gateway i's srtpgw-control, which
        add_host_addr()                             reaches its srtpgw through the
                                                    agent socket (a pathname)

Service addresses, 10.96.0.200 and on, are in no gateway's configuration:
every controller has them as its listen_addresses, and the controller of
the gateway a stream is placed on adds the stream's address to its gateway
at run time (leased). partition(i) cuts srv<i> off the management switch
(the switch drops its frames, both ways: nothing is refused, packets
vanish), heal(i) plugs it back.

    res = Resources()
    net = FleetNet(res)            # 3 gateways, 3 etcd members, 1 s leases
    net.gw_keys()                  # ['gw0', 'gw1', 'gw2']: gw/<name> in etcd
    net.partition(2); net.heal(2)
    net.kill_gateway(1); net.start_gateway(1)
    net.close()                    # clean stops, exit codes checked
    res.cleanup()                  # namespaces, links, etcd, directories

Everything is registered on res, so a failing test leaves nothing behind.
"""
import base64
import json
import os
import urllib.error

from sgwtest import (Control, Gateway, NetNS, af_packet_port, run, switch, switch_port, uniq,
                     wait_for)
from etcd_cluster import EtcdCluster, http_json

MEDIA_NET = '10.96.0.'
MGMT_NET = '10.95.0.'
ETCD_HOST = MGMT_NET + '254'
HOSTS_FIRST = 100   # 10.96.0.100 .. 199: the hosts namespace
SERVICE_FIRST = 200  # 10.96.0.200 and on: service addresses


def _links(ns):
    return {l['ifname'] for l in json.loads(ns.run('ip', '-j', 'link', 'show').stdout)}


class FleetNet:
    def __init__(self, res, gateways=3, etcd_members=3, ttl=1, prefix=None, service_addrs=4,
                 gw_config='', ctl_config='', wait=True):
        """gateways gateways (each srtpgw with its srtpgw-control, store =
        "etcd", lease TTL ttl s) on etcd_members etcd members, keys under
        prefix (default /sgwt/fleet/). gw_config: more top-level srtpgw
        config text; ctl_config: more control.conf text. With wait, returns
        once every gateway's key is in etcd and its deadline armed."""
        assert 1 <= gateways <= 50 and 1 <= service_addrs <= 50
        self.res, self.n, self.ttl = res, gateways, ttl
        self.prefix = prefix or '/sgwt/fleet/'
        self.service = ['%s%d' % (MEDIA_NET, SERVICE_FIRST + k) for k in range(service_addrs)]
        self.kek = os.urandom(32)

        # the media network: the gateways' ports and the hosts
        self.media = switch(res)
        self.hosts = NetNS(res, uniq('hosts'))
        switch_port(res, self.media, self.hosts, [self.host_addr(0) + '/24'], ns_ifname='eth0')
        self.host_addrs = [self.host_addr(0)]

        # the management network: etcd in the root namespace, one
        # namespace per server for its controller
        self.mgmt = switch(res)
        self.mgmt_if = switch_port(res, self.mgmt)
        run('ip', 'addr', 'add', ETCD_HOST + '/24', 'dev', self.mgmt_if)
        # elections within 250-500 ms: a leader's death must not outlast a
        # 1 s lease's deadline (docs/fleet.md, "Leases and etcd's timeouts")
        self.etcd = EtcdCluster(etcd_members, res=res, host=ETCD_HOST, heartbeat_ms=50, election_ms=250)

        self.srv, self._srv_port, self.gw_ifaces, self._gws, self._ctls = [], [], [], [], []
        self._partitioned, self._killed = set(), set()
        for i in range(gateways):
            srv = NetNS(res, uniq('srv%d-' % i))
            before = _links(self.mgmt)
            switch_port(res, self.mgmt, srv, [self.mgmt_addr(i) + '/24'], ns_ifname='eth0')
            # the port's end inside the switch: what partition() disables
            port, = _links(self.mgmt) - before
            self.srv.append(srv)
            self._srv_port.append(port)
            iface = switch_port(res, self.media)
            self.gw_ifaces.append(iface)
            # two queue pairs: the worker reads both RX queues (the
            # kernel's fanout feeds each), the agent thread sends on its own
            self._gws.append(Gateway(res, ports=[af_packet_port(iface, [self.gw_addr(i) + '/24'], 2)],
                                     workers=[[('lan', 0), ('lan', 1)]], extra_config=gw_config))
        for i in range(gateways):
            self._gws[i].start()
            c = Control(res, self._gws[i], self.service, name='control', ns=self.srv[i], extra_config=(
                'store = "etcd";\netcd_endpoints = [ %s ];\netcd_prefix = "%s";\nfleet_gateway = "%s";\n'
                'fleet_lease_ttl = %d;\n%s\n' % (
                    ', '.join('"%s"' % self.etcd.client_url(j) for j in range(etcd_members)),
                    self.prefix, self.name(i), ttl, ctl_config)))
            # one fleet, one key-encryption key
            with open(c.kek, 'wb') as f:
                os.fchmod(f.fileno(), 0o600)
                f.write(self.kek)
            self._ctls.append(c)
        for c in self._ctls:
            c.start()
        if wait:
            self.wait_ready()

    # ---- names and addresses ------------------------------------------------
    def netns_names(self):
        """The network namespaces the fleet made (the two switches, hosts,
        the servers)."""
        return [self.media.name, self.mgmt.name, self.hosts.name] + [s.name for s in self.srv]

    def root_links(self):
        """The links it made in the root namespace (the gateways' ports,
        the management port)."""
        return list(self.gw_ifaces) + [self.mgmt_if]

    def name(self, i):
        """Gateway i's name in the fleet (fleet_gateway)."""
        return 'gw%d' % i

    def gw_addr(self, i):
        """Gateway i's own address on the media network (its config's)."""
        return '%s%d' % (MEDIA_NET, 11 + i)

    def mgmt_addr(self, i):
        """Server i's address on the management network (namespace srv<i>)."""
        return '%s%d' % (MGMT_NET, 1 + i)

    def host_addr(self, k):
        return '%s%d' % (MEDIA_NET, HOSTS_FIRST + k)

    def add_host_addr(self):
        """One more address in the hosts namespace (a camera or a viewer of
        its own): the next of 10.96.0.101..199. Returns it."""
        addr = self.host_addr(len(self.host_addrs))
        assert HOSTS_FIRST + len(self.host_addrs) < SERVICE_FIRST
        self.hosts.run('ip', 'addr', 'add', addr + '/24', 'dev', 'eth0')
        self.host_addrs.append(addr)
        return addr

    def host_socket(self, addr=None, port=0):
        """A UDP socket in the hosts namespace bound to addr (default the
        first host address); closed with res."""
        s = self.hosts.socket()
        self.res.add(s.close)
        s.bind((addr or self.host_addrs[0], port))
        return s

    # ---- the processes ------------------------------------------------------
    def gw(self, i):
        """Gateway i's srtpgw (sgwtest.Gateway)."""
        return self._gws[i]

    def ctl(self, i):
        """Gateway i's srtpgw-control (sgwtest.Control), in namespace srv<i>."""
        return self._ctls[i]

    def kill_gateway(self, i):
        """kill -9 of gateway i's srtpgw."""
        self._killed.add(('gw', i))
        self._gws[i].kill9()

    def start_gateway(self, i):
        self._gws[i].start()
        self._killed.discard(('gw', i))

    def kill_controller(self, i):
        """kill -9 of gateway i's srtpgw-control: its lease is left to expire."""
        self._killed.add(('ctl', i))
        self._ctls[i].kill9()

    def stop_controller(self, i):
        """A clean stop of gateway i's srtpgw-control (it gives its lease
        back); returns its exit code."""
        self._killed.add(('ctl', i))
        return self._ctls[i].stop()

    def start_controller(self, i):
        self._ctls[i].start()
        self._killed.discard(('ctl', i))

    # ---- the management network ---------------------------------------------
    def partition(self, i):
        """Cuts server i (its controller) off from etcd and the other
        servers: its port on the management switch is disabled, so the
        switch drops every frame from and to it. Its link stays up and its
        routes stay: what it sends vanishes, nothing is refused."""
        self.mgmt.run('bridge', 'link', 'set', 'dev', self._srv_port[i], 'state', '0')
        self._partitioned.add(i)

    def heal(self, i):
        """Ends partition(i): the port forwards again."""
        self.mgmt.run('bridge', 'link', 'set', 'dev', self._srv_port[i], 'state', '3')
        self._partitioned.discard(i)

    def port_state(self, i):
        """The state of server i's port on the management switch
        ("forwarding", "disabled")."""
        link, = json.loads(self.mgmt.run('bridge', '-j', 'link', 'show', 'dev', self._srv_port[i]).stdout)
        return link['state']

    # ---- what etcd and the gateways say -------------------------------------
    def gw_leases(self):
        """{name: lease id} of the gateways whose gw/<name> key is in etcd
        now, read (linearizable) from the first running member that
        answers, over etcd's JSON gateway."""
        start = (self.prefix + 'gw/').encode()
        end = start[:-1] + bytes([start[-1] + 1])
        body = {'key': base64.b64encode(start).decode(), 'range_end': base64.b64encode(end).decode()}
        errors = []
        for j in range(self.etcd.n):
            if not self.etcd.running(j):
                continue
            try:
                r = http_json(self.etcd.client_url(j) + '/v3/kv/range', body, timeout=2.0)
            except (OSError, ValueError, urllib.error.URLError) as e:
                errors.append('member %d: %s' % (j, e))
                continue
            return {base64.b64decode(kv['key'])[len(start):].decode(): int(kv.get('lease', 0))
                    for kv in r.get('kvs', [])}
        raise AssertionError('no etcd member answered a range: %s' % '; '.join(errors))

    def gw_keys(self):
        """The names of the gateways whose gw/<name> key is in etcd, sorted."""
        return sorted(self.gw_leases())

    def lease_state(self, i):
        """Gateway i's data-plane deadline: ("armed", ms left), ("expired",
        0) or ("none", 0), from its status."""
        st = self._gws[i].status()
        return st['lease'], st['lease_ms']

    def addrs(self, i):
        """Gateway i's addresses now (srtpgw-agentctl addrs): config-file
        and service addresses."""
        r = self._gws[i].agentctl('addrs')
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout)

    def wait_ready(self, timeout=30):
        """Until every running gateway with its controller up has its
        gw/<name> key in etcd and its deadline armed."""
        up = [i for i in range(self.n) if ('gw', i) not in self._killed and ('ctl', i) not in self._killed
              and i not in self._partitioned]
        want = sorted(self.name(i) for i in up)
        wait_for(lambda: set(want) <= set(self.gw_keys()), timeout,
                 'the keys of %s in etcd' % ', '.join(want), interval=0.05)
        for i in up:
            wait_for(lambda: self.lease_state(i)[0] == 'armed', timeout, '%s armed' % self.name(i),
                     interval=0.02)

    # ---- the end ------------------------------------------------------------
    def close(self):
        """Heals every partition, stops every controller (giving its lease
        back) and then every gateway, cleanly; raises if one exited
        non-zero or had died without being killed. Namespaces, links, etcd
        and directories go with res.cleanup()."""
        bad = []
        for i in sorted(self._partitioned):
            self.heal(i)
        for kind, procs in (('ctl', self._ctls), ('gw', self._gws)):
            for i, p in enumerate(procs):
                if p.proc is None:
                    continue
                if p.proc.poll() is not None:
                    if (kind, i) not in self._killed:
                        bad.append('%s %d died (exit %d)' % (kind, i, p.proc.returncode))
                    continue
                rc = p.stop()
                if rc != 0:
                    bad.append('%s %d exit %d:\n%s' % (kind, i, rc, p.read_log()[-4000:]))
        if bad:
            raise AssertionError('fleet: ' + '\n'.join(bad))
