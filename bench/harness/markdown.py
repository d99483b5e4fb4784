"""BENCHMARKS.md from one run's results: the machine, the method, the
performance targets with a verdict each (targets.py), a table per scenario
(median, min-max, ratio to echod), the plots, and the commands that
reproduce it.

A hand-written closing note (what limits a missed target, with the profile
that shows it) can be kept in bench/NOTES.md; it is copied in at the end.
"""
import os
import re

from . import fmt, results, scenarios, stats, targets
from .targets import PP_MAIN


# ---------------------------------------------------------------- header

def header(meta, run_dir):
    v = meta.get("versions", {})
    s = meta.get("settings", {})
    sysctl = meta.get("sysctl", {})
    rows = [
        ("Machine", f"{meta.get('cpu_model')}, {meta.get('cores')} cores, "
                    f"{meta.get('memory_gib')} GiB"),
        ("Kernel", meta.get("kernel")),
        ("Commit", f"`{meta.get('commit')}`"),
        ("Date", meta.get("date")),
        ("Command", f"`{meta.get('make_target')}` = `{meta.get('command')}` "
                    f"({fmt.n(meta.get('elapsed_s'))} s)"),
        ("Runs", f"{s.get('runs')} interleaved per point; warm-up {s.get('warmup')} s, "
                 f"measured {s.get('duration')} s (latency {s.get('latency_duration')} s, "
                 f"connections/s {s.get('cps', {}).get('duration')} s)"),
        ("CPUs", f"server on CPU {meta.get('server_cpu')}, load on CPU {meta.get('load_cpu')}"),
        ("Load average at start", meta.get("loadavg_at_start")),
        ("Limits", f"ulimit -n {'/'.join(meta.get('nofile', []))}; "
                   f"somaxconn {sysctl.get('net.core.somaxconn')}; "
                   f"tcp_tw_reuse {sysctl.get('net.ipv4.tcp_tw_reuse')}; ports "
                   f"{' to '.join(str(sysctl.get('net.ipv4.ip_local_port_range', '')).split())}"),
        ("Peers", f"libuv {v.get('libuv')}, libevent {v.get('libevent')}, node {v.get('node')}, "
                  f"nginx {v.get('nginx')}; {v.get('cc')}"),
        ("Raw results", f"`{run_dir}` (results.json, results.csv, logs/)"),
    ]
    return ("# Benchmarks\n\n" + dirty_warning(meta) +
            "echod beside its peers and the kernel floor, every figure measured in the same "
            "interleaved run as the figures it is compared with.  Written by `bench/report` "
            "from one run of `bench/run`; rerun it with `make bench` (about 20 minutes on 2 "
            "cores), "
            "or `make bench-quick` (under 2 minutes, report in the run's folder) to check a "
            "change.  How the harness works: [bench/README.md](bench/README.md).\n\n" +
            fmt.table(["", ""], rows))


def dirty_warning(meta):
    """A bold paragraph when the run measured a tree with uncommitted
    changes: its figures belong to no commit."""
    dirty = results.tree(meta)["dirty"]
    if not dirty:
        return ""
    shown = ", ".join(f"`{p}`" for p in dirty[:8]) + (" ..." if len(dirty) > 8 else "")
    return (f"**Not a result: this run measured a working tree with uncommitted changes "
            f"({shown}), not commit `{meta.get('commit')}`.  Its "
            "figures belong to no commit; run `make bench` on a clean tree for a report.**\n\n")


