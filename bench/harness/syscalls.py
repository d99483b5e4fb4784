"""System calls per message and per connection, counted with `strace -c -f`.

echod and the libuv peer each run under strace twice, while tcpload drives
64 B ping-pong on 100 connections with no warm-up (so every message the
load counts is one the server handled): once for a short load, once for a
load three times as long; echod's hello mode and nginx the same under
hello-and-close transactions, 32 in flight.  The difference of the two runs' call counts
divided by the difference of their messages is the cost of one message,
with start-up, accepting and closing cancelled out.  One read, one write
and a share of one epoll_wait is the least an event loop can do.  strace
slows the server down, which batches more events per epoll_wait than an
untraced run would; the reads and writes per message do not change.
"""
import shlex

from . import load, measure, procs, scenarios, servers

TRACED = ("echod", "libuv")     # echo servers, per message
TRACED_HELLO = ("echod", "nginx")  # hello-and-close servers, per connection
ECHO_POINT, HELLO_POINT = "64 B x 100", "hello-and-close"


def parse_strace(text):
    """{syscall: calls} from the table `strace -c` prints."""
    calls = {}
    for line in text.splitlines():
        cols = line.split()
        if len(cols) < 5 or not cols[3].isdigit() or cols[-1] == "total":
            continue
        calls[cols[-1]] = int(cols[3])
    return calls


def _load_argv(ctx, addr, point, seconds):
    if point == HELLO_POINT:
        return load.connect_argv(ctx.tcpload, addr, 32, 0, seconds), 32
    return load.echo_argv(ctx.tcpload, addr, 100, 64, 0, seconds), 100


def _traced_run(ctx, server, point, seconds, tag):
    """One strace'd server life with one load; returns (operations, calls,
    the traced command)."""
    out = ctx.results.log_path(f"strace-{server.name}-{point.split()[0]}-{tag}.txt")
    wrap = ["strace", "-c", "-f", "-o", out, "--"]
    srv = server.start(ctx.server_cpu, ctx.server_log, wrap=wrap)
    try:
        largv, conns = _load_argv(ctx, srv.addr, point, seconds)
        text, status, _ = measure.run_load(largv, measure.Window(0, seconds, conns), None,
                                           ctx.load_cpu, ctx.load_log)
        if status != 0:
            raise RuntimeError(f"tcpload exit {status}")
        ops = load.last_json(text).get("messages" if point == ECHO_POINT else "transactions")
    finally:
        srv.stop()
    with open(out) as f:
        calls = parse_strace(f.read())
    if not calls:
        raise RuntimeError(f"no strace summary in {out}")
    return ops or 0, calls, shlex.join(procs.pinned(ctx.server_cpu, wrap + server.command()))


def trace_one(ctx, server, point, duration):
    """Calls per operation at point: the difference of a short and a three
    times longer traced run, over the difference of their operations."""
    m1, c1, _ = _traced_run(ctx, server, point, duration, "short")
    m2, c2, cmd = _traced_run(ctx, server, point, 3 * duration, "long")
    if m2 <= m1:
        raise RuntimeError(f"the longer load made no more operations ({m1} then {m2})")
    per = {k: (c2.get(k, 0) - c1.get(k, 0)) / (m2 - m1) for k in set(c1) | set(c2)}
    per = {k: v for k, v in sorted(per.items(), key=lambda kv: -kv[1]) if v > 0}
    metrics = {"messages": [m1, m2], "calls": [sum(c1.values()), sum(c2.values())],
               "calls_per_msg": sum(per.values()), "per_call": per}
    return {"scenario": "syscalls", "point": point, "server": server.name, "run": 0,
            "ok": True, "error": "", "metrics": metrics, "command": cmd}


def _say(m):
    return f"{m['calls_per_msg']:.3f} calls/op: " + \
        ", ".join(f"{k} {v:.3f}" for k, v in list(m["per_call"].items())[:4])


def syscalls(ctx):
    duration = ctx.p["syscalls"]["duration"]
    scenarios.each_server(ctx, "syscalls", ECHO_POINT, servers.echo_servers(ctx.bins), TRACED,
                          lambda c, srv: trace_one(c, srv, ECHO_POINT, duration), _say)
    scenarios.each_server(ctx, "syscalls", HELLO_POINT, servers.hello_servers(ctx.bins),
                          TRACED_HELLO,
                          lambda c, srv: trace_one(c, srv, HELLO_POINT, duration), _say)
