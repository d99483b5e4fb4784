"""Scenario 8: echod across cores, in both listener designs.

For W = 1, 2, 4, ... workers, as long as the machine has 2W cores: echod
with W workers pinned one to a core (--cpu-affinity) on CPUs 0..W-1, the
load with W threads on CPUs W..2W-1, so the load has as many cores as the
server.  A machine with cores for one worker only (2 or 3) adds two
workers sharing CPU 0, which measures how each design spreads accepts and
nothing else.  For each listener design (one SO_REUSEPORT socket per worker, or
--shared-listener) and each run: 64 B ping-pong on 100 connections per
worker (messages/s), and hello-and-close with 32 in flight per worker
(connections/s); nginx with W worker processes is the peer for
connections/s.  Each measurement starts a fresh server and stops it, so
echod's summary at exit gives that load's per-worker accept counts.

A worker count that needs more cores than the machine has is not run; the
run's meta names each one and why (scaling_unmeasured), for the report.
"""
import os
import shlex

from . import load, measure, servers

ECHO_CONNS = 100   # ping-pong connections per worker
CPS_CONNS = 32     # hello-and-close transactions in flight per worker
KINDS = ("messages/s", "connections/s")


class Point:
    """One worker count: echod's CPUs and the load's, and the load's
    threads.  accepts_only marks a point whose workers share a core: it
    shows how accepts spread, not how workers scale."""

    def __init__(self, workers, srv_cpus, load_cpus, accepts_only=False):
        self.workers, self.srv_cpus, self.load_cpus = workers, srv_cpus, load_cpus
        self.accepts_only = accepts_only
        self.name = f"{workers} worker" + ("s" if workers > 1 else "")
        if accepts_only:
            self.name += f" sharing CPU {','.join(map(str, srv_cpus))} (accepts only)"

    def label(self, kind):
        return f"{self.name}, {kind}"

    def params(self, kind):
        return {"workers": self.workers, "kind": kind, "accepts_only": self.accepts_only}


def worker_counts(cores, most=None):
    """(measured, unmeasured): the powers of two W with 2W <= cores (at
    most `most`), and the next one, which needs more cores than there are."""
    measured, w = [], 1
    while 2 * w <= cores and (most is None or w <= most):
        measured.append(w)
        w *= 2
    return measured, [w] if most is None or w <= most else []


def plan(cores, most=None):
    """(points, unmeasured worker counts).  Each measured W has CPUs
    0..W-1 for echod and W..2W-1 for the load.  When no two workers fit,
    two workers share CPU 0 against a load on CPU 1, for the accept spread
    alone."""
    measured, unmeasured = worker_counts(cores, most)
    points = [Point(w, list(range(w)), list(range(w, 2 * w))) for w in measured]
    if measured == [1]:
        points.append(Point(2, [0], [1], accepts_only=True))
    return points, unmeasured


def _measure(ctx, server, kind, pt, run):
    """One fresh server, one load against it; returns the record."""
    rec = {"scenario": "scaling", "point": pt.label(kind), "params": pt.params(kind),
           "server": server.name, "run": run, "ok": False, "error": ""}
    srv = server.start(pt.srv_cpus, ctx.server_log)
    try:
        argv, win = _load(ctx, srv.addr, kind, pt)
        out, status, cpu = measure.run_load(argv, win, srv.pid, pt.load_cpus, ctx.load_log)
    finally:
        _, summary = srv.stop_reading()
    js = load.last_json(out)
    m = load.echo_summary(js) if kind == "messages/s" else load.connect_summary(js)
    m.update(measure.per_op(cpu, m["ops_per_s"], pt.srv_cpus, pt.load_cpus))
    if cpu:
        m["server_core_busy"] = measure.cores_sum(cpu, "core_busy", pt.srv_cpus) / len(pt.srv_cpus)
        m["load_core_busy"] = measure.cores_sum(cpu, "core_busy", pt.load_cpus) / len(pt.load_cpus)
    m["ops_per_s_per_worker"] = m["ops_per_s"] / pt.workers if m["ops_per_s"] else None
    m["worker_accepts"] = load.worker_accepts(summary)
    accepts = m["worker_accepts"]
    if accepts and sum(accepts):
        m["busiest_worker_share"] = max(accepts) / sum(accepts)
    rec.update({"ok": status == 0, "error": "" if status == 0 else f"tcpload exit {status}",
                "metrics": m, "cpu": cpu, "command": shlex.join(argv),
                "load": load.stored(js)})
    return rec


def _load(ctx, addr, kind, pt):
    warmup, duration = ctx.p["warmup"], ctx.p["scaling"]["duration"]
    threads = len(pt.load_cpus)
    if kind == "messages/s":
        conns = ECHO_CONNS * pt.workers
        argv = load.echo_argv(ctx.tcpload, addr, conns, 64, warmup, duration, threads=threads)
    else:
        conns = CPS_CONNS * pt.workers
        argv = load.connect_argv(ctx.tcpload, addr, conns, warmup, duration, threads=threads)
    return argv, measure.Window(warmup, duration, conns)


def _servers(ctx, pt, kind):
    mode = "echo" if kind == "messages/s" else "hello"
    out = [servers.echod_workers(ctx.bins, pt.workers, shared, mode) for shared in (False, True)]
    with_nginx = kind == "connections/s" and not pt.accepts_only
    return out + ([servers.Nginx(pt.workers)] if with_nginx else [])


def scaling(ctx):
    """Scenario 8, interleaved: every run measures every point, kind and
    server in turn."""
    cores = os.cpu_count() or 1
    points, unmeasured = plan(cores, ctx.p["scaling"].get("max_workers"))
    ctx.results.meta["scaling_unmeasured"] = [
        f"{w} workers: needs {2 * w} cores ({w} for echod's workers, {w} for the load), "
        f"this machine has {cores}" for w in unmeasured]
    for run in range(ctx.p["runs"]):
        for pt in points:
            for kind in KINDS:
                for server in _servers(ctx, pt, kind):
                    try:
                        rec = _measure(ctx, server, kind, pt, run)
                    except (RuntimeError, ValueError, KeyError) as e:
                        rec = {"scenario": "scaling", "point": pt.label(kind),
                               "params": pt.params(kind), "server": server.name,
                               "run": run, "ok": False, "error": str(e), "metrics": {}}
                    ctx.results.add(rec)
                    _say(ctx, rec)


def _say(ctx, rec):
    m = rec["metrics"]
    if not rec["ok"]:
        ctx.log(f"  scaling   {rec['point']:<22} {rec['server']:<24} run {rec['run'] + 1}: "
                f"FAILED: {rec['error'][:200]}")
        return
    acc = m.get("worker_accepts")
    ctx.log(f"  scaling   {rec['point']:<22} {rec['server']:<24} run {rec['run'] + 1}: "
            f"{m['ops_per_s'] or 0:,.0f}/s, core {m.get('server_core_us') or 0:.2f} us/op"
            + (f", accepts per worker {'/'.join(map(str, acc))}" if acc else ""))

