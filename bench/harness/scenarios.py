"""The benchmark scenarios (bench/README.md), each run interleaved: for every point of a
scenario and every run, each server in turn (A, B, C, A, B, C, ...), so
that the machine's drift hits all of them alike.

Servers run pinned to the server CPU, one worker each, and stay up for the
whole scenario (an idle server costs nothing); the load is pinned to the
load CPU.  Each measurement becomes one record: scenario, point, server,
run, ok, metrics (rates, latencies, CPU per operation), the CPU rates of
its window, the exact load command and the load's own JSON.

Scenario 6 (memory) lives in memory.py, scenario 8 (scaling) in
scaling.py, the system-call count in syscalls.py, the instruction count in
instructions.py and the perf profile in profile.py; scenario 7 (CPU per
operation) is read from the records of scenarios 1 and 4 by the report.
"""
import os
import shlex
import statistics
import subprocess
import time

from . import load, measure, procs, servers, stats

# How long and how much: `make bench` (full) and `make bench-quick` (quick).
# The full profile's duration on 2 cores is estimated in bench/README.md;
# keep the two in step.
PROFILES = {
    "full": {
        "runs": 5, "warmup": 0.5, "duration": 1.5,
        "pingpong": [(64, 1, 1), (64, 100, 1), (64, 1000, 1), (64, 10000, 1),
                     (4096, 100, 1), (64, 100, 16)],
        "stream": {"size": 65536, "conns": 10, "pipeline": 4},
        "latency": {"fractions": [0.25, 0.6, 1.0, 1.3], "max_fraction": 2.1,
                    "detail_at": 0.6},
        "latency_duration": 1.0,
        "cps": {"conns": 32, "warmup": 1.0, "duration": 5.0},
        "fairness": {"conns": 100, "fraction": 0.25, "flood_pipeline": 16},
        "memory": {"counts": [10000, "max"]},
        "syscalls": {"duration": 1.5},
        "instructions": {"duration": 1.0, "servers": ["echod", "libuv", "libevent", "threads"]},
        "profile": {"duration": 2.0},
        "scaling": {"duration": 2.0},
    },
    "quick": {
        "runs": 1, "warmup": 0.25, "duration": 0.5,
        "pingpong": [(64, 1, 1), (64, 100, 1), (64, 1000, 1), (64, 100, 16)],
        "stream": {"size": 65536, "conns": 10, "pipeline": 4},
        "latency": {"fractions": [0.25, 1.0], "max_fraction": 1.3, "detail_at": 0.25},
        "latency_duration": 0.5,
        "cps": {"conns": 32, "warmup": 0.5, "duration": 2.0},
        "fairness": {"conns": 100, "fraction": 0.25, "flood_pipeline": 16},
        "memory": {"counts": [1000]},
        "syscalls": {"duration": 1.0},
        "instructions": {"duration": 0.5, "servers": ["echod", "libuv"]},
        "profile": {"duration": 1.0},
        "scaling": {"duration": 0.5},
    },
}

INTERVAL_S = 0.1  # tcpload --interval at the latency point kept in detail


class Context:
    """What every scenario needs: programs, profile, results, CPUs, logs."""

    def __init__(self, bins, profile, results, log, server_cpu=0, load_cpu=1):
        self.bins, self.p, self.results, self.log = bins, profile, results, log
        self.server_cpu, self.load_cpu = server_cpu, load_cpu
        self.flood_cpu = flood_cpu(os.cpu_count() or 1, server_cpu, load_cpu)
        self.server_log = results.log_file("servers.log")
        self.load_log = results.log_file("loads.log")
        self.saturation = None  # echod's 64 B x 100 msgs/s, set by pingpong

    @property
    def tcpload(self):
        return self.bins["tcpload"]


def flood_cpu(cores, server_cpu, load_cpu):
    """The fairness flood's CPU: with 4 cores or more, the first that is
    neither the server's nor the load's; with fewer, the load's."""
    if cores < 4:
        return load_cpu
    return next(c for c in range(cores) if c not in (server_cpu, load_cpu))


def _label(size, conns, pipeline):
    s = f"{size if size < 1024 else str(size // 1024) + ' KiB'}{' B' if size < 1024 else ''}"
    return f"{s} x {conns}" + (f", pipeline {pipeline}" if pipeline > 1 else "")


def _start_all(ctx, scenario, server_list):
    """Starts every server; one that does not start is recorded as failed
    and left out of the scenario."""
    running = {}
    for s in server_list:
        try:
            running[s.name] = s.start(ctx.server_cpu, ctx.server_log)
        except RuntimeError as e:
            rec = {"scenario": scenario, "point": stats.SETUP, "params": {}, "server": s.name,
                   "run": 0, "ok": False, "error": f"did not start: {e}", "metrics": {}}
            ctx.results.add(rec)
            _say(ctx, rec)
    return running


