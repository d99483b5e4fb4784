"""System calls per message, counted with `strace -c -f`.

echod and the libuv peer each run under strace while tcpload drives 64 B
ping-pong on 100 connections with no warm-up, so every message the load
counts is one the server handled; when the server stops, strace's summary
gives each call's count.  Divided by the messages, that is the cost the
issue asks about: one read, one write and a share of one epoll_wait is the
least an event loop can do.  strace slows the server down, which batches
more events per epoll_wait than an untraced run would; the reads and
writes per message do not change.
"""
import os
import shlex

from . import load, measure, procs, servers

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


def trace_one(ctx, server, duration, run):
    out = os.path.join(ctx.results.dir, "logs", f"strace-{server.name}-{run}.txt")
    argv = ["strace", "-c", "-f", "-o", out, "--"] + server.command()
    p = procs.start(procs.pinned(ctx.server_cpu, argv), stderr=ctx.server_log)
    try:
        host, port = procs.wait_listening(p)
        addr = f"{host}:{port}"
        largv = load.echo_argv(ctx.tcpload, addr, 100, 64, 0, duration)
        text, status, _ = measure.run_load(largv, measure.Window(0, duration), None,
                                           ctx.load_cpu, ctx.load_log)
        m = load.echo_summary(load.last_json(text))
    finally:
        procs.stop(p, grace=5.0)
    with open(out) as f:
        calls = parse_strace(f.read())
    msgs = m["ops"] or 0
    per = {k: v / msgs for k, v in sorted(calls.items(), key=lambda kv: -kv[1])} if msgs else {}
    metrics = {"messages": msgs, "calls": sum(calls.values()),
               "calls_per_msg": sum(calls.values()) / msgs if msgs else None, "per_call": per}
    ok = status == 0 and msgs > 0 and bool(calls)
    return {"scenario": "syscalls", "point": "64 B x 100", "server": server.name, "run": run,
            "ok": ok, "error": "" if ok else f"tcpload exit {status}, {len(calls)} calls parsed",
            "metrics": metrics, "command": shlex.join(procs.pinned(ctx.server_cpu, argv))}


def syscalls(ctx):
    duration = ctx.p["syscalls"]["duration"]
    for server in servers.echo_servers(ctx.bins):
        if server.name not in TRACED:
            continue
        try:
            rec = trace_one(ctx, server, duration, 0)
        except (RuntimeError, ValueError, OSError) as e:
            rec = {"scenario": "syscalls", "point": "64 B x 100", "server": server.name,
                   "run": 0, "ok": False, "error": str(e), "metrics": {}}
        ctx.results.add(rec)
        m = rec["metrics"]
        ctx.log(f"  syscalls  {server.name:<9} " + (
            f"{m['calls_per_msg']:.3f} calls/message: " +
            ", ".join(f"{k} {v:.3f}" for k, v in list(m["per_call"].items())[:4])
            if rec["ok"] else "FAILED: " + rec["error"]))
