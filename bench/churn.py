"""Figure 5's change load: grants given and taken back on the benchmark's
streams, in transactions of `batch` ops, as fast as the agent takes them,
on the agent socket (tests/lib/agentproto.py). Each op replaces a stream's
entry in the flow table (a copy of the entry, its page, directory and the
root per transaction) without creating crypto contexts: it measures the
table's update path, not libsrtp's key set-up (docs/performance.md).

Per transaction, from the client's clock: t_commit (the write of BEGIN,
OPS, COMMIT, HELLO), t_applied (APPLIED read: published), t_end (the
HELLO's reply: the agent had waited for the grace period, so every worker
burst since uses the new version). publish-to-visible = t_end - t_commit.
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), 'tests', 'lib'))
import agentproto as ap  # noqa: E402


def _pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))] if xs else 0


def churn(sock, stream_ids, seconds, batch=1000, grantee=2):
    c = ap.AgentClient(sock)
    try:
        granted = set()
        changes = txns = 0
        visible, applied = [], []
        i = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            ops = []
            for _ in range(batch):
                sid = stream_ids[i % len(stream_ids)]
                i += 1
                if sid in granted:
                    ops.append(ap.grant_del(sid, grantee))
                    granted.discard(sid)
                else:
                    ops.append(ap.grant_add(sid, grantee))
                    granted.add(sid)
            r = c.transaction(ops)
            changes += len(ops)
            txns += 1
            visible.append(r.t_end - r.t_commit)
            applied.append(r.t_applied - r.t_commit)
        elapsed = time.monotonic() - t0
        # leave the streams as they were
        if granted:
            c.transaction([ap.grant_del(sid, grantee) for sid in sorted(granted)])
    finally:
        c.close()
    return {'changes': changes, 'txns': txns, 'seconds': elapsed, 'changes_per_s': changes / elapsed,
            'batch': batch,
            'visible_p50_us': _pct(visible, 50) / 1e3, 'visible_p99_us': _pct(visible, 99) / 1e3,
            'applied_p50_us': _pct(applied, 50) / 1e3, 'applied_p99_us': _pct(applied, 99) / 1e3}