def _stop_all(running):
    for r in running.values():
        r.stop()


def interleave(ctx, scenario, server_list, points, measure_fn, runs=None):
    """Runs measure_fn(ctx, running, point, run) for every point, run and
    server, servers innermost.  points are (label, point) pairs, a list or
    a generator that may look at the records of the points before.  A
    server found dead is restarted and the failure recorded."""
    runs = runs or ctx.p["runs"]
    running = _start_all(ctx, scenario, server_list)
    by_name = {s.name: s for s in server_list}
    try:
        for label, point in points:
            for run in range(runs):
                for name in list(running):
                    if not by_name[name].supports(point):
                        continue
                    if not running[name].alive():
                        running[name].stop()
                        running[name] = by_name[name].start(ctx.server_cpu, ctx.server_log)
                    rec = {"scenario": scenario, "point": label, "params": point,
                           "server": name, "run": run, "ok": False, "error": ""}
                    try:
                        rec.update(measure_fn(ctx, running[name], point, run))
                    except (RuntimeError, ValueError, KeyError, TypeError) as e:
                        rec["error"] = str(e)
                    ctx.results.add(rec)
                    _say(ctx, rec)
    finally:
        _stop_all(running)


def _say(ctx, rec):
    m = rec.get("metrics", {})
    fig = []
    for key, fmt in (("ops_per_s", "{:,.0f}/s"), ("mb_per_s", "{:,.1f} MB/s"),
                     ("p99_us", "p99 {:,.0f} us"), ("server_core_us", "core {:.2f} us/op"),
                     ("p99_ratio", "p99 x{:.2f}"), ("rss_per_conn", "{:,.0f} B/conn")):
        if m.get(key) is not None:
            fig.append(fmt.format(m[key]))
    status = ", ".join(fig) if rec["ok"] else "FAILED: " + rec.get("error", "")[:200]
    ctx.log(f"  {rec['scenario']:<9} {rec['point']:<22} {rec['server']:<14} run {rec['run'] + 1}: {status}")


def _add_cpu(ctx, m, cpu):
    """Adds the CPU per operation and both cores' busy shares to metrics m."""
    m.update(measure.per_op(cpu, m["ops_per_s"], ctx.server_cpu, ctx.load_cpu))
    if cpu:
        m["server_core_busy"] = cpu["core_busy"].get(str(ctx.server_cpu))
        m["load_core_busy"] = cpu["core_busy"].get(str(ctx.load_cpu))


def echo_measure(ctx, srv, point, run):
    """One tcpload echo run (closed loop, or open loop when point has a
    rate) with its CPU window."""
    if srv.name == "floor":
        return floor_measure(ctx, srv, point, run)
    duration = point.get("duration", ctx.p["duration"])
    warmup = ctx.p["warmup"]
    hist = ctx.results.log_path(f"histogram-{srv.name}-run{run + 1}.hgrm") \
        if point.get("detail") else None
    argv = load.echo_argv(ctx.tcpload, srv.addr, point["conns"], point["size"], warmup,
                          duration, point.get("pipeline", 1), point.get("rate"), histogram=hist,
                          interval=INTERVAL_S if hist else None)
    out, status, cpu = measure.run_load(argv, measure.Window(warmup, duration, point["conns"]),
                                        srv.pid, ctx.load_cpu, ctx.load_log)
    js = load.last_json(out)
    m = load.echo_summary(js)
    _add_cpu(ctx, m, cpu)
    if point.get("rate"):
        m["offered_per_s"] = point["rate"]
    detail = {"spectrum": load.spectrum(*load.read_hgrm(hist)),
              "over_time": load.intervals(out)} if hist and status == 0 else {}
    ok = status == 0 and not m["mismatches"]
    return {"ok": ok, "error": "" if ok else f"tcpload exit {status}, mismatches {m['mismatches']}",
            "metrics": m, "cpu": cpu, "command": shlex.join(argv), "load": load.stored(js),
            **detail}


def floor_measure(ctx, srv, point, run):
    """The kernel floor at one connection: its own round trips/s, the
    server core's time as for every server, and its server thread's own
    CPU time (the floor is one process: both of its threads are the
    "load" process, so the load's own times are left out)."""
    warmup, duration = ctx.p["warmup"], ctx.p["duration"]
    argv = load.floor_argv(ctx.bins["floor"], point["size"], warmup, duration,
                           ctx.server_cpu, ctx.load_cpu)
    out, status, cpu = measure.run_load(argv, measure.Window(warmup, duration), None, None,
                                        ctx.load_log)
    m = load.floor_summary(load.last_json(out))
    user_s, sys_s = m.pop("server_user_s"), m.pop("server_sys_s")
    _add_cpu(ctx, m, cpu)
    for key in ("load_user_us", "load_sys_us"):
        m.pop(key, None)
    m.update({"server_user_us": user_s / m["ops"] * 1e6, "server_sys_us": sys_s / m["ops"] * 1e6})
    return {"ok": status == 0, "metrics": m, "cpu": cpu, "command": shlex.join(argv)}