def method(meta):
    names = ", ".join(f"**{k}** ({v['note']})" for k, v in meta.get("servers", {}).items())
    hello = ", ".join(f"**{k}** ({v['note']})" for k, v in meta.get("hello_servers", {}).items())
    return f"""
## Method

- Servers: {names}.  Hello-and-close: {hello}.
- Each server runs with one worker pinned to CPU {meta.get('server_cpu')} (`taskset`); the
  load, `bin/tcpload` with one thread, is pinned to CPU {meta.get('load_cpu')}.  For every point,
  each run measures every server in turn (A, B, C, A, B, C, ...), so drift hits all alike.
- A figure is the **median** of the runs with its **min–max**; "x echod" is the median of the
  per-run ratios to echod measured in the same run.
- CPU: **core µs/op** is the server CPU's busy time (`/proc/stat`: user, nice, system, irq
  and softirq, so the kernel's softirq work on that core counts; idle, iowait and steal,
  the time the hypervisor ran another guest, excluded) divided by the operations served;
  **user** and **sys** are the server's own times (`/proc/PID/stat`, children included) per
  operation, sampled inside the measuring window.  The kernel splits user from system time
  by sampling once per tick (10 ms), so a small user share is noisy; section 7 adds exact
  user-space instruction counts from callgrind.  **CPU0/CPU1 busy** show which side is
  saturated: on this 2-core machine the load generator is often the bottleneck, and on
  loopback each side's core also does part of the other's receive work, so when CPU1 is near
  100% read the per-operation costs rather than the rate.
"""


# ---------------------------------------------------------------- scenarios

def _per_server(recs, scenario, point, row):
    """One table row per server at point: row(srv, g), where g(key) is the
    Summary of that metric over srv's runs."""
    return [row(srv, lambda k, srv=srv: stats.summary(recs, scenario, point, srv, k))
            for srv in stats.server_names(recs, scenario, point)]


def _rate_rows(recs, scenario, point, unit_mb=True):
    def row(srv, g):
        ops = g("ops_per_s")
        out = [srv, fmt.n(ops.median), fmt.spread(ops),
               fmt.ratio(stats.ratio(recs, scenario, point, srv, "ops_per_s"))]
        if unit_mb:
            out.append(fmt.n(g("mb_per_s").median, 1))
        return out + [fmt.us(g("server_core_us").median), fmt.us(g("server_user_us").median),
                      fmt.us(g("server_sys_us").median),
                      fmt.ratio(stats.ratio(recs, scenario, point, srv, "server_core_us")),
                      fmt.pct(g("server_core_busy").median), fmt.pct(g("load_core_busy").median)]
    return _per_server(recs, scenario, point, row)


def _rate_table(recs, scenario, point, what="messages/s", unit_mb=True, op="msg"):
    heads = ["server", what, "min–max", "x echod"] + (["MB/s"] if unit_mb else []) + \
            [f"core µs/{op}", f"user µs/{op}", f"sys µs/{op}", "core x echod",
             "CPU0 busy", "CPU1 busy"]
    return fmt.table(heads, _rate_rows(recs, scenario, point, unit_mb))


def _plot(plots, kind, alt):
    return f"\n![{alt}]({plots[kind]})\n" if kind in plots else ""


def pingpong(recs, plots):
    out = ["\n## 1. Ping-pong\n\nClosed loop: each connection sends a message and waits for "
           "all of it to come back (`--pipeline 16`: sixteen in flight).  The kernel floor "
           "(`floor`) is two blocking threads doing the same over one loopback connection, "
           "client and server pinned like the others; no echo server driven by any client can "
           "beat it at one connection.\n"]
    out.append(_plot(plots, "throughput", "messages/s against connections"))
    for p in stats.points(recs, "pingpong"):
        out.append(f"\n### {p}\n\n" + _rate_table(recs, "pingpong", p))
    out.append(fmt.failures(recs, "pingpong"))
    return "".join(out)


def stream(recs, plots):
    out = ["\n## 2. Streaming\n\n64 KiB writes on 10 connections, four in flight on each; "
           "MB/s is what came back.\n"]
    out.append(_plot(plots, "stream", "streaming MB/s and server-core time per 64 KiB"))
    for p in stats.points(recs, "stream"):
        out.append(f"\n### {p}\n\n" + _rate_table(recs, "stream", p, op="64 KiB"))
    out.append(fmt.failures(recs, "stream"))
    return "".join(out)


