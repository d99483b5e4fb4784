"""What /proc says about the machine and the processes under test.

Every figure the harness reports next to a rate comes from here: each
core's busy time (/proc/stat), a process tree's own user and system time
(/proc/PID/stat, children included, so nginx's worker counts for its
master), resident memory (/proc/PID/smaps_rollup), the kernel's slab
(/proc/meminfo) and the count of open descriptors.  Times are in seconds.
"""
import os
import platform
import subprocess

HZ = os.sysconf("SC_CLK_TCK")


def core_times():
    """Returns {cpu_index: (busy_seconds, total_seconds)} from /proc/stat.

    Busy is everything but idle and iowait (user, nice, system, irq,
    softirq, steal), so the softirq work of loopback TCP counts."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            if not line.startswith("cpu") or line.startswith("cpu "):
                continue
            name, *vals = line.split()
            v = [int(x) for x in vals[:8]]
            idle = v[3] + v[4]
            total = sum(v)
            out[int(name[3:])] = ((total - idle) / HZ, total / HZ)
    return out


def core_busy(before, after):
    """Per-core busy share and busy seconds between two core_times()."""
    out = {}
    for cpu, (b1, t1) in after.items():
        b0, t0 = before.get(cpu, (b1, t1))
        dt = t1 - t0
        out[cpu] = {"busy_s": b1 - b0, "share": (b1 - b0) / dt if dt > 0 else 0.0}
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


def machine(root):
    """The description of machine and source that every report opens with."""
    model = ""
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    commit = _cmd(["git", "rev-parse", "HEAD"], cwd=root)
    dirty = _cmd(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root)
    return {
        "cpu_model": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "commit": commit + ("-dirty" if dirty else ""),
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
