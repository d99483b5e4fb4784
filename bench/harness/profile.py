"""Where the server's core spends its time: `perf record -e cpu-clock` on
the server CPU while echod, then libuv, serve 64 B ping-pong on 100
connections.

perf samples on the software cpu-clock event, which every machine has (a
virtual one often has no hardware counters); sampling the whole CPU
(-a -C) rather than the process catches the kernel's softirq work for the
server's sockets too.  `perf report` then gives the share of samples per command,
per user/kernel side and per symbol, which is the profile that explains a
missed CPU target.
"""
import os
import re
import shlex
import subprocess
import time

from . import load, procs, scenarios, servers

PROFILED = ("echod", "libuv")


def parse_report(text, count=15):
    """[(share %, command, "k" or "u", symbol)] from `perf report --stdio
    --sort comm,sym`, costliest first."""
    out = []
    for line in text.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[([k.])\]\s+(.*)$", line)
        if m:
            side = "kernel" if m.group(3) == "k" else "user"
            out.append((float(m.group(1)), m.group(2), side, m.group(4).strip()))
            if len(out) == count:
                break
    return out


def _shares(rows, comm):
    """The server's user and kernel shares of the CPU's samples, the idle
    share (swapper) and everything else (other tasks on that CPU)."""
    mine = [r for r in rows if r[1] == comm]
    user = sum(r[0] for r in mine if r[2] == "user")
    idle = sum(r[0] for r in rows if r[1] == "swapper")
    return {"user_pct": user, "kernel_pct": sum(r[0] for r in mine) - user, "idle_pct": idle,
            "other_pct": max(sum(r[0] for r in rows) - sum(r[0] for r in mine) - idle, 0.0)}


def profile_one(ctx, server, seconds):
    data = os.path.join(ctx.results.dir, "logs", f"perf-{server.name}.data")
    srv = server.start(ctx.server_cpu, ctx.server_log)
    try:
        largv = procs.pinned(ctx.load_cpu, load.echo_argv(ctx.tcpload, srv.addr, 100, 64, 0.5,
                                                            seconds + 1.0))
        lp = procs.start(largv, stderr=ctx.load_log)
        time.sleep(0.8)
        rec = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "2000", "-a",
               "-C", str(ctx.server_cpu), "-o", data, "--", "sleep", str(seconds)]
        r = subprocess.run(rec, capture_output=True, text=True, timeout=seconds + 60)
        procs.stop(lp, grace=seconds + 10)
        if r.returncode != 0:
            raise RuntimeError(f"perf record: {r.stderr.strip()[-300:]}")
    finally:
        srv.stop()
    rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                          "--sort", "comm,sym"], capture_output=True, text=True, timeout=120)
    if rep.returncode != 0:
        raise RuntimeError(f"perf report: {rep.stderr.strip()[-300:]}")
    rows = parse_report(rep.stdout, count=10**6)
    if not rows:
        raise RuntimeError("perf report gave no samples")
    comm = os.path.basename(server.command()[0])[:15]
    metrics = dict(_shares(rows, comm), top=rows[:15])
    return {"scenario": "profile", "point": "64 B x 100", "server": server.name, "run": 0,
            "ok": True, "error": "", "metrics": metrics,
            "command": shlex.join(rec[:-3] + ["--", "sleep", str(seconds)])}


def profile(ctx):
    seconds = ctx.p["profile"]["duration"]
    scenarios.each_server(
        ctx, "profile", "64 B x 100", servers.echo_servers(ctx.bins), PROFILED,
        lambda c, srv: profile_one(c, srv, seconds),
        lambda m: f"CPU {ctx.server_cpu}: {m['user_pct']:.1f}% user, "
        f"{m['kernel_pct']:.1f}% kernel, {m['idle_pct']:.1f}% idle; " +
        ", ".join(f"{t[3]} {t[0]:.1f}%" for t in m["top"][:3]))