def latency(recs, plots):
    labels = stats.points(recs, "latency")
    if not labels:
        return ""
    sat = [r for r in recs if r["scenario"] in ("pingpong", "saturation")
           and r["point"] == PP_MAIN and r["server"] == "echod" and r["ok"]]
    out = ["\n## 3. Latency under load\n\nOpen loop (`-R`): 100 connections, 64 B, the "
           "offered rate a fraction of echod's closed-loop saturation at 64 B x 100 measured in "
           f"this run ({fmt.n(stats.Summary([r['metrics']['ops_per_s'] for r in sat]).median)} "
           "messages/s), the same rates for every server.  Latency runs from each message's "
           "scheduled send time, or from its send when tcpload sent it ahead of that time "
           "(one wakeup sends what is due within its `--slack`), so a server that falls "
           "behind shows it (no coordinated omission).  The sweep goes past 100% until some server falls behind the offered "
           "rate in most of its runs (its replies fall behind, or fewer than 95% of the "
           "messages due are done): that is the knee.  A run whose load could not send on "
           "schedule counts as \"load late\": its latency includes the load's own delay.\n"]
    out.append(_plot(plots, "latency", "latency percentiles against offered load"))
    out.append(_plot(plots, "spectrum", "latency against percentile at one load"))
    out.append(_plot(plots, "over_time", "latency over time at one load"))
    for p in labels:
        def row(srv, g, p=p):
            p99 = g("p99_us")
            return [srv, fmt.n(g("ops_per_s").median), _rate_verdicts(recs, p, srv),
                    fmt.us(g("p50_us").median), fmt.us(p99.median), fmt.spread(p99, fmt.us),
                    fmt.us(g("p999_us").median),
                    fmt.ratio(stats.ratio(recs, "latency", p, srv, "p99_us")),
                    fmt.us(g("server_core_us").median)]
        rows = _per_server(recs, "latency", p, row)
        out.append(f"\n### offered {p}\n\n" + fmt.table(
            ["server", "achieved/s", "runs: kept / load late / server behind", "p50 µs",
             "p99 µs", "p99 min–max", "p99.9 µs",
             "p99 x echod", "core µs/msg"], rows))
    out.append(fmt.failures(recs, "latency"))
    return "".join(out)


def _rate_verdicts(recs, point, srv):
    """How many of srv's runs at point kept the rate, had tcpload send late
    (the load's core, not the server), or fell behind (scenarios.behind)."""
    runs = [r["metrics"] for r in recs if (r["scenario"], r["point"], r["server"]) ==
            ("latency", point, srv) and r["ok"]]
    late = sum(1 for m in runs if not scenarios.behind(m) and not m.get("rate_kept", True))
    slow = sum(1 for m in runs if scenarios.behind(m))
    return f"{len(runs) - late - slow} / {late} / {slow}"


def cps(recs, plots):
    out = ["\n## 4. Connections per second\n\nHello-and-close: each transaction connects, "
           "reads the 13-byte banner until EOF and closes with RST (`--linger0`), from source "
           "addresses 127.0.0.2-254 (`--source`) so the client never runs out of ports.\n"]
    out.append(_plot(plots, "cps", "connections per second"))
    for p in stats.points(recs, "cps"):
        out.append(f"\n### {p}\n\n" + _rate_table(recs, "cps", p, "connections/s", False,
                                                    "conn"))
    out.append(fmt.failures(recs, "cps"))
    return "".join(out)


