"""BENCHMARKS.md from one run's results: the machine, the method, the
performance targets (targets() below) with a verdict each, a table per scenario (median,
min-max, ratio to echod), the plots, and the commands that reproduce it.

A hand-written closing note (what limits a missed target, with the profile
that shows it) can be kept in bench/NOTES.md; it is copied in at the end.
"""
import os
import re

from . import stats

PP_MAIN = "64 B x 100"   # the point most targets are stated at
PP_ONE = "64 B x 1"


# ---------------------------------------------------------------- formatting

def _n(v, digits=0):
    if v is None:
        return "–"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def _us(v):
    if v is None:
        return "–"
    return f"{v:.3g}" if v < 100 else f"{v:,.0f}"


def _f3(v):
    return "–" if v is None else f"{v:.3f}"


def _pct(v):
    return "–" if v is None else f"{v * 100:.0f}%"


def _spread(s, fmt=_n):
    return "–" if not s else f"{fmt(s.lo)}–{fmt(s.hi)}"


def _ratio(s):
    if not s:
        return "–"
    if s.n == 1:
        return f"{s.median:.2f}x"
    return f"{s.median:.2f}x ({s.lo:.2f}–{s.hi:.2f})"


def _table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def _failures(recs, scenario):
    bad = [r for r in recs if r["scenario"] == scenario and not r["ok"]]
    if not bad:
        return ""
    lines = [f"- {r['server']}, {r['point']}, run {r['run'] + 1}: {r.get('error', '')}"
             for r in bad]
    return "\nFailed measurements (left out of the medians):\n\n" + "\n".join(lines) + "\n"


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
                    f"({_n(meta.get('elapsed_s'))} s)"),
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
    return ("# Benchmarks\n\n"
            "echod beside its peers and the kernel floor, every figure measured in the same "
            "interleaved run as the figures it is compared with.  Written by `bench/report` "
            "from one run of `bench/run`; rerun it with `make bench` (about 15 minutes), "
            "or `make bench-quick` (under 2 minutes, report in the run's folder) to check a "
            "change.  How the harness works: [bench/README.md](bench/README.md).\n\n" +
            _table(["", ""], rows))


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
- CPU: **core µs/op** is the server CPU's busy time (`/proc/stat`: all but idle and iowait,
  so the kernel's softirq work on that core counts) divided by the operations served;
  **user** and **sys** are the server's own times (`/proc/PID/stat`, children included) per
  operation, sampled inside the measuring window.  The kernel splits user from system time
  by sampling once per tick (10 ms), so a small user share is noisy; section 7 adds exact
  user-space instruction counts from callgrind.  **CPU0/CPU1 busy** show which side is
  saturated: on this 2-core machine the load generator is often the bottleneck, and on
  loopback each side's core also does part of the other's receive work, so when CPU1 is near
  100% read the per-operation costs rather than the rate.
