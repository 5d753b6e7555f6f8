"""Back-pressure for long isolation runs (--max-unread): the sources' rate
follows what the checker can check.

The checker is the scenario's bottleneck and the CPU it gets on a shared
machine varies. Its ring has room for a backlog (256 MiB), and a backlog
costs nothing as long as it stays bounded; an idle checker wastes the run's
time. So the pacer keeps a modest backlog rather than none:

- above the limit and growing: the checker is at its capacity, and its
  checked rate over the last interval is that capacity. The sources go to
  just below it (in source packets: checked frames per source packet,
  the fan-out, is learnt while the checker keeps up), never by more than
  a third at once, never below a tenth of --rate;
- above the limit and shrinking, or between a quarter of it and it:
  unchanged (the checker is busy and catching up);
- below a quarter of the limit: 3% faster, up to --rate.

The first version cut by 15% per report while the backlog grew and
climbed back by 2%: the backlog (counted in ring blocks, which a 10 ms
timeout retires even when nearly empty) lags the rate, the cuts overshot
down to a tenth of --rate, and the checker then sat idle for a minute
while the rate crept back. A 14-minute run averaged 8,700 checked a second
with the checker 16% idle.
"""


class Pacer:
    def __init__(self, max_rate, max_unread_mib, floor=0.1, headroom=0.95, max_cut=1 / 3, step_up=1.03):
        self.max_rate = float(max_rate)
        self.rate = float(max_rate)
        self.limit = max_unread_mib
        self.floor = floor * self.max_rate
        self.headroom, self.max_cut, self.step_up = headroom, max_cut, step_up
        self.fanout = None          # checked frames per source packet
        self.last = None            # (t, checked, unread) at the previous report

    def update(self, t, checked, unread_mib):
        """One checker progress report (time in s, its checked count, its
        unread backlog); returns the new source rate, or None if unchanged."""
        last, self.last = self.last, (t, checked, unread_mib)
        if last is None or t <= last[0]:
            return None
        thr = (checked - last[1]) / (t - last[0])
        new = self.rate
        if unread_mib == 0 and last[2] == 0:
            # keeping up for the whole interval: what it checked is what came
            f = thr / self.rate
            if f > 0:
                self.fanout = f if self.fanout is None else 0.7 * self.fanout + 0.3 * f
        elif unread_mib > self.limit and unread_mib >= last[2]:
            cap = thr / self.fanout * self.headroom if self.fanout else self.rate * 0.85
            new = max(min(cap, self.rate * 0.97), self.rate * (1 - self.max_cut))
        if unread_mib < self.limit / 4 and new == self.rate:
            new = self.rate * self.step_up
        new = min(max(new, self.floor), self.max_rate)
        if int(new) == int(self.rate):
            return None
        self.rate = new
        return int(new)