def fairness(recs, plots):
    out = ["\n## 5. Fairness\n\n100 connections send 64 B open loop and measure their p99, "
           "alone, then while one more connection floods the server with 64 KiB writes "
           "(sixteen in flight, never pausing).  With 4 cores or more the flood has a core of "
           "its own; with fewer it shares the load's core at `nice 19`.  The ratio is flood / "
           "alone, run by run.  The flood's own MB/s stands beside it (a server that starves "
           "the flood looks fair), with both cores' busy share under the flood: when the "
           f"load's core is {fmt.pct(targets.SATURATED)} busy or more, the p99 measures the "
           "load generator and the verdict is \"not measurable\".\n"]
    out.append(_plot(plots, "fairness", "p99 alone and under a flood"))
    for p in stats.points(recs, "fairness"):
        rows = _per_server(recs, "fairness", p, _fairness_row)
        out.append(f"\n### {p}\n\n" + fmt.table(
            ["server", "p99 alone µs", "p99 flood µs", "p99 flood / alone", "flood MB/s",
             "flood min–max", "server core alone", "server core flood", "load core flood",
             "p99 ratio"], rows))
    out.append(fmt.failures(recs, "fairness"))
    return "".join(out)


def _fairness_row(srv, g):
    busy, own = g("load_core_busy_flood"), g("flood_core_busy")
    load = fmt.pct(busy.median) + (f" (flood's core {fmt.pct(own.median)})" if own else "")
    return [srv, fmt.us(g("p99_us").median), fmt.us(g("p99_flood_us").median),
            fmt.ratio(g("p99_ratio")), fmt.n(g("flood_mb_per_s").median),
            fmt.spread(g("flood_mb_per_s")), fmt.pct(g("server_core_busy").median),
            fmt.pct(g("server_core_busy_flood").median), load,
            "not measurable" if busy and busy.median >= targets.SATURATED else "measured"]


def memory(recs, plots):
    labels = stats.points(recs, "memory")
    if not labels:
        return ""
    out = ["\n## 6. Memory per idle connection\n\nIdle connections held open by `tcpload "
           "hold` (several processes, from 127.0.0.2-254), first to the first count, then to "
           "as many as the server's open-file limit allows.  RSS growth is the server's "
           "resident set after minus before, divided by the connections it really holds (its "
           "descriptor count).  Slab is the kernel's (`/proc/meminfo`), for both ends of each "
           "loopback connection.\n"]
    out.append(_plot(plots, "memory", "memory per idle connection"))
    for p in labels:
        def row(srv, g, p=p):
            rss = g("rss_per_conn")
            return [srv, fmt.n(g("conns").median), fmt.n(rss.median), fmt.spread(rss),
                    fmt.ratio(stats.ratio(recs, "memory", p, srv, "rss_per_conn")),
                    fmt.n(g("slab_per_conn").median), fmt.n(g("kernel_per_conn").median)]
        rows = _per_server(recs, "memory", p, row)
        out.append(f"\n### {p}\n\n" + fmt.table(
            ["server", "connections", "RSS B/conn", "min–max", "x echod",
             "slab B/conn (both ends)", "+ kernel stacks, page tables"], rows))
    out.append(extrapolation(recs, labels[-1]))
    out.append(fmt.failures(recs, "memory"))
    return "".join(out)


