"""User-space instructions per message, counted by callgrind.

The user/system split of /proc/PID/stat is sampled by the kernel once per
tick (10 ms), so a server that spends 3% of its core in user space gets a
handful of ticks per run: its user time per message is noisy.  Callgrind
counts every instruction the server executes in user space, exactly.  Each
server runs under `valgrind --tool=callgrind`; after a warm-up load the
counters are zeroed (`callgrind_control -z`), a 64 B ping-pong load runs on
100 connections, and the counters are dumped (`callgrind_control -d`).
Two loads of different lengths are measured, and the difference of their
instruction counts divided by the difference of their messages is the cost
of one message, with the fixed cost of connecting and closing cancelled
out.  Under callgrind the server is slow, so more events gather per
epoll_wait than in a normal run: the figure is the cost of the message
path, with the loop's overhead a little underweighted.
"""
import glob
import os
import shlex
import subprocess

from . import load, measure, procs, servers

COUNTED = ("echod", "libuv", "libevent", "threads")  # node's JIT does not run well under valgrind


def _totals(path):
    with open(path) as f:
        for line in f:
            if line.startswith(("totals:", "summary:")):
                return int(line.split()[1])
    raise ValueError(f"no totals line in {path}")


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
    return msgs, _totals(new[-1])


def count_one(ctx, server, seconds):
    prefix = os.path.join(ctx.results.dir, "logs", f"callgrind-{server.name}")
    argv = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={prefix}.%p"] + \
        server.command()
    p = procs.start(procs.pinned(ctx.server_cpu, argv), stderr=ctx.server_log)
    try:
        host, port = procs.wait_listening(p, timeout=60)
        addr = f"{host}:{port}"
        _one_load(ctx, addr, seconds / 2, p.pid, prefix)          # warm-up
        m1, i1 = _one_load(ctx, addr, seconds, p.pid, prefix)
        m2, i2 = _one_load(ctx, addr, 3 * seconds, p.pid, prefix)
    finally:
        procs.stop(p, grace=10.0)
    if m2 <= m1:
        raise RuntimeError(f"the longer load made no more messages ({m1} then {m2})")
    per = (i2 - i1) / (m2 - m1)
    return {"scenario": "instructions", "point": "64 B x 100", "server": server.name, "run": 0,
            "ok": True, "error": "",
            "metrics": {"instructions_per_msg": per, "messages": [m1, m2], "ir": [i1, i2]},
            "command": shlex.join(procs.pinned(ctx.server_cpu, argv))}


def instructions(ctx):
    seconds = ctx.p["instructions"]["duration"]
    for server in servers.echo_servers(ctx.bins):
        if server.name not in COUNTED or server.name not in ctx.p["instructions"]["servers"]:
            continue
        try:
            rec = count_one(ctx, server, seconds)
        except (RuntimeError, ValueError, OSError, subprocess.SubprocessError) as e:
            rec = {"scenario": "instructions", "point": "64 B x 100", "server": server.name,
                   "run": 0, "ok": False, "error": str(e), "metrics": {}}
        ctx.results.add(rec)
        m = rec["metrics"]
        ctx.log(f"  instructions {server.name:<9} " + (
            f"{m['instructions_per_msg']:,.0f} user-space instructions/message"
            if rec["ok"] else "FAILED: " + rec["error"]))
