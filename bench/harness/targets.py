"""The performance targets of BENCHMARKS.md, each with its verdict.

A target states a bound on a figure, most often the per-run ratio of
echod's figure to a peer's in the same interleaved run.  Its verdict is
stats.verdict() on those ratios: met or missed only when every run agrees,
"within noise" when the runs straddle the bound, no verdict from fewer than
stats.MIN_RUNS runs.  An exact count (callgrind's instructions, strace's
calls) is one measurement that does not drift, so one run decides it.

Two kinds of target get a verdict of their own: fairness is "not
measurable" when the load's core was saturated under the flood (the p99
then measures the load generator), and a target that no user-space change
can reach is named as such, beside the measurement that shows it
(unreachable(): the kernel's share of the server core and the system calls
per connection), with the target a user cares about in its place.
"""
from . import fmt, stats

PP_MAIN = "64 B x 100"   # the point most targets are stated at
PP_ONE = "64 B x 1"
SATURATED = 0.95         # a core this busy caps what it drives

T = stats.Target


def _row(text, s, target, measured, min_runs=stats.MIN_RUNS):
    v = stats.verdict(s, target, min_runs)
    if v == stats.FEW:
        keeps = "keeps" if target.holds(s.median) else "misses"
        v = f"{stats.FEW} ({s.n} of {min_runs}; the median {keeps} it)"
    elif v in (stats.MET, stats.MISSED):
        v = f"**{v}**"
    return (text, measured, v)


def _vs(recs, scenario, point, key, base):
    return stats.ratio(recs, scenario, point, "echod", key, base=base)


def _first(recs, scenario):
    return (stats.points(recs, scenario) or [None])[0]


def cpu_rows(recs):
    s = _vs(recs, "pingpong", PP_MAIN, "server_core_us", "libuv")
    rows = [_row("64 B x 100: echod's server-core time per message <= libuv's", s, T("<=", 1),
                 f"echod / libuv = {fmt.ratio(s)}")]
    s = _vs(recs, "pingpong", PP_MAIN, "server_user_us", "libuv")
    text = "64 B x 100: echod's user time per message <= 0.5x libuv's"
    if s and s.lo == 0:
        rows.append((text, f"echod / libuv = {fmt.ratio(s)}: a run saw less than one 10 ms "
                     "tick of user time, too coarse to compare; see the instruction counts", "–"))
    else:
        rows.append(_row(text, s, T("<=", 0.5), f"echod / libuv = {fmt.ratio(s)}"))
    e = stats.summary(recs, "instructions", PP_MAIN, "echod", "instructions_per_msg")
    u = stats.summary(recs, "instructions", PP_MAIN, "libuv", "instructions_per_msg")
    s = stats.Summary([e.median / u.median] if e and u else [])
    rows.append(_row("... the same in user-space instructions per message (callgrind, exact)",
                     s, T("<=", 0.5), f"echod {fmt.n(e.median)}, libuv {fmt.n(u.median)}: "
                     f"{fmt.ratio(s)}", min_runs=1))
    rows.append(_row("... and <= 160 instructions per echoed 64 B message", e, T("<=", 160),
                     f"{fmt.n(e.median)}", min_runs=1))
    e = stats.summary(recs, "syscalls", PP_MAIN, "echod", "calls_per_msg")
    u = stats.summary(recs, "syscalls", PP_MAIN, "libuv", "calls_per_msg")
    s = stats.Summary([e.median - u.median] if e and u else [])
    rows.append(_row("system calls per message <= libuv's (equal within 0.005; exact count)",
                     s, T("<=", 0.005),
                     f"echod {fmt.f3(e.median)}, libuv {fmt.f3(u.median)} (`strace -c -f`)",
                     min_runs=1))
    return rows


def rate_rows(recs):
    s = _vs(recs, "pingpong", PP_MAIN, "ops_per_s", "libuv")
    rows = [_row("64 B x 100: echod's messages/s never below libuv's", s, T(">=", 1),
                 f"echod / libuv = {fmt.ratio(s)}")]
    s = _vs(recs, "pingpong", PP_ONE, "ops_per_s", "floor")
    rows.append(_row("1 connection: echod >= 95% of the kernel floor's round trips/s", s,
                     T(">=", 0.95), f"echod / floor = {fmt.ratio(s)}"))
    pt = _first(recs, "stream")
    s = _vs(recs, "stream", pt, "mb_per_s", "libuv")
    rows.append(_row("streaming 64 KiB x 10 x 4: MB/s >= 1.3x libuv's", s, T(">=", 1.3),
                     f"echod / libuv = {fmt.ratio(s)}"))
    s = _vs(recs, "stream", pt, "server_core_us", "libuv")
    rows.append(_row("... at <= 0.75x libuv's server-core time per byte", s, T("<=", 0.75),
                     f"echod / libuv = {fmt.ratio(s)}"))
    return rows


def memory_rows(recs):
    pt = _first(recs, "memory")
    s = stats.summary(recs, "memory", pt, "echod", "rss_per_conn")
    return [_row(f"<= 32 bytes of user memory per idle connection ({pt})", s, T("<=", 32),
                 f"{fmt.n(s.median)} B ({fmt.spread(s)})")]


