"""One measurement: a load process against a running server, with the CPU
accounting of the steady part of the run.

The load prints its own rates.  While it runs, the harness reads /proc at
two instants inside its measuring window (after its connections are open
and its warm-up is over, before its end): each core's busy time, and the user and system time of the server's
process tree and of the load.  Each becomes a rate (seconds of CPU per
second of wall time); divided by the load's operations per second it is the
CPU time per operation, which is what shows a faster server even when the
load generator, not the server, caps the rate.
"""
import math
import shlex
import subprocess
import time

from . import procs, sysinfo


class Window:
    """When, in seconds after the load's connections are all open, its
    steady part begins and ends.  The edges are trimmed so that start-up
    and shutdown stay out."""

    def __init__(self, warmup, duration, trim=0.1):
        self.start = warmup + min(trim, duration / 4)
        self.end = warmup + duration - min(trim, duration / 4)
        self.timeout = warmup + duration + 30


def _await_conns(server_pid, base, conns, p, timeout=60.0):
    """Waits until the server holds conns more descriptors than base (the
    load has opened its connections: tcpload starts its warm-up clock only
    then), or the load exits, or timeout.  Returns when it happened."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and p.poll() is None:
        if sysinfo.fd_count(server_pid) >= base + conns:
            break
        time.sleep(0.005)
    return time.monotonic()


def _snapshot(server_pid, load_pid):
    return {
        "t": time.monotonic(),
        "cores": sysinfo.core_times(),
        "server": sysinfo.tree_cpu(server_pid) if server_pid else (0.0, 0.0),
        "load": sysinfo.tree_cpu(load_pid),
    }


def _sleep_until(t):
    while True:
        left = t - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.5))


def cpu_between(a, b):
    """CPU rates between two snapshots: per-core busy share, and the
    server's and the load's user and system seconds per second."""
    wall = b["t"] - a["t"]
    cores = sysinfo.core_busy(a["cores"], b["cores"])
    return {
        "wall_s": wall,
        "core_busy": {str(c): v["share"] for c, v in cores.items()},
        "server_user": (b["server"][0] - a["server"][0]) / wall,
        "server_sys": (b["server"][1] - a["server"][1]) / wall,
        "load_user": (b["load"][0] - a["load"][0]) / wall,
        "load_sys": (b["load"][1] - a["load"][1]) / wall,
    }


def per_op(cpu, ops_per_s, server_cpu, load_cpu):
    """CPU microseconds per operation: the server core's busy time, the
    server's own user and system time, the load core's busy time."""
    if not ops_per_s or ops_per_s <= 0 or not cpu:
        return {}
    us = 1e6 / ops_per_s
    return {
        "server_core_us": cpu["core_busy"].get(str(server_cpu), math.nan) * us,
        "server_user_us": cpu["server_user"] * us,
        "server_sys_us": cpu["server_sys"] * us,
        "load_core_us": cpu["core_busy"].get(str(load_cpu), math.nan) * us,
        "load_user_us": cpu["load_user"] * us,
        "load_sys_us": cpu["load_sys"] * us,
    }


def run_load(argv, window, server_pid, load_cpu, log, nice=None, conns=0):
    """Runs argv pinned to load_cpu, samples CPU inside window, waits for
    it.  With conns, the window counts from the moment the server holds
    that many more connections.  Returns (stdout text, exit status, cpu
    dict or None).  A load that ends before the window closes gets no CPU
    figures."""
    cmd = procs.pinned(load_cpu, argv)
    if nice is not None:
        cmd = ["nice", "-n", str(nice)] + cmd
    log.write(f"$ {shlex.join(cmd)}\n")
    log.flush()
    base = sysinfo.fd_count(server_pid) if conns and server_pid else 0
    p = procs.start(cmd, stderr=log)
    t0 = _await_conns(server_pid, base, conns, p) if base else time.monotonic()
    cpu = None
    try:
        _sleep_until(t0 + window.start)
        a = _snapshot(server_pid, p.pid)
        _sleep_until(t0 + window.end)
        if p.poll() is None:
            cpu = cpu_between(a, _snapshot(server_pid, p.pid))
        out, _ = p.communicate(timeout=max(window.timeout - (time.monotonic() - t0), 1))
    except subprocess.TimeoutExpired:
        procs.stop(p)
        raise RuntimeError(f"load did not finish in {window.timeout:.0f} s: {shlex.join(cmd)}")
    status = procs.stop(p)
    return out.decode(errors="replace"), status, cpu
