"""System calls per message, counted with `strace -c -f`.

echod and the libuv peer each run under strace twice, while tcpload drives
64 B ping-pong on 100 connections with no warm-up (so every message the
load counts is one the server handled): once for a short load, once for a
load three times as long.  The difference of the two runs' call counts
divided by the difference of their messages is the cost of one message,
with start-up, accepting and closing cancelled out.  One read, one write
and a share of one epoll_wait is the least an event loop can do.  strace
slows the server down, which batches more events per epoll_wait than an
untraced run would; the reads and writes per message do not change.
"""
import os
import shlex

from . import load, measure, procs, scenarios

TRACED = ("echod", "libuv")


def parse_strace(text):
    """{syscall: calls} from the table `strace -c` prints."""
    calls = {}
    for line in text.splitlines():
        cols = line.split()
        if len(cols) < 5 or not cols[3].isdigit() or cols[-1] == "total":
            continue
        calls[cols[-1]] = int(cols[3])
    return calls


def _traced_run(ctx, server, seconds, tag):
    """One strace'd server life with one load; returns (messages, calls)."""
    out = os.path.join(ctx.results.dir, "logs", f"strace-{server.name}-{tag}.txt")
    argv = ["strace", "-c", "-f", "-o", out, "--"] + server.command()
    p = procs.start(procs.pinned(ctx.server_cpu, argv), stderr=ctx.server_log)
    try:
        host, port = procs.wait_listening(p)
        largv = load.echo_argv(ctx.tcpload, f"{host}:{port}", 100, 64, 0, seconds)
        text, status, _ = measure.run_load(largv, measure.Window(0, seconds, 100), None,
                                           ctx.load_cpu, ctx.load_log)
        if status != 0:
            raise RuntimeError(f"tcpload exit {status}")
        msgs = load.echo_summary(load.last_json(text))["ops"] or 0
    finally:
        procs.stop(p, grace=5.0)
    with open(out) as f:
        calls = parse_strace(f.read())
    if not calls:
        raise RuntimeError(f"no strace summary in {out}")
    return msgs, calls, shlex.join(procs.pinned(ctx.server_cpu, argv))


def trace_one(ctx, server, duration):
    m1, c1, _ = _traced_run(ctx, server, duration, "short")
    m2, c2, cmd = _traced_run(ctx, server, 3 * duration, "long")
    if m2 <= m1:
        raise RuntimeError(f"the longer load made no more messages ({m1} then {m2})")
    per = {k: (c2.get(k, 0) - c1.get(k, 0)) / (m2 - m1) for k in set(c1) | set(c2)}
    per = {k: v for k, v in sorted(per.items(), key=lambda kv: -kv[1]) if v > 0}
    metrics = {"messages": [m1, m2], "calls": [sum(c1.values()), sum(c2.values())],
               "calls_per_msg": sum(per.values()), "per_call": per}
    return {"scenario": "syscalls", "point": "64 B x 100", "server": server.name, "run": 0,
            "ok": True, "error": "", "metrics": metrics, "command": cmd}


def syscalls(ctx):
    duration = ctx.p["syscalls"]["duration"]
    scenarios.each_server(
        ctx, "syscalls", TRACED, lambda c, srv: trace_one(c, srv, duration),
        lambda m: f"{m['calls_per_msg']:.3f} calls/message: " +
        ", ".join(f"{k} {v:.3f}" for k, v in list(m["per_call"].items())[:4]))