"""


# ---------------------------------------------------------------- targets

def _target(text, s, ok, measured):
    if not s:
        return (text, "not measured", "–")
    return (text, measured, "**met**" if ok(s.median) else "**missed**")


def targets(recs):
    r = stats.ratio
    rows = []
    s = r(recs, "pingpong", PP_MAIN, "echod", "server_core_us", base="libuv")
    rows.append(_target("64 B x 100: echod's server-core time per message <= libuv's", s,
                        lambda x: x <= 1.0, f"echod / libuv = {_ratio(s)}"))
    s = r(recs, "pingpong", PP_MAIN, "echod", "server_user_us", base="libuv")
    text = "64 B x 100: echod's user time per message <= 0.5x libuv's"
    if s and s.lo == 0:
        rows.append((text, f"echod / libuv = {_ratio(s)}: a run saw less than one 10 ms tick "
                     "of user time, too coarse to compare; see the instruction counts", "–"))
    else:
        rows.append(_target(text, s, lambda x: x <= 0.5, f"echod / libuv = {_ratio(s)}"))
    e = stats.summary(recs, "instructions", PP_MAIN, "echod", "instructions_per_msg")
    u = stats.summary(recs, "instructions", PP_MAIN, "libuv", "instructions_per_msg")
    s = stats.Summary([e.median / u.median] if e and u else [])
    rows.append(_target("... the same in user-space instructions per message (callgrind)", s,
                        lambda x: x <= 0.5, f"echod {_n(e.median)}, libuv {_n(u.median)}: "
                        f"{_ratio(s)}"))
    s = r(recs, "pingpong", PP_MAIN, "echod", "ops_per_s", base="libuv")
    rows.append(_target("64 B x 100: echod's messages/s never below libuv's", s,
                        lambda x: x >= 1.0, f"echod / libuv = {_ratio(s)}"))
    e = stats.summary(recs, "syscalls", PP_MAIN, "echod", "calls_per_msg")
    u = stats.summary(recs, "syscalls", PP_MAIN, "libuv", "calls_per_msg")
    sc = stats.Summary([e.median - u.median] if e and u else [])
    rows.append(_target("system calls per message <= libuv's (about 2.01; equal within 0.005)",
                        sc, lambda x: x <= 0.005,
                        f"echod {_f3(e.median)}, libuv {_f3(u.median)} (`strace -c -f`)"))
    s = r(recs, "pingpong", PP_ONE, "echod", "ops_per_s", base="floor")
    rows.append(_target("1 connection: echod >= 95% of the kernel floor's round trips/s", s,
                        lambda x: x >= 0.95, f"echod / floor = {_ratio(s)}"))
    cps_pt = (stats.points(recs, "cps") or [None])[0]
    s = r(recs, "cps", cps_pt, "echod", "ops_per_s", base="nginx")
    rows.append(_target("hello-and-close connections/s >= nginx's", s, lambda x: x >= 1.0,
                        f"echod / nginx = {_ratio(s)}"))
    s = r(recs, "cps", cps_pt, "echod", "server_core_us", base="nginx")
    rows.append(_target("... at <= 0.8x nginx's server-core time per connection", s,
                        lambda x: x <= 0.8, f"echod / nginx = {_ratio(s)}"))
    mem_pt = (stats.points(recs, "memory") or [None])[0]
    s = stats.summary(recs, "memory", mem_pt, "echod", "rss_per_conn")
    rows.append(_target(f"<= 256 bytes of user memory per idle connection ({mem_pt})", s,
                        lambda x: x <= 256, f"{_n(s.median)} B ({_spread(s)})"))
    f_pt = (stats.points(recs, "fairness") or [None])[0]
    s = stats.summary(recs, "fairness", f_pt, "echod", "p99_ratio")
    rows.append(_target("a flooding connection raises the others' p99 by <= 2x", s,
                        lambda x: x <= 2.0, f"{_ratio(s)}"))
    return ("\n## Targets\n\nEach stated as the median of per-run ratios from the interleaved "
            "runs below.  Where a target is missed, the closing note says what limits it.\n\n" +
            _table(["target", "measured", "verdict"], rows))


# ---------------------------------------------------------------- scenarios

def _rate_rows(recs, scenario, point, unit_mb=True):
    rows = []
    for srv in stats.server_names(recs, scenario, point):
        g = lambda k: stats.summary(recs, scenario, point, srv, k)  # noqa: E731
        ops = g("ops_per_s")
        row = [srv, _n(ops.median), _spread(ops),
               _ratio(stats.ratio(recs, scenario, point, srv, "ops_per_s"))]
        if unit_mb:
            row.append(_n(g("mb_per_s").median, 1))
        row += [_us(g("server_core_us").median), _us(g("server_user_us").median),
                _us(g("server_sys_us").median),
                _ratio(stats.ratio(recs, scenario, point, srv, "server_core_us")),
                _pct(g("server_core_busy").median), _pct(g("load_core_busy").median)]
        rows.append(row)
    return rows


def _rate_table(recs, scenario, point, what="messages/s", unit_mb=True, op="msg"):
    heads = ["server", what, "min–max", "x echod"] + (["MB/s"] if unit_mb else []) + \
            [f"core µs/{op}", f"user µs/{op}", f"sys µs/{op}", "core x echod",
             "CPU0 busy", "CPU1 busy"]
    return _table(heads, _rate_rows(recs, scenario, point, unit_mb))


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
    out.append(_failures(recs, "pingpong"))
    return "".join(out)


def stream(recs, plots):
    out = ["\n## 2. Streaming\n\n64 KiB writes on 10 connections, four in flight on each; "
           "MB/s is what came back.\n"]
    for p in stats.points(recs, "stream"):
        out.append(f"\n### {p}\n\n" + _rate_table(recs, "stream", p, op="64 KiB"))
    out.append(_failures(recs, "stream"))
    return "".join(out)


def latency(recs, plots):
    labels = stats.points(recs, "latency")
    if not labels:
        return ""
    sat = [r for r in recs if r["scenario"] in ("pingpong", "saturation")
           and r["point"] == PP_MAIN and r["server"] == "echod" and r["ok"]]
    out = ["\n## 3. Latency under load\n\nOpen loop (`-R`): 100 connections, 64 B, the "
           "offered rate a fraction of echod's closed-loop saturation at 64 B x 100 measured in "
           f"this run ({_n(stats.Summary([r['metrics']['ops_per_s'] for r in sat]).median)} "
           "messages/s), the same rates for every server.  Latency runs from each message's "
           "scheduled send time, so a server that falls behind shows it (no coordinated "
           "omission).  \"achieved\" below the offered rate means the pair could not keep it.\n"]
    out.append(_plot(plots, "latency", "latency percentiles against offered load"))
    for p in labels:
        rows = []
        for srv in stats.server_names(recs, "latency", p):
            g = lambda k: stats.summary(recs, "latency", p, srv, k)  # noqa: E731
            p99 = g("p99_us")
            rows.append([srv, _n(g("ops_per_s").median), _us(g("p50_us").median),
                         _us(p99.median), _spread(p99, _us), _us(g("p999_us").median),
                         _ratio(stats.ratio(recs, "latency", p, srv, "p99_us")),
                         _us(g("server_core_us").median)])
        out.append(f"\n### offered {p}\n\n" + _table(
            ["server", "achieved/s", "p50 µs", "p99 µs", "p99 min–max", "p99.9 µs",
             "p99 x echod", "core µs/msg"], rows))
    out.append(_failures(recs, "latency"))
    return "".join(out)


def cps(recs, plots):
    out = ["\n## 4. Connections per second\n\nHello-and-close: each transaction connects, "
           "reads the 13-byte banner until EOF and closes with RST (`--linger0`), from source "
           "addresses 127.0.0.2-254 (`--source`) so the client never runs out of ports.\n"]
    out.append(_plot(plots, "cps", "connections per second"))
    for p in stats.points(recs, "cps"):
        out.append(f"\n### {p}\n\n" + _rate_table(recs, "cps", p, "connections/s", False,
                                                    "conn"))
    out.append(_failures(recs, "cps"))
    return "".join(out)


def fairness(recs, plots):
    out = ["\n## 5. Fairness\n\n100 connections send 64 B open loop and measure their p99, "
           "alone, then while one more connection floods the server with 64 KiB writes "
           "(sixteen in flight, never pausing; run at `nice 19` on the load CPU so that it "
           "does not delay the measuring client).  The ratio is flood / alone, run by run.\n"]
    for p in stats.points(recs, "fairness"):
        rows = []
        for srv in stats.server_names(recs, "fairness", p):
            g = lambda k: stats.summary(recs, "fairness", p, srv, k)  # noqa: E731
            rows.append([srv, _us(g("p50_us").median), _us(g("p50_flood_us").median),
                         _us(g("p99_us").median), _us(g("p99_flood_us").median),
                         _ratio(g("p99_ratio")), _us(g("p999_us").median),
                         _us(g("p999_flood_us").median)])
        out.append(f"\n### {p}\n\n" + _table(
            ["server", "p50 alone", "p50 flood", "p99 alone µs", "p99 flood µs",
             "p99 flood / alone", "p99.9 alone", "p99.9 flood"], rows))
    out.append(_failures(recs, "fairness"))
    return "".join(out)


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
        rows = []
        for srv in stats.server_names(recs, "memory", p):
            g = lambda k: stats.summary(recs, "memory", p, srv, k)  # noqa: E731
            rss = g("rss_per_conn")
            rows.append([srv, _n(g("conns").median), _n(rss.median), _spread(rss),
                         _ratio(stats.ratio(recs, "memory", p, srv, "rss_per_conn")),
                         _n(g("slab_per_conn").median), _n(g("kernel_per_conn").median)])
        out.append(f"\n### {p}\n\n" + _table(
            ["server", "connections", "RSS B/conn", "min–max", "x echod",
             "slab B/conn (both ends)", "+ kernel stacks, page tables"], rows))
    out.append(extrapolation(recs, labels[-1]))
    out.append(_failures(recs, "memory"))
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
        rows.append([srv, _n(user * 1e6 / 2**20), _n(k * 1e6 / 2**20),
                     _n((user + k) * 1e6 / 2**30, 1)])
    return (f"\n### A million connections\n\nExtrapolated from the figures at {point}: the "
            f"server's RSS per connection, plus the kernel's share for the server's end "
            f"(half the slab growth per loopback connection: {_n(kernel)} B; for the threads "
            "peer, its whole kernel growth, kernel stacks included, less the client end).  Idle sockets hold no "
            "buffer memory; a busy one can hold up to `tcp_rmem`/`tcp_wmem` more.\n\n" +
            _table(["server", "user MiB", "kernel MiB", "total GiB"], rows) + """
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
            core, user, sys_ = g("server_core_us"), g("server_user_us"), g("server_sys_us")
            rows.append([("connections/s, " if sc == "cps" else "") + p, srv, _us(core),
                         _us(user), _us(sys_),
                         _pct(user / core if user is not None and core else None),
                         _ratio(stats.ratio(recs, sc, p, srv, "server_user_us"))])
    out = ["\n## 7. CPU cost per operation\n\nFor every server of scenarios 1 and 4: its core's "
           "busy time, and its own user and system time, per message (per connection for "
           "connections/s).  User time is what the server's own code costs, the part a server "
           "can change; system time is the kernel working for it.\n"]
    out.append(_plot(plots, "cpu", "CPU time per message"))
    if rows:
        out.append("\n" + _table(["point", "server", "core µs/op", "user µs/op", "sys µs/op",
                                   "user share of core", "user x echod"], rows))
    out.append(instructions(recs))
    out.append(syscalls(recs))
    out.append(perf_profile(recs))
    return "".join(out)


