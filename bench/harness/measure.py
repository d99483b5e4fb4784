"""One measurement: a load process against a running server, with the CPU
accounting of the steady part of the run.

The load prints its own rates over its measuring window, which starts
after it has opened its connections and warmed up, and ends just before it
exits.  While it runs, the harness reads /proc every SAMPLE_S seconds: each
core's busy time, and the user and system time of the server's process
tree and of the load.  When the load has exited, the window is placed back
from the exit (the one instant observed exactly, whatever the time the
connections took to open), trimmed at both ends, and the two samples that
bound it become rates (CPU seconds per second); divided by the load's
operations per second they are the CPU time per operation, which shows a
faster server even when the load generator, not the server, caps the rate.
"""
import math
import shlex
import time

from . import procs, sysinfo


SAMPLE_S = 0.025


class Window:
    """The load's measuring window: duration seconds ending when the load
    exits, less its teardown (closing its connections: up to teardown_s),
    trimmed by trim seconds at each end."""

    def __init__(self, warmup, duration, conns=1, trim=0.1):
        self.duration = duration
        self.trim = min(trim, duration / 4)
        self.teardown = 0.01 + conns * 10e-6
        self.timeout = warmup + duration + 60


def _snapshot(server_pid, load_pid):
    return {
        "t": time.monotonic(),
        "cores": sysinfo.core_times(),
        "server": sysinfo.tree_cpu(server_pid) if server_pid else (0.0, 0.0),
        "load": sysinfo.tree_cpu(load_pid),
    }


def cpu_between(a, b):
    """CPU rates between two snapshots: per-core busy share (steal
    excluded) with its user, kernel and steal parts, and the server's and
    the load's user and system seconds per second."""
    wall = b["t"] - a["t"]
    cores = sysinfo.core_busy(a["cores"], b["cores"])
    out = {"wall_s": wall}
    for part, key in (("share", "core_busy"), ("user", "core_user"), ("kernel", "core_kernel"),
                      ("steal", "core_steal")):
        out[key] = {str(c): v[part] for c, v in cores.items()}
    out.update({
        "server_user": (b["server"][0] - a["server"][0]) / wall,
        "server_sys": (b["server"][1] - a["server"][1]) / wall,
        "load_user": (b["load"][0] - a["load"][0]) / wall,
        "load_sys": (b["load"][1] - a["load"][1]) / wall,
    })
    return out


def cores_sum(cpu, key, cpus):
    """The sum over cpus (an index or a list of them) of cpu[key]: core
    seconds per second; NaN when a core is missing."""
    cpus = cpus if isinstance(cpus, (list, tuple)) else [cpus]
    return sum(cpu[key].get(str(c), math.nan) for c in cpus)


def per_op(cpu, ops_per_s, server_cpus, load_cpus):
    """CPU microseconds per operation: the server cores' busy time (steal
    excluded) and its user-space and kernel parts as /proc/stat splits them
    (the same quantity for every server, whatever its processes), the
    server's own user and system time, the load cores' busy time."""
    if not ops_per_s or ops_per_s <= 0 or not cpu:
        return {}
    us = 1e6 / ops_per_s
    return {
        "server_core_us": cores_sum(cpu, "core_busy", server_cpus) * us,
        "server_core_user_us": cores_sum(cpu, "core_user", server_cpus) * us,
        "server_core_kernel_us": cores_sum(cpu, "core_kernel", server_cpus) * us,
        "server_user_us": cpu["server_user"] * us,
        "server_sys_us": cpu["server_sys"] * us,
        "load_core_us": cores_sum(cpu, "core_busy", load_cpus) * us,
        "load_user_us": cpu["load_user"] * us,
        "load_sys_us": cpu["load_sys"] * us,
    }


def _bounds(samples, window, t_exit):
    """The samples that bound the window placed back from t_exit, or None
    when the load ran too short to have one."""
    end = t_exit - window.teardown - window.trim
    start = t_exit - window.teardown - window.duration + window.trim
    inside = [x for x in samples if start <= x["t"] <= end]
    if len(inside) < 2 or inside[-1]["t"] - inside[0]["t"] < window.duration / 3:
        return None
    return inside[0], inside[-1]


def run_load(argv, window, server_pid, load_cpu, log):
    """Runs argv pinned to load_cpu (an index or a list), sampling /proc
    until it exits.  Returns (stdout text, exit status, cpu dict or None);
    None when the load ended too soon for a window."""
    cmd = procs.pinned(load_cpu, argv)
    log.write(f"$ {shlex.join(cmd)}\n")
    log.flush()
    t0 = time.monotonic()
    p = procs.start(cmd, stderr=log)
    samples = []
    while p.poll() is None:
        if time.monotonic() - t0 > window.timeout:
            procs.stop(p)
            raise RuntimeError(f"load did not finish in {window.timeout:.0f} s: {shlex.join(cmd)}")
        samples.append(_snapshot(server_pid, p.pid))
        time.sleep(SAMPLE_S)
    t_exit = time.monotonic()
    out = p.stdout.read()
    status = procs.stop(p)
    b = _bounds(samples, window, t_exit)
    return out.decode(errors="replace"), status, cpu_between(*b) if b else None
