"""Medians, spreads, per-run ratios and verdicts over a run's records.

A figure is reported as the median of its runs with the min-max spread;
a comparison as the median of per-run ratios (server / echod in the same
interleaved run), so that drift between runs cancels out.  A target's
verdict (verdict()) comes from that median and its spread: "met" or
"missed" only when every run agrees, "within noise" when the runs fall on
both sides of the target, and no verdict from fewer than MIN_RUNS runs.
"""
import statistics


MIN_RUNS = 5     # runs a verdict needs
SETUP = "setup"  # the point of a record saying a server could not be set up


def points(records, scenario):
    """The scenario's point labels, in the order they were measured
    (setup failures left out)."""
    seen = []
    for r in records:
        if r["scenario"] == scenario and r["point"] not in seen and r["point"] != SETUP:
            seen.append(r["point"])
    return seen


def params(records, scenario):
    """{point label: the point's parameters} for the scenario."""
    return {r["point"]: r.get("params", {}) for r in records if r["scenario"] == scenario}


def scaling_points(records, kind):
    """The scaling scenario's points of one kind ("messages/s" or
    "connections/s") that measure scaling: each worker on a core of its
    own (accepts-only points left out), fewest workers first."""
    par = params(records, "scaling")
    return [p for p in points(records, "scaling")
            if par[p].get("kind") == kind and not par[p].get("accepts_only")]


def server_names(records, scenario, point=None):
    seen = []
    for r in records:
        if r["scenario"] == scenario and (point is None or r["point"] == point) \
                and r["server"] not in seen:
            seen.append(r["server"])
    return seen


def values(records, scenario, point, server, key):
    """{run: value} of metric key over the successful runs."""
    out = {}
    for r in records:
        if (r["scenario"], r["point"], r["server"]) == (scenario, point, server) and r["ok"]:
            v = r.get("metrics", {}).get(key)
            if isinstance(v, (int, float)):
                out[r["run"]] = float(v)
    return out


class Summary:
    """median, lo, hi and n of some values (all None when there are none)."""

    def __init__(self, vals):
        vals = [v for v in vals if v is not None]
        self.n = len(vals)
        self.median = statistics.median(vals) if vals else None
        self.lo = min(vals) if vals else None
        self.hi = max(vals) if vals else None

    def __bool__(self):
        return self.n > 0


def summary(records, scenario, point, server, key):
    return Summary(values(records, scenario, point, server, key).values())


def ratio(records, scenario, point, server, key, base="echod", base_point=None):
    """Summary of value(server) / value(base) run by run, over the runs where
    both succeeded; base_point compares with another point of the same
    scenario."""
    a = values(records, scenario, point, server, key)
    b = values(records, scenario, base_point or point, base, key)
    return Summary([a[r] / b[r] for r in a if r in b and b[r]])


class Target:
    """A bound a figure must keep: op is "<=" or ">="."""

    def __init__(self, op, bound):
        if op not in ("<=", ">="):
            raise ValueError(f"target operator {op!r}")
        self.op, self.bound = op, bound

    def holds(self, x):
        return x <= self.bound if self.op == "<=" else x >= self.bound


MET, MISSED, NOISE, FEW, UNMEASURED = ("met", "missed", "within noise", "too few runs",
                                       "not measured")


def verdict(s, target, min_runs=MIN_RUNS):
    """The verdict on Summary s (per-run ratios or values) against target:
    UNMEASURED without runs, FEW with fewer than min_runs, MET when the
    whole spread keeps the target, MISSED when none of it does, NOISE when
    the spread straddles it."""
    if not s:
        return UNMEASURED
    if s.n < min_runs:
        return FEW
    lo, hi = target.holds(s.lo), target.holds(s.hi)
    if lo and hi:
        return MET
    if not lo and not hi:
        return MISSED
    return NOISE
