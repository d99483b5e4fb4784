"""What /proc says about the machine and the processes under test.

Every figure the harness reports next to a rate comes from here: each
core's busy time, split into user space, kernel and steal (/proc/stat), a
process tree's own user and system time (/proc/PID/stat, children
included, so nginx's worker counts for its master), resident memory
(/proc/PID/smaps_rollup), the kernel's slab (/proc/meminfo) and the count
of open descriptors.  Times are in seconds.
"""
import os
import platform
import subprocess

HZ = os.sysconf("SC_CLK_TCK")


# /proc/stat's columns after the name, as core_times() groups them: user
# space (user, nice), the kernel (system, irq, softirq), steal (time the
# hypervisor gave another guest), idle (idle, iowait).
_STAT_GROUPS = {"user": (0, 1), "kernel": (2, 5, 6), "steal": (7,), "idle": (3, 4)}


def parse_stat(text):
    """{cpu_index: {"user", "kernel", "steal", "idle": seconds}} from the
    per-core lines of /proc/stat's text."""
    out = {}
    for line in text.splitlines():
        if not line.startswith("cpu") or line.startswith("cpu "):
            continue
        name, *vals = line.split()
        v = [int(x) for x in vals[:8]] + [0] * (8 - len(vals[:8]))
        out[int(name[3:])] = {g: sum(v[i] for i in idx) / HZ for g, idx in _STAT_GROUPS.items()}
    return out


def core_times():
    """parse_stat() of /proc/stat now."""
    with open("/proc/stat") as f:
        return parse_stat(f.read())


def core_busy(before, after):
    """Per-core shares of the time between two core_times(): "share" is the
    core busy for its tasks (user space and kernel, so the softirq work of
    loopback TCP counts; steal excluded, since the core did not run then),
    split into "user" and "kernel", and "steal" on its own."""
    out = {}
    for cpu, t1 in after.items():
        t0 = before.get(cpu, t1)
        d = {g: t1[g] - t0[g] for g in _STAT_GROUPS}
        total = sum(d.values())
        share = {g: d[g] / total if total > 0 else 0.0 for g in d}
        out[cpu] = {"share": share["user"] + share["kernel"], "user": share["user"],
                    "kernel": share["kernel"], "steal": share["steal"]}
    return out


def _children(pid):
    """Children forked by pid's main thread (a server with a thread per
    connection has thousands of threads: only the main one forks here)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def tree(pid):
    """pid and all its descendants that are still alive."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


def _proc_cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # fields[0] is field 3 (state): utime is field 14, stime field 15.
    return int(fields[11]) / HZ, int(fields[12]) / HZ


def tree_cpu(pid):
    """(user_s, sys_s) of pid and its live descendants, all threads, exited
    threads included (the kernel keeps their time in the process)."""
    user = sys_ = 0.0
    for p in tree(pid):
        try:
            u, s = _proc_cpu(p)
        except (OSError, IndexError, ValueError):
            continue
        user += u
        sys_ += s
    return user, sys_


def sleeps(pid):
    """Voluntary context switches of all of pid's threads: how often it
    slept waiting for something (the sum of voluntary_ctxt_switches in
    /proc/PID/task/*/status)."""
    n = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        for line in _read(f"/proc/{pid}/task/{tid}/status").splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                n += int(line.split()[1])
    return n


def rss_bytes(pid):
    """Resident set of pid and its descendants, in bytes."""
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Rss:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
    return total


def kernel_bytes():
    """The kernel's own memory from /proc/meminfo, in bytes: "slab" (where
    sockets, files and epoll items live) and "kernel", which adds kernel
    stacks and page tables (what a thread per connection costs besides)."""
    want = {"Slab": 0, "KernelStack": 0, "PageTables": 0}
    with open("/proc/meminfo") as f:
        for line in f:
            key = line.split(":", 1)[0]
            if key in want:
                want[key] = int(line.split()[1]) * 1024
    return {"slab": want["Slab"], "kernel": sum(want.values())}


def fd_count(pid):
    """How many descriptors pid holds open (0 when it is gone)."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def _read(path, default=""):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def _cmd(argv, cwd=None):
    try:
        r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=10)
        return (r.stdout or r.stderr).strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine():
    """The description of the machine that every report opens with."""
    model = ""
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "loadavg_at_start": _read("/proc/loadavg"),
        "sysctl": {
            name: _read(f"/proc/sys/{name.replace('.', '/')}")
            for name in ("net.ipv4.ip_local_port_range", "net.ipv4.tcp_tw_reuse",
                         "net.core.somaxconn", "fs.nr_open")
        },
        "nofile": _cmd(["sh", "-c", "ulimit -Sn; ulimit -Hn"]).split(),
        "versions": {
            "libuv": _cmd(["dpkg-query", "-W", "-f=${Version}", "libuv1-dev"]),
            "libevent": _cmd(["dpkg-query", "-W", "-f=${Version}", "libevent-dev"]),
            "nginx": _cmd(["dpkg-query", "-W", "-f=${Version}", "nginx"]),
            "node": _cmd(["node", "--version"]),
            "cc": (_cmd(["cc", "--version"]).splitlines() or [""])[0],
        },
    }