def perf_profile(recs):
    done = [r for r in recs if r["scenario"] == "profile" and r["ok"]]
    if not done:
        return _failures(recs, "profile")
    rows = [[r["server"], f"{r['metrics']['user_pct']:.1f}%", f"{r['metrics']['kernel_pct']:.1f}%",
             f"{r['metrics']['idle_pct']:.1f}%", f"{r['metrics']['other_pct']:.1f}%"]
            for r in done]
    out = ["\n### Where the server's core goes (perf)\n\n`perf record -e cpu-clock -a -C 0` "
           "(software clock: this virtual machine has no hardware counters) while each server "
           "serves 64 B ping-pong on 100 connections; shares of all samples on the server's "
           "CPU.\n\n" + _table(["server", "its user space", "kernel on its behalf",
                                  "idle", "other tasks"], rows)]
    for r in done:
        out.append(f"\nHottest symbols on CPU 0, {r['server']}:\n\n" + _table(
            ["share", "task", "side", "symbol"],
            [[f"{t[0]:.2f}%", t[1], t[2], f"`{t[3]}`"] for t in r["metrics"]["top"][:10]]))
    out.append(_failures(recs, "profile"))
    return "".join(out)


def instructions(recs):
    srvs = stats.server_names(recs, "instructions")
    if not srvs:
        return ""
    rows = []
    for srv in srvs:
        s = stats.summary(recs, "instructions", PP_MAIN, srv, "instructions_per_msg")
        rows.append([srv, _n(s.median),
                     _ratio(stats.ratio(recs, "instructions", PP_MAIN, srv,
                                        "instructions_per_msg"))])
    tops = [r for r in recs if r["scenario"] == "instructions" and r["ok"]
            and r["metrics"].get("top")]
    top_txt = "".join(
        f"\nCostliest functions of {r['server']} by their own instructions per message "
        "(long load, connection set-up included):\n\n" +
        _table(["function", "instructions/msg"],
               [[f"`{name}`", _n(v, 1)] for name, v in r["metrics"]["top"]]) for r in tops)
    return ("\n### User-space instructions per message\n\nThe user/system split above is "
            "sampled by the kernel once per tick (10 ms), so a small user share is noisy.  "
            "Callgrind counts the instructions each server executes in user space (libc "
            "included) exactly: 64 B ping-pong on 100 connections, the difference between a "
            "short and a long load divided by the difference in messages, so connecting and "
            "closing cancel out.\n\n" +
            _table(["server", "instructions/msg", "x echod"], rows) + top_txt +
            _failures(recs, "instructions"))


