"""User-space instructions per message, counted by callgrind.

The user/system split of /proc/PID/stat is sampled by the kernel once per
tick (10 ms), so a server that spends only a few percent of its core in
user space gets a handful of ticks per run: its user time per message is noisy.  Callgrind
counts every instruction the server executes in user space, exactly.  Each
server runs under `valgrind --tool=callgrind`; after a warm-up load the
counters are zeroed (`callgrind_control -z`), a 64 B ping-pong load runs on
100 connections, and the counters are dumped (`callgrind_control -d`).
Two loads of different lengths are measured, and the difference of their
instruction counts divided by the difference of their messages is the cost
of one message, with the fixed cost of connecting and closing cancelled
out.  The long load's dump also gives the costliest functions, by their own
instructions per message.  Under callgrind the server is slow, so more events gather per
epoll_wait than in a normal run: the figure is the cost of the message
path, with the loop's overhead a little underweighted.
"""
import glob
import os
import re
import shlex
import subprocess

from . import load, measure, procs, scenarios, servers

COUNTED = ("echod", "libuv", "libevent", "threads")  # node's JIT does not run well under valgrind


def _totals(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise ValueError(f"no totals line in {path}")


def top_functions(path, messages, count=12):
    """[(function, instructions per message)] of the costliest functions in
    a callgrind dump, by their own (exclusive) cost.  Frames that were live
    when the counters were zeroed show the whole total; they are skipped."""
    r = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", path],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"callgrind_annotate {path}: {r.stderr.strip()[-300:]}")
    total, out = None, []
    for line in r.stdout.splitlines():
        m = re.match(r"\s*([\d,]+) \(\s*([\d.]+)%\)\s+(.*)$", line)
        if not m:
            continue
        ir, name = int(m.group(1).replace(",", "")), m.group(3)
        if "PROGRAM TOTALS" in name:
            total = ir
            continue
        if total is not None and ir >= 0.999 * total:
            continue
        name = re.sub(r" \[.*\]$", "", name)      # the object file
        name = re.sub(r"^.*/(?=[^/]+:)", "", name)  # the source folder
        out.append((name, ir / messages))
        if len(out) == count:
            break
    return out


def _control(flag, pid):
    r = subprocess.run(["callgrind_control", flag, str(pid)], capture_output=True, text=True,
                       timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"callgrind_control {flag} {pid}: {r.stderr.strip() or r.stdout.strip()}")


def _one_load(ctx, addr, seconds, pid, prefix):
    """Zeroes the counters, runs the load, dumps; returns (messages, Ir)."""
    _control("-z", pid)
    argv = load.echo_argv(ctx.tcpload, addr, 100, 64, 0, seconds)
    text, status, _ = measure.run_load(argv, measure.Window(0, seconds), None, ctx.load_cpu,
                                       ctx.load_log)
    if status != 0:
        raise RuntimeError(f"tcpload exit {status}")
    msgs = load.echo_summary(load.last_json(text))["ops"] or 0
    before = set(glob.glob(prefix + ".*"))
    _control("-d", pid)
    new = sorted(set(glob.glob(prefix + ".*")) - before, key=os.path.getmtime)
    if not new:
        raise RuntimeError("callgrind wrote no dump")
    return msgs, _totals(new[-1]), new[-1]


def count_one(ctx, server, seconds):
    prefix = os.path.join(ctx.results.dir, "logs", f"callgrind-{server.name}")
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}.%p"] + \
        server.command()
    p = procs.start(procs.pinned(ctx.server_cpu, argv), stderr=ctx.server_log)
    try:
        host, port = procs.wait_listening(p, timeout=60)
        addr = f"{host}:{port}"
        _one_load(ctx, addr, seconds / 2, p.pid, prefix)          # warm-up
        m1, i1, _ = _one_load(ctx, addr, seconds, p.pid, prefix)
        m2, i2, dump = _one_load(ctx, addr, 3 * seconds, p.pid, prefix)
    finally:
        procs.stop(p, grace=10.0)
    if m2 <= m1:
        raise RuntimeError(f"the longer load made no more messages ({m1} then {m2})")
    per = (i2 - i1) / (m2 - m1)
    top = top_functions(dump, m2)
    return {"scenario": "instructions", "point": "64 B x 100", "server": server.name, "run": 0,
            "ok": True, "error": "",
            "metrics": {"instructions_per_msg": per, "messages": [m1, m2], "ir": [i1, i2],
                        "top": top},
            "command": shlex.join(procs.pinned(ctx.server_cpu, argv))}


def instructions(ctx):
    seconds = ctx.p["instructions"]["duration"]
    names = [n for n in COUNTED if n in ctx.p["instructions"]["servers"]]
    scenarios.each_server(
        ctx, "instructions", "64 B x 100", servers.echo_servers(ctx.bins), names,
        lambda c, srv: count_one(c, srv, seconds),
        lambda m: f"{m['instructions_per_msg']:,.0f} user-space instructions/message")