def extrapolation(recs, point):
    slab = stats.Summary([stats.summary(recs, "memory", point, s, "slab_per_conn").median
                          for s in stats.server_names(recs, "memory", point) if s != "threads"])
    if not slab:
        return ""
    kernel = slab.median / 2
    rows = []
    for srv in stats.server_names(recs, "memory", point):
        user = stats.summary(recs, "memory", point, srv, "rss_per_conn").median
        if user is None:
            continue
        own = stats.summary(recs, "memory", point, srv, "kernel_per_conn").median
        k = own - kernel if srv == "threads" and own is not None else kernel
        rows.append([srv, fmt.n(user * 1e6 / 2**20), fmt.n(k * 1e6 / 2**20),
                     fmt.n((user + k) * 1e6 / 2**30, 1)])
    return (f"\n### A million connections\n\nExtrapolated from the figures at {point}: the "
            f"server's RSS per connection, plus the kernel's share for the server's end "
            f"(half the slab growth per loopback connection: {fmt.n(kernel)} B; for the threads "
            "peer, its whole kernel growth, kernel stacks included, less the client end).  Idle sockets hold no "
            "buffer memory; a busy one can hold up to `tcp_rmem`/`tcp_wmem` more.\n\n" +
            fmt.table(["server", "user MiB", "kernel MiB", "total GiB"], rows) + """
To measure it for real on a machine with the memory: raise the limits first
(`sysctl -w fs.nr_open=1100000`, then `ulimit -n 1100000` in the shell that starts
echod and each `tcpload hold`), give the clients enough source addresses (about 28,000
ports each: `--source 127.0.0.2-127.0.0.254` covers 7 million), raise
`net.core.somaxconn` and `net.ipv4.tcp_max_orphans` if needed, and run for example
`bin/echod --workers 1 --listen 127.0.0.1:7007` with several
`bin/tcpload hold 127.0.0.1:7007 -c 250k --connect-rate 50k --source 127.0.0.2-127.0.0.254 -d 10m`
(one process per 250,000 connections, or one with a raised limit), reading
`/proc/PID/smaps_rollup` and `/proc/meminfo` before and after.
""")


def cpu(recs, plots):
    pts = [("pingpong", p) for p in stats.points(recs, "pingpong")] + \
          [("cps", p) for p in stats.points(recs, "cps")]
    rows = []
    for sc, p in pts:
        for srv in stats.server_names(recs, sc, p):
            g = lambda k: stats.summary(recs, sc, p, srv, k).median  # noqa: E731
            core, kern = g("server_core_us"), g("server_core_kernel_us")
            rows.append([("connections/s, " if sc == "cps" else "") + p, srv, fmt.us(core),
                         fmt.us(g("server_core_user_us")), fmt.us(kern),
                         fmt.pct(kern / core if kern is not None and core else None),
                         fmt.us(g("server_user_us")), fmt.us(g("server_sys_us")),
                         fmt.ratio(stats.ratio(recs, sc, p, srv, "server_user_us"))])
    out = ["\n## 7. CPU cost per operation\n\nFor every server of scenarios 1 and 4, per "
           "message (per connection for connections/s): its core's busy time, split by "
           "`/proc/stat` into user space and kernel (system, irq, softirq; steal excluded), "
           "the same quantity for every server whatever its processes and threads; then its "
           "own user and system time from `/proc/PID/stat`.  User time is what the server's "
           "own code costs, the part a server can change; the kernel's is the price of its "
           "system calls and of the TCP work on its core.\n"]
    out.append(_plot(plots, "cpu", "CPU time per message"))
    if rows:
        out.append("\n" + fmt.table(["point", "server", "core µs/op", "core: user", "core: kernel",
                                      "kernel share", "own user µs/op", "own sys µs/op",
                                      "own user x echod"], rows))
    out.append(instructions(recs))
    out.append(syscalls(recs))
    out.append(perf_profile(recs))
    return "".join(out)