def syscalls(recs):
    srvs = stats.server_names(recs, "syscalls")
    if not srvs:
        return ""
    calls = {}
    for r in recs:
        if r["scenario"] == "syscalls" and r["ok"]:
            calls[r["server"]] = r["metrics"]
    if not calls:
        return _failures(recs, "syscalls")
    names = []
    for m in calls.values():
        names += [k for k, v in m["per_call"].items() if v >= 0.001 and k not in names]
    rows = [[s, " / ".join(_n(x) for x in calls[s]["messages"]),
             f"{calls[s]['calls_per_msg']:.3f}"] +
            [f"{calls[s]['per_call'].get(k, 0):.3f}" for k in names] for s in calls]
    return ("\n### System calls per message\n\n64 B ping-pong on 100 connections under "
            "`strace -c -f`, a short and a three times longer load, each in its own server "
            "life: the difference in calls over the difference in messages, so start-up, "
            "accepting and closing cancel out (calls of at least 0.001 per message shown).  "
            "strace slows the server, which lets more events gather per `epoll_wait` than in "
            "an untraced run; reads and writes per message are unaffected.\n\n" +
            _table(["server", "messages (short / long)", "calls/msg"] + names, rows) +
            _failures(recs, "syscalls"))


def commands(recs):
    seen, rows = set(), []
    for r in recs:
        cmd = r.get("command")
        if not cmd or (r["scenario"], r["point"]) in seen or r["server"] not in ("echod",):
            continue
        seen.add((r["scenario"], r["point"]))
        cmd = re.sub(r"127\.0\.0\.1:\d+", "127.0.0.1:PORT", cmd)
        cmd = re.sub(r"\S*/results/[^/ ]+/bin/peers/", "build/peers/", cmd)
        cmd = re.sub(r"\S*/results/[^/ ]+/bin/", "bin/", cmd)
        cmd = re.sub(r"\S*/results/([^/ ]+)/logs/", r"bench/results/\1/logs/", cmd)
        rows.append(f"- {r['scenario']}, {r['point']}: `{cmd}`")
    return ("\n## Commands\n\nThe load of each point as run against echod (PORT is the "
            "ephemeral port echod printed; the same command ran against every server), and "
            "for system calls and instructions the traced server:\n\n" +
            "\n".join(rows) + "\n")


def notes(root):
    path = os.path.join(root, "bench", "NOTES.md")
    if not os.path.exists(path):
        return ""
    with open(path) as f:
        return "\n" + f.read()


def document(data, run_dir, plots, root):
    recs, meta = data["records"], data["meta"]
    parts = [header(meta, run_dir), method(meta), targets(recs), pingpong(recs, plots),
             stream(recs, plots), latency(recs, plots), cps(recs, plots),
             fairness(recs, plots), memory(recs, plots), cpu(recs, plots), commands(recs),
             notes(root)]
    return "".join(parts)
