"""Failures of a fleet's gateways and what they cost at the viewers, for
tests/e2e/test_fleet_failover.py and bench/fleet_failover.py: a FleetNet
(fleet_net.py) with traffic through it (fleet_traffic.py).
"""
import time

from sgwtest import b64, new_key, wait_for
from fleet_traffic import Stream, Viewer


def add_streams(net, n, owner_of, viewers_of, suite, port):
    """n streams made through controller 0: stream s<i> of owner
    owner_of(i) listening on service address i and port, with viewers_of(i)
    viewers v<i>_<k>, each on a socket of its own in the hosts namespace,
    every key generated here. Returns the fleet_traffic.Streams."""
    c = net.ctl(0)
    streams = []
    for i in range(n):
        s = Stream(i, 's%d' % i, net.service[i], port, suite, new_key(suite))
        c.ctl('stream', 'add', s.name, '--owner', owner_of(i), '--listen', '%s:%d' % (s.addr, port),
              '--key', '-', input=b64(s.key))
        for k in range(viewers_of(i)):
            sock, vkey, name = net.host_socket(), new_key(suite), 'v%d_%d' % (i, k)
            c.ctl('viewer', 'add', name, '--stream', s.name, '--to', '%s:%d' % sock.getsockname(),
                  '--key', '-', input=b64(vkey))
            s.viewers.append(Viewer(s, name, sock, suite, vkey))
        streams.append(s)
    return streams


def placements(net, asker=0):
    """{stream name: gateway name or None} as controller `asker` sees them."""
    return {p['stream']: p.get('gateway') for p in net.ctl(asker).ctl('fleet', 'status')['placements']}


def on_gateway(net, i, asker=0):
    """The streams placed on gateway i."""
    return sorted(s for s, g in placements(net, asker).items() if g == net.name(i))


def busiest(net):
    """The gateway with the most streams (the lowest index of a tie)."""
    pl = placements(net)
    counts = [sum(1 for g in pl.values() if g == net.name(i)) for i in range(net.n)]
    return max(range(net.n), key=lambda i: (counts[i], -i))


def other_than(net, i):
    return next(j for j in range(net.n) if j != i)


def all_placed_off(net, i, asker, n_streams):
    pl = placements(net, asker)
    return len(pl) == n_streams and all(g is not None and g != net.name(i) for g in pl.values())


def fail_and_measure(net, traffic, i, fail, restore, settle=0.5, timeout=10.0):
    """Fail gateway i (fail()), wait until all its streams are placed on
    other gateways and every stream flows again at its viewers, then
    restore() and wait until the fleet is whole. Returns ({stream: its
    silence at the viewers, s, or None}, {the other streams' silences}):
    the first dict for the streams that were on gateway i."""
    lost = on_gateway(net, i)
    asker = other_than(net, i)
    t0 = time.monotonic()
    fail()
    wait_for(lambda: all_placed_off(net, i, asker, len(traffic.streams)), timeout,
             'the streams placed off %s' % net.name(i), interval=0.02)
    traffic.wait_all_flowing(timeout, after=time.monotonic())
    time.sleep(settle)  # gaps are measured up to a moment after all flow again
    gaps = traffic.gaps(t0, time.monotonic())
    restore()
    net.wait_ready()
    return {s: gaps[s] for s in lost}, {s: g for s, g in gaps.items() if s not in lost}


def p50(xs):
    xs = sorted(xs)
    return xs[len(xs) // 2] if xs else None
