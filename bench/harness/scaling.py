"""Scenario 8: echod across cores, in both listener designs.

For W = 1, 2, 4, ... workers, as long as the machine has 2W cores: echod
with W workers pinned one to a core (--cpu-affinity) on CPUs 0..W-1, the
load with W threads on CPUs W..2W-1, so the load has as many cores as the
server.  For each listener design (one SO_REUSEPORT socket per worker, or
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


def worker_counts(cores, most=None):
    """(measured, unmeasured): the powers of two W with 2W <= cores (at
    most `most`), and the next one, which needs more cores than there are."""
    measured, w = [], 1
    while 2 * w <= cores and (most is None or w <= most):
        measured.append(w)
        w *= 2
    return measured, [w] if most is None or w <= most else []


def _point(w):
    return f"{w} worker" + ("s" if w > 1 else "")


def _measure(ctx, server, kind, w, run):
    """One fresh server, one load against it; returns the record."""
    srv_cpus, load_cpus = list(range(w)), list(range(w, 2 * w))
    rec = {"scenario": "scaling", "point": f"{_point(w)}, {kind}",
           "params": {"workers": w, "kind": kind}, "server": server.name, "run": run,
           "ok": False, "error": ""}
    srv = server.start(srv_cpus, ctx.server_log)
    try:
        argv, win = _load(ctx, srv.addr, kind, w)
        out, status, cpu = measure.run_load(argv, win, srv.pid, load_cpus, ctx.load_log)
    finally:
        _, summary = srv.stop_reading()
    js = load.last_json(out)
    m = load.echo_summary(js) if kind == "messages/s" else load.connect_summary(js)
    m.update(measure.per_op(cpu, m["ops_per_s"], srv_cpus, load_cpus))
    if cpu:
        m["server_core_busy"] = measure.cores_sum(cpu, "core_busy", srv_cpus) / w
        m["load_core_busy"] = measure.cores_sum(cpu, "core_busy", load_cpus) / w
    m["ops_per_s_per_worker"] = m["ops_per_s"] / w if m["ops_per_s"] else None
    m["worker_accepts"] = load.worker_accepts(summary)
    accepts = m["worker_accepts"]
    if accepts and sum(accepts):
        m["busiest_worker_share"] = max(accepts) / sum(accepts)
    rec.update({"ok": status == 0, "error": "" if status == 0 else f"tcpload exit {status}",
                "metrics": m, "cpu": cpu, "command": shlex.join(argv),
                "load": load.stored(js)})
    return rec


def _load(ctx, addr, kind, w):
    warmup, duration = ctx.p["warmup"], ctx.p["scaling"]["duration"]
    if kind == "messages/s":
        argv = load.echo_argv(ctx.tcpload, addr, ECHO_CONNS * w, 64, warmup, duration,
                              threads=w)
        return argv, measure.Window(warmup, duration, ECHO_CONNS * w)
    argv = load.connect_argv(ctx.tcpload, addr, CPS_CONNS * w, warmup, duration, threads=w)
    return argv, measure.Window(warmup, duration, CPS_CONNS * w)


def _servers(ctx, w, kind):
    mode = "echo" if kind == "messages/s" else "hello"
    out = [servers.echod_workers(ctx.bins, w, shared, mode) for shared in (False, True)]
    return out + ([servers.Nginx(w)] if kind == "connections/s" else [])


def scaling(ctx):
    """Scenario 8, interleaved: every run measures every worker count,
    kind and server in turn."""
    cores = os.cpu_count() or 1
    measured, unmeasured = worker_counts(cores, ctx.p["scaling"].get("max_workers"))
    ctx.results.meta["scaling_unmeasured"] = [
        f"{_point(w)}: needs {2 * w} cores ({w} for echod's workers, {w} for the load), "
        f"this machine has {cores}" for w in unmeasured]
    for run in range(ctx.p["runs"]):
        for w in measured:
            for kind in ("messages/s", "connections/s"):
                for server in _servers(ctx, w, kind):
                    try:
                        rec = _measure(ctx, server, kind, w, run)
                    except (RuntimeError, ValueError, KeyError) as e:
                        rec = {"scenario": "scaling", "point": f"{_point(w)}, {kind}",
                               "params": {"workers": w, "kind": kind}, "server": server.name,
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