def scaling(recs, meta, plots):
    """Section 8: echod across cores in both listener designs, nginx beside."""
    pts = stats.points(recs, "scaling")
    missing = meta.get("scaling_unmeasured") or []
    if not pts and not missing:
        return ""
    out = ["\n## 8. Scaling across cores\n\nechod with W workers, one per core: `taskset -c "
           "0..W-1 bin/echod --workers W --cpu-affinity --mode echo|hello --json`, with one "
           "`SO_REUSEPORT` listener per worker (the default) or `--shared-listener`, against "
           "a load of W threads (`tcpload -t W`) on CPUs W..2W-1; "
           "per worker 100 ping-pong connections (64 B) or 32 hello-and-close transactions in "
           "flight.  Each measurement starts a fresh server, so echod's summary at exit gives "
           "that load's accepts per worker, which show how evenly each listener design "
           "spreads connections.  nginx runs with as many workers.\n"]
    out += [f"\nNot measured here: {m}.\n" for m in missing]
    measured = stats.scaling_points(recs, "connections/s")
    if measured and stats.params(recs, "scaling")[measured[-1]].get("workers") == 1:
        out.append("\nOn this machine only one worker has a core of its own beside a load "
                   "core, so the scaling points measure what one worker does alone, not how "
                   "workers scale.  The points marked \"accepts only\" run two workers on "
                   "one core: their rates are not scaling figures, but their accepts per "
                   "worker show how each listener design spreads connections.\n")
    out.append(_plot(plots, "scaling", "connections/s per worker against workers"))
    for p in pts:
        def row(srv, g, p=p):
            ops = g("ops_per_s")
            return [srv, fmt.n(ops.median), fmt.spread(ops),
                    fmt.n(g("ops_per_s_per_worker").median), fmt.us(g("server_core_us").median),
                    fmt.pct(g("server_core_busy").median), fmt.pct(g("load_core_busy").median),
                    _accepts(recs, p, srv)]
        rows = _per_server(recs, "scaling", p, row)
        out.append(f"\n### {p}\n\n" + fmt.table(
            ["server", "per second", "min–max", "per worker", "core µs/op",
             "server cores busy", "load cores busy", "accepts per worker, each run"], rows))
    out.append(fmt.failures(recs, "scaling"))
    return "".join(out)


def _accepts(recs, point, srv):
    runs = [r["metrics"].get("worker_accepts") for r in recs
            if (r["scenario"], r["point"], r["server"]) == ("scaling", point, srv) and r["ok"]]
    shown = ["/".join(fmt.n(a) for a in acc) for acc in runs if acc and len(acc) > 1]
    return "; ".join(shown) if shown else "–"


def perf_profile(recs):
    done = [r for r in recs if r["scenario"] == "profile" and r["ok"]]
    if not done:
        return fmt.failures(recs, "profile")
    rows = [[r["server"], f"{r['metrics']['user_pct']:.1f}%", f"{r['metrics']['kernel_pct']:.1f}%",
             f"{r['metrics']['idle_pct']:.1f}%", f"{r['metrics']['other_pct']:.1f}%"]
            for r in done]
    out = ["\n### Where the server's core goes (perf)\n\n`perf record -e cpu-clock -a -C 0` "
           "(software clock: this virtual machine has no hardware counters) while each server "
           "serves 64 B ping-pong on 100 connections; shares of all samples on the server's "
           "CPU.\n\n" + fmt.table(["server", "its user space", "kernel on its behalf",
                                  "idle", "other tasks"], rows)]
    for r in done:
        out.append(f"\nHottest symbols on CPU 0, {r['server']}:\n\n" + fmt.table(
            ["share", "task", "side", "symbol"],
            [[f"{t[0]:.2f}%", t[1], t[2], f"`{t[3]}`"] for t in r["metrics"]["top"][:10]]))
    out.append(fmt.failures(recs, "profile"))
    return "".join(out)


def instructions(recs):
    srvs = stats.server_names(recs, "instructions")
    if not srvs:
        return ""
    rows = []
    for srv in srvs:
        s = stats.summary(recs, "instructions", PP_MAIN, srv, "instructions_per_msg")
        rows.append([srv, fmt.n(s.median),
                     fmt.ratio(stats.ratio(recs, "instructions", PP_MAIN, srv,
                                        "instructions_per_msg"))])
    tops = [r for r in recs if r["scenario"] == "instructions" and r["ok"]
            and r["metrics"].get("top")]
    top_txt = "".join(
        f"\nCostliest functions of {r['server']} by their own instructions per message "
        "(long load, connection set-up included):\n\n" +
        fmt.table(["function", "instructions/msg"],
               [[f"`{name}`", fmt.n(v, 1)] for name, v in r["metrics"]["top"]]) for r in tops)
    return ("\n### User-space instructions per message\n\nThe user/system split above is "
            "sampled by the kernel once per tick (10 ms), so a small user share is noisy.  "
            "Callgrind counts the instructions each server executes in user space (libc "
            "included) exactly: 64 B ping-pong on 100 connections, the difference between a "
            "short and a long load divided by the difference in messages, so connecting and "
            "closing cancel out.\n\n" +
            fmt.table(["server", "instructions/msg", "x echod"], rows) + top_txt +
            fmt.failures(recs, "instructions"))


