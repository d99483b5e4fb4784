"""Medians, spreads and per-run ratios over a run's records.

A figure is reported as the median of its runs with the min-max spread;
a comparison as the median of per-run ratios (server / echod in the same
interleaved run), so that drift between runs cancels out.
"""
import statistics


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
