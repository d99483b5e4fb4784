"""Scenario 6: memory per idle connection, the server's and the kernel's.

For each echo server, started fresh: read its resident set, its descriptor
count and the kernel's slab; open idle connections with `tcpload hold`
(several processes, each under the open-file limit, spread over source
addresses so ports never run out) until the server holds the first count
(10,000), read again, then as many as the server's own open-file limit
allows, read again.  The growth divided by the connections the server
really holds (its descriptor count, not what the clients asked for) is the
memory per connection.  On loopback both ends of every connection are in
this kernel, so the slab growth covers two sockets per connection.  Kernel
stacks and page tables are recorded beside the slab, since a thread per
connection costs its stack in the kernel too.
"""
import time

from . import load, procs, servers, stats, sysinfo

HOLD_MAX = 9500       # connections per tcpload hold process
CONNECT_RATE = 10000  # per second, per hold process
FD_MARGIN = 64        # descriptors the server keeps spare at "max"


def _nofile(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3])
    raise RuntimeError("no open-file limit in /proc/PID/limits")


def _settle(pid, want, holds, timeout):
    """Waits until pid holds `want` descriptors, or the count stops moving
    for a second, or timeout.  Returns the count."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        n = sysinfo.fd_count(pid)
        if n >= want:
            return n
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since > 1.0 and all(h.poll() is not None for h in holds):
            return n
        elif time.monotonic() - since > 3.0:
            return n
        time.sleep(0.05)
    return sysinfo.fd_count(pid)


def _open(ctx, srv, count, holds):
    """Adds hold processes until count more connections are asked for."""
    while count > 0:
        n = min(count, HOLD_MAX)
        argv = procs.pinned(ctx.load_cpu, load.hold_argv(ctx.tcpload, srv.addr, n,
                                                          CONNECT_RATE, 600))
        ctx.load_log.write("$ " + " ".join(argv) + "\n")
        ctx.load_log.flush()
        holds.append(procs.start(argv, stderr=ctx.load_log))
        count -= n


def _sample():
    time.sleep(0.5)  # let allocators and the kernel's deferred frees settle
    return sysinfo.kernel_bytes()


def measure_server(ctx, server, counts, run):
    """Records one run of one server at every count."""
    srv = server.start(ctx.server_cpu, ctx.server_log)
    holds = []
    try:
        fds0 = sysinfo.fd_count(srv.pid)
        kern0 = _sample()
        rss0 = sysinfo.rss_bytes(srv.pid)
        limit = _nofile(srv.pid)
        asked = 0
        for count in counts:
            target = limit - fds0 - FD_MARGIN if count == "max" else count
            label = "max idle" if count == "max" else f"{count:,} idle"
            _open(ctx, srv, target - asked, holds)
            asked = target
            held = _settle(srv.pid, fds0 + target, holds, target / CONNECT_RATE + 15) - fds0
            kern = _sample()
            rss = sysinfo.rss_bytes(srv.pid)
            ok = srv.alive() and held >= 0.98 * target
            m = {"conns": held, "asked": target, "rss_base": rss0, "rss": rss,
                 "rss_per_conn": (rss - rss0) / held if held > 0 else None,
                 "slab_per_conn": (kern["slab"] - kern0["slab"]) / held if held > 0 else None,
                 "kernel_per_conn":
                     (kern["kernel"] - kern0["kernel"]) / held if held > 0 else None,
                 "slab_growth": kern["slab"] - kern0["slab"]}
            rec = {"scenario": "memory", "point": label, "params": {"count": count},
                   "server": server.name, "run": run, "ok": ok,
                   "error": "" if ok else f"server holds {held} of {target} connections",
                   "metrics": m}
            ctx.results.add(rec)
            ctx.log(f"  memory    {label:<22} {server.name:<9} run {run + 1}: {held:,} conns, "
                    f"{m['rss_per_conn'] or 0:,.0f} B/conn RSS, "
                    f"{m['slab_per_conn'] or 0:,.0f} B/conn slab (both ends)")
    finally:
        for h in holds:
            procs.stop(h)
        srv.stop()


def memory(ctx):
    """Scenario 6, interleaved: every server once per run."""
    mem = ctx.p["memory"]
    for run in range(ctx.p["runs"]):
        for server in servers.echo_servers(ctx.bins):
            try:
                measure_server(ctx, server, mem["counts"], run)
            except RuntimeError as e:
                ctx.results.add({"scenario": "memory", "point": stats.SETUP, "server": server.name,
                                 "run": run, "ok": False, "error": str(e), "metrics": {}})
                ctx.log(f"  memory    {server.name} run {run + 1}: FAILED: {e}")