def pingpong(ctx):
    """Scenario 1: closed-loop ping-pong; the kernel floor at 1 connection."""
    points = [(_label(s, c, k), {"size": s, "conns": c, "pipeline": k})
              for s, c, k in ctx.p["pingpong"]]
    srvs = _with_splice(ctx, servers.echo_servers(ctx.bins)) + [servers.Floor()]
    interleave(ctx, "pingpong", srvs, points, echo_measure)
    ctx.saturation = _echod_rate(ctx, "pingpong", _label(64, 100, 1))


def _with_splice(ctx, srvs):
    """srvs with echod --splice after echod (it runs at its points only)."""
    return srvs[:1] + [servers.echod_splice(ctx.bins)] + srvs[1:]


def stream(ctx):
    """Scenario 2: 64 KiB writes on 10 connections, MB/s."""
    st = ctx.p["stream"]
    point = {"size": st["size"], "conns": st["conns"], "pipeline": st["pipeline"]}
    interleave(ctx, "stream", _with_splice(ctx, servers.echo_servers(ctx.bins)),
               [(_label(st["size"], st["conns"], st["pipeline"]), point)], echo_measure)


def _echod_rate(ctx, scenario, label):
    rates = [r["metrics"]["ops_per_s"] for r in ctx.results.records
             if r["scenario"] == scenario and r["point"] == label and r["server"] == "echod"
             and r["ok"] and r["metrics"].get("ops_per_s")]
    return statistics.median(rates) if rates else None


def saturation(ctx):
    """echod's closed-loop 64 B x 100 rate, measured now unless scenario 1
    already did in this run."""
    if ctx.saturation is None:
        interleave(ctx, "saturation", servers.echo_servers(ctx.bins)[:1],
                   [(_label(64, 100, 1), {"size": 64, "conns": 100, "pipeline": 1})],
                   echo_measure)
        ctx.saturation = _echod_rate(ctx, "saturation", _label(64, 100, 1))
    if not ctx.saturation:
        raise RuntimeError("could not measure echod's saturation rate")
    return ctx.saturation


def _latency_point(ctx, sat, f):
    rate = int(round(sat * f, -2))
    point = {"size": 64, "conns": 100, "rate": rate, "fraction": f,
             "duration": ctx.p["latency_duration"]}
    if f == ctx.p["latency"]["detail_at"]:
        point["detail"] = True
    return f"{int(round(f * 100))}% ({rate:,}/s)", point


def behind(m):
    """Whether an open-loop run's server fell behind the offered rate:
    tcpload says its replies fell behind, or fewer than 95% of the
    messages due were done (a load that only sent late is not the
    server's fault)."""
    share = m.get("rate_done_share")
    return m.get("rate_verdict") == "replies_behind" or (share is not None and share < 0.95)


def broke(records, scenario, label):
    """The servers that fell behind (behind()) in most of their runs at
    point label."""
    out = []
    for srv in stats.server_names(records, scenario, label):
        runs = [behind(r["metrics"]) for r in records
                if (r["scenario"], r["point"], r["server"]) == (scenario, label, srv) and r["ok"]]
        if runs and sum(runs) * 2 > len(runs):
            out.append(srv)
    return out


def _sweep(ctx, sat):
    """The latency points: the profile's fractions of sat, then steps of
    x1.25 past the last until some server breaks (a knee shows) or the
    fraction passes the profile's limit.  A generator: interleave() measures
    each point before it asks for the next."""
    lat = ctx.p["latency"]
    fractions = list(lat["fractions"])
    while fractions:
        f = fractions.pop(0)
        label, point = _latency_point(ctx, sat, f)
        yield label, point
        if not fractions and not broke(ctx.results.records, "latency", label) \
                and f * 1.25 <= lat["max_fraction"]:
            fractions.append(round(f * 1.25, 2))


def latency(ctx):
    """Scenario 3: open loop at fractions of echod's saturation, the same
    rates for every server, until one breaks; p50, p99, p99.9 against
    offered load, and at one point (detail_at) the whole percentile
    spectrum and the latency over time."""
    interleave(ctx, "latency", servers.echo_servers(ctx.bins), _sweep(ctx, saturation(ctx)),
               echo_measure)


def cps_measure(ctx, srv, point, run):
    c = ctx.p["cps"]
    argv = load.connect_argv(ctx.tcpload, srv.addr, c["conns"], c["warmup"], c["duration"])
    win = measure.Window(c["warmup"], c["duration"], c["conns"])
    out, status, cpu = measure.run_load(argv, win, srv.pid, ctx.load_cpu, ctx.load_log)
    js = load.last_json(out)
    m = load.connect_summary(js)
    _add_cpu(ctx, m, cpu)
    return {"ok": status == 0, "error": "" if status == 0 else f"tcpload exit {status}",
            "metrics": m, "cpu": cpu, "command": shlex.join(argv), "load": load.stored(js)}