SYSCALL_POINTS = {
    "64 B x 100": ("message", "64 B ping-pong on 100 connections"),
    "hello-and-close": ("connection", "hello-and-close transactions, 32 in flight"),
}


def syscalls(recs):
    out = []
    for point, (op, what) in SYSCALL_POINTS.items():
        calls = {r["server"]: r["metrics"] for r in recs
                 if r["scenario"] == "syscalls" and r["point"] == point and r["ok"]}
        if calls:
            out.append(_syscall_table(calls, op, what))
    if not out:
        return fmt.failures(recs, "syscalls")
    return ("\n### System calls per message and per connection\n\nEach server under "
            "`strace -c -f`, a short and a three times longer load, each in its own server "
            "life: the difference in calls over the difference in operations, so start-up "
            "and the load's own set-up cancel out (calls of at least 0.001 per operation "
            "shown).  strace slows the server, which lets more events gather per "
            "`epoll_wait` than in an untraced run; reads and writes per message, and the "
            "calls a connection needs, are unaffected.\n" + "".join(out) +
            fmt.failures(recs, "syscalls"))


def _syscall_table(calls, op, what):
    names = []
    for m in calls.values():
        names += [k for k, v in m["per_call"].items() if v >= 0.001 and k not in names]
    rows = [[s, " / ".join(fmt.n(x) for x in calls[s]["messages"]),
             f"{calls[s]['calls_per_msg']:.3f}"] +
            [f"{calls[s]['per_call'].get(k, 0):.3f}" for k in names] for s in calls]
    return (f"\nPer {op}, {what}:\n\n" +
            fmt.table(["server", f"{op}s (short / long)", f"calls/{op}"] + names, rows))


def commands(recs):
    seen, rows = set(), []
    for r in recs:
        cmd = r.get("command")
        if not cmd or (r["scenario"], r["point"]) in seen or not r["server"].startswith("echod"):
            continue
        seen.add((r["scenario"], r["point"]))
        cmd = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", cmd)
        cmd = re.sub(r"\S*/results/[^/ ]+/bin/peers/", "build/peers/", cmd)
        cmd = re.sub(r"\S*/results/[^/ ]+/bin/", "bin/", cmd)
        cmd = re.sub(r"\S*/results/([^/ ]+)/logs/", r"bench/results/\1/logs/", cmd)
        rows.append(f"- {r['scenario']}, {r['point']}: `{cmd}`")
    return ("\n## Commands\n\nThe load of each point as run against echod (PORT is the "
            "ephemeral port echod printed; the same command ran against every server; in "
            "section 8 pinned with `taskset` to the load's cores), and for system calls and "
            "instructions the traced server:\n\n" +
            "\n".join(rows) + "\n")


def notes(root):
    path = os.path.join(root, "bench", "NOTES.md")
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return "\n" + f.read()


def document(data, run_dir, plots, root):
    recs, meta = data["records"], data["meta"]
    parts = [header(meta, run_dir), method(meta), targets.table(recs), pingpong(recs, plots),
             stream(recs, plots), latency(recs, plots), cps(recs, plots),
             fairness(recs, plots), memory(recs, plots), cpu(recs, plots),
             scaling(recs, meta, plots), commands(recs),
             notes(root)]
    return "".join(parts)