def fairness_rows(recs):
    pt = _first(recs, "fairness")
    s = stats.summary(recs, "fairness", pt, "echod", "p99_ratio")
    load = stats.summary(recs, "fairness", pt, "echod", "load_core_busy_flood")
    mb = stats.summary(recs, "fairness", pt, "echod", "flood_mb_per_s")
    text = "a flooding connection raises the others' p99 by <= 2x"
    measured = (f"{fmt.ratio(s)}, the flood at {fmt.n(mb.median)} MB/s, "
                f"load core {fmt.pct(load.median)} busy")
    if load and load.median >= SATURATED:
        return [(text, measured, "not measurable: the load's core was saturated under the "
                 "flood, so the p99 measures the load generator (section 5)")]
    return [_row(text, s, T("<=", 2), measured)]


def scaling_rows(recs):
    """The target that replaces hello-and-close against nginx at one
    worker: connections/s per worker as workers grow, and against nginx
    with as many workers."""
    pts = stats.scaling_points(recs, "connections/s")
    if not pts:
        return [("hello-and-close connections/s per worker at W workers >= 0.8x one "
                 "worker's", "not run", "–")]
    first, last = pts[0], pts[-1]
    srv = "echod SO_REUSEPORT"
    rows = []
    if first == last:
        rows.append(("hello-and-close connections/s per worker at W workers >= 0.8x one "
                     "worker's", f"only {first.split(',')[0]} fits this machine (section 8)",
                     "not measurable"))
    else:
        s = stats.ratio(recs, "scaling", last, srv, "ops_per_s_per_worker", base=srv,
                        base_point=first)
        rows.append(_row(f"hello-and-close connections/s per worker, {last.split(',')[0]} "
                         "against 1 (SO_REUSEPORT) >= 0.8x", s, T(">=", 0.8),
                         f"{fmt.ratio(s)}"))
    s = stats.ratio(recs, "scaling", last, srv, "ops_per_s", base="nginx")
    rows.append(_row(f"hello-and-close connections/s >= nginx's with as many workers "
                     f"({last.split(',')[0]})", s, T(">=", 1), f"echod / nginx = {fmt.ratio(s)}"))
    return rows


def table(recs):
    rows = cpu_rows(recs) + rate_rows(recs) + scaling_rows(recs) + memory_rows(recs) + \
        fairness_rows(recs)
    return ("\n## Targets\n\nEach verdict is computed from the per-run figures of the "
            f"interleaved runs below (at least {stats.MIN_RUNS}; exact counts from one): "
            "**met** or **missed** when every run agrees, *within noise* when the runs fall "
            "on both sides of the target, the median of per-run ratios and their min–max "
            "beside it.  Where a target is missed, the closing note says what limits it.\n\n" +
            fmt.table(["target", "measured", "verdict"], rows) + unreachable(recs))


def _per_run(a, b):
    """Summary of a[run] / b[run] over the runs in both ({run: value} dicts)."""
    return stats.Summary([a[r] / b[r] for r in a if r in b and b[r]])


def _kernel_share(recs, pt, srv):
    return _per_run(stats.values(recs, "cps", pt, srv, "server_core_kernel_us"),
                    stats.values(recs, "cps", pt, srv, "server_core_us"))


def unreachable(recs):
    """The hello-and-close targets against nginx at one worker, with what
    shows that user space cannot reach them: how much of the server core's
    time per connection is the kernel's, the best ratio left if echod's
    user time were zero, and the system calls per connection."""
    pt = _first(recs, "cps")
    if not pt:
        return ""
    ke, kn = _kernel_share(recs, pt, "echod"), _kernel_share(recs, pt, "nginx")
    best = _per_run(stats.values(recs, "cps", pt, "echod", "server_core_kernel_us"),
                    stats.values(recs, "cps", pt, "nginx", "server_core_us"))
    core = _vs(recs, "cps", pt, "server_core_us", "nginx")
    cps_ratio = _vs(recs, "cps", pt, "ops_per_s", "nginx")
    calls = {s: stats.summary(recs, "syscalls", "hello-and-close", s, "calls_per_msg").median
             for s in ("echod", "nginx")}
    text = "hello-and-close at 1 worker: server-core time per connection <= 0.8x nginx's"
    measured = f"echod / nginx = {fmt.ratio(core)}; with echod's user time at zero, " \
        f"{fmt.ratio(best)}"
    if best and not T("<=", 0.8).holds(best.lo):
        first = (text, measured, "**out of user space's reach**")
    else:
        first = _row(text, core, T("<=", 0.8), measured)
    rows = [first,
            ("hello-and-close at 1 worker: connections/s >= nginx's",
             f"echod / nginx = {fmt.ratio(cps_ratio)}",
             "replaced by the scaling targets above")]
    return ("\n### Targets user space may not reach\n\nThe hello-and-close targets against "
            "nginx at one worker, with the measurement that decides whether any change to "
            "echod's own code could meet them.  The server core's time per "
            "connection (`/proc/stat` of CPU 0, steal excluded) is "
            f"{fmt.pct(ke.median)} kernel for echod ({fmt.spread(ke, fmt.pct)}) and "
            f"{fmt.pct(kn.median)} for nginx; echod makes {fmt.f3(calls['echod'])} system calls "
            f"per connection against nginx's {fmt.f3(calls['nginx'])} (`strace -c -f`, section "
            "7).  The second column's last figure is the kernel's part of echod's core time "
            "over nginx's whole core time, run by run: the ratio echod would reach if its user "
            "space cost nothing.  When every run of it misses the target, no user-space change "
            "can meet it and the verdict says **out of user space's reach**; otherwise the "
            "usual verdict applies.\n\n" + fmt.table(["target", "measured", "verdict"], rows))