def cps(ctx):
    """Scenario 4: hello-and-close connections per second, echod vs nginx."""
    c = ctx.p["cps"]
    interleave(ctx, "cps", servers.hello_servers(ctx.bins),
               [(f"{c['conns']} in flight", {"conns": c["conns"]})], cps_measure)


def fairness_measure(ctx, srv, point, run):
    """The p99 of 100 open-loop connections, alone and then beside one
    connection flooding 64 KiB writes, with the flood's own MB/s (a server
    that starves the flood looks fair) and every core's busy share.  The
    flood runs on a core of its own when there is one (ctx.flood_cpu);
    sharing the load core, it runs at nice 19 so that it takes that core
    only when the measuring load does not need it."""
    quiet = echo_measure(ctx, srv, point, run)
    settle = 0.3
    flood_argv = load.echo_argv(ctx.tcpload, srv.addr, 1, 65536, settle + ctx.p["warmup"],
                                ctx.p["duration"], point["flood_pipeline"])
    cmd = procs.pinned(ctx.flood_cpu, flood_argv)
    if ctx.flood_cpu == ctx.load_cpu:
        cmd = ["nice", "-n", "19"] + cmd
    ctx.load_log.write(f"$ {shlex.join(cmd)} &\n")
    flood = procs.start(cmd, stderr=ctx.load_log)
    try:
        time.sleep(settle)
        if flood.poll() is not None:
            raise RuntimeError(f"the flood load exited early with status {flood.returncode}")
        loud = echo_measure(ctx, srv, point, run)
        flood_js = load.last_json(_wait_output(flood, 10.0))
    finally:
        procs.stop(flood)
    q, l = quiet["metrics"], loud["metrics"]
    m = {"p99_us": q["p99_us"], "p99_flood_us": l["p99_us"], "p50_us": q["p50_us"],
         "p50_flood_us": l["p50_us"], "p999_us": q["p999_us"], "p999_flood_us": l["p999_us"],
         "ops_per_s": q["ops_per_s"], "ops_per_s_flood": l["ops_per_s"],
         "flood_mb_per_s": load.echo_summary(flood_js)["mb_per_s"],
         "server_core_busy": q.get("server_core_busy"), "load_core_busy": q.get("load_core_busy"),
         "server_core_busy_flood": l.get("server_core_busy"),
         "load_core_busy_flood": l.get("load_core_busy")}
    if ctx.flood_cpu != ctx.load_cpu and loud.get("cpu"):
        m["flood_core_busy"] = loud["cpu"]["core_busy"].get(str(ctx.flood_cpu))
    m["p99_ratio"] = l["p99_us"] / q["p99_us"] if q["p99_us"] else None
    ok = quiet["ok"] and loud["ok"]
    return {"ok": ok, "error": quiet.get("error") or loud.get("error", ""), "metrics": m,
            "command": loud["command"], "flood_command": shlex.join(cmd)}


def _wait_output(p, timeout):
    """p's stdout once it has exited by itself (within timeout seconds)."""
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f"the flood load did not finish within {timeout} s") from e
    return out.decode(errors="replace")


def fairness(ctx):
    """Scenario 5: one connection floods while 100 ping-pong connections
    measure their p99, compared with the same load without the flood."""
    f = ctx.p["fairness"]
    rate = int(round(saturation(ctx) * f["fraction"], -2))
    point = {"size": 64, "conns": f["conns"], "rate": rate,
             "flood_pipeline": f["flood_pipeline"]}
    interleave(ctx, "fairness", servers.echo_servers(ctx.bins),
               [(f"{f['conns']} x 64 B at {rate:,}/s", point)], fairness_measure)


def each_server(ctx, scenario, point, server_list, names, measure_fn, say_fn):
    """For the tracing scenarios (syscalls, instructions, profile): runs
    measure_fn(ctx, server) once for each server of server_list named in
    names, records what it returns (or the failure, at point) and logs
    say_fn(metrics)."""
    for server in server_list:
        if server.name not in names:
            continue
        try:
            rec = measure_fn(ctx, server)
        except (RuntimeError, ValueError, OSError, subprocess.SubprocessError) as e:
            rec = {"scenario": scenario, "point": point, "server": server.name,
                   "run": 0, "ok": False, "error": str(e), "metrics": {}}
        ctx.results.add(rec)
        ctx.log(f"  {scenario:<9} {server.name:<9} " + (
            say_fn(rec["metrics"]) if rec["ok"] else "FAILED: " + rec["error"]))
