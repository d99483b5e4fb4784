"""The report's PNG plots, drawn by gnuplot (Debian's gnuplot-nox).

Each function writes its data as whitespace-separated files in a scratch
folder, then a gnuplot script that reads them, and returns the PNG's file
name (relative to the plots folder), or None when the run has no data for
it.  Plotted values are medians; error bars span the min-max of the runs.
"""
import os
import subprocess
import tempfile

from . import stats

TERMINAL = 'set terminal pngcairo size 960,540 font "sans,10" noenhanced'


def _run(script, outdir, name):
    path = os.path.join(outdir, name)
    r = subprocess.run(["gnuplot"], input=f"{TERMINAL}\nset output '{path}'\n{script}",
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"gnuplot failed for {name}: {r.stderr.strip()[-500:]}")
    return name


def _write(tmp, name, rows):
    path = os.path.join(tmp, name)
    with open(path, "w") as f:
        for row in rows:
            f.write(" ".join(_cell(c) for c in row) + "\n")
    return path


def _cell(v):
    if isinstance(v, str):
        return '"' + v + '"'
    return "NaN" if v is None else f"{v:.6g}"


def _q(s):
    return s.replace("'", "")


def throughput(recs, outdir, tmp):
    """Messages/s against connections, 64 B closed loop, one line a server;
    the kernel floor as a point at one connection."""
    par = stats.params(recs, "pingpong")
    pts = [(p, par[p]) for p in stats.points(recs, "pingpong")
           if par[p].get("size") == 64 and par[p].get("pipeline", 1) == 1]
    if not pts:
        return None
    plots = []
    for i, srv in enumerate(stats.server_names(recs, "pingpong")):
        rows = []
        for label, q in pts:
            s = stats.summary(recs, "pingpong", label, srv, "ops_per_s")
            if s:
                rows.append((q["conns"], s.median, s.lo, s.hi))
        if not rows:
            continue
        f = _write(tmp, f"tp{i}.dat", rows)
        style = "yerrorbars pt 7 ps 1.5" if srv == "floor" else "yerrorlines lw 2"
        name = "kernel floor (blocking threads)" if srv == "floor" else srv
        plots.append(f"'{f}' using 1:2:3:4 with {style} title '{_q(name)}'")
    script = ("set logscale x\nset xlabel 'connections'\nset ylabel 'messages/s'\n"
              "set title '64 B ping-pong: throughput against connections (median, min-max)'\n"
              "set key below\nset grid\nset format y '%.0s%c'\nset xrange [0.7:*]\n"
              "plot " + ", ".join(plots))
    return _run(script, outdir, "throughput.png")


def latency(recs, outdir, tmp):
    """p50, p99 and p99.9 against offered load, one panel each."""
    labels = stats.points(recs, "latency")
    if not labels:
        return None
    rate = {p: q["rate"] for p, q in stats.params(recs, "latency").items()}
    files = []
    for i, srv in enumerate(stats.server_names(recs, "latency")):
        rows = []
        for p in labels:
            s = [stats.summary(recs, "latency", p, srv, k) for k in ("p50_us", "p99_us", "p999_us")]
            rows.append([rate[p] / 1000] + [x.median for x in s])
        files.append((srv, _write(tmp, f"lat{i}.dat", rows)))
    script = ("set multiplot layout 1,3 title 'Latency against offered load "
              "(open loop, 100 connections, 64 B; median of runs)'\n"
              "set logscale y\nset grid\nset xlabel 'offered load (thousand messages/s)'\n"
              "set key top left\n")
    for col, name in ((2, "p50"), (3, "p99"), (4, "p99.9")):
        script += (f"set title '{name}'\nset ylabel 'microseconds'\nplot " +
                   ", ".join(f"'{f}' using 1:{col} with linespoints lw 2 title '{_q(s)}'"
                             for s, f in files) + "\n")
    script += "unset multiplot\n"
    return _run(script, outdir, "latency.png")


def _bars(rows, outdir, tmp, name, title, ylabel, log=False):
    """One bar per row (label, median, lo, hi) with its min-max."""
    if not rows:
        return None
    f = _write(tmp, name + ".dat", rows)
    script = (f"set title '{_q(title)}'\nset ylabel '{_q(ylabel)}'\nset style fill solid 0.6\n"
              "set boxwidth 0.6\nset grid y\nset yrange [0:*]\nset xrange [-0.6:*]\n"
              "set format y '%.0s%c'\n" + ("set logscale y\nset yrange [*:*]\n" if log else "") +
              f"plot '{f}' using 0:2:xtic(1) with boxes notitle, "
              f"'' using 0:2:3:4 with yerrorbars pt 0 lc rgb 'black' notitle")
    return _run(script, outdir, name + ".png")


def cps(recs, outdir, tmp):
    """Hello-and-close connections per second."""
    rows = []
    for p in stats.points(recs, "cps"):
        for srv in stats.server_names(recs, "cps", p):
            s = stats.summary(recs, "cps", p, srv, "ops_per_s")
            if s:
                rows.append((srv, s.median, s.lo, s.hi))
    return _bars(rows, outdir, tmp, "cps", "Hello-and-close connections per second "
                 "(median, min-max)", "connections/s")


def memory(recs, outdir, tmp):
    """Server memory per idle connection, and the kernel's, at each count."""
    labels = stats.points(recs, "memory")
    if not labels:
        return None
    rows = []
    for srv in stats.server_names(recs, "memory"):
        row = [srv]
        for p in labels:
            row.append(stats.summary(recs, "memory", p, srv, "rss_per_conn").median)
        rows.append(row)
    slab = stats.Summary([stats.summary(recs, "memory", labels[-1], s, "slab_per_conn").median
                          for s in stats.server_names(recs, "memory") if s != "threads"])
    rows.append(["kernel (2 sockets)"] + [None] * (len(labels) - 1) + [slab.median])
    f = _write(tmp, "mem.dat", rows)
    cols = ", ".join(f"'{f}' using {i + 2}:xtic(1) title '{_q(p)}'" for i, p in enumerate(labels))
    script = ("set title 'Memory per idle connection: server RSS growth, and kernel slab "
              "for both loopback ends (median)'\nset ylabel 'bytes per connection'\n"
              "set style data histogram\nset style histogram clustered gap 1\n"
              "set style fill solid 0.6\nset logscale y\nset grid y\nset key top left\n"
              "set yrange [10:*]\nplot " + cols)
    return _run(script, outdir, "memory.png")


def cpu(recs, outdir, tmp, point):
    """Server-core time per message at one ping-pong point, split into the
    server's user time, its system time and the rest of its core (softirq,
    other tasks)."""
    rows = []
    for srv in stats.server_names(recs, "pingpong", point):
        core, user, sys_ = (stats.summary(recs, "pingpong", point, srv, k).median
                            for k in ("server_core_us", "server_user_us", "server_sys_us"))
        if core is None or user is None or sys_ is None:
            continue
        rows.append((srv, user, sys_, max(core - user - sys_, 0.0)))
    if not rows:
        return None
    f = _write(tmp, "cpu.dat", rows)
    script = (f"set title 'Server CPU time per message, {_q(point)} ping-pong (median)'\n"
              "set ylabel 'microseconds per message'\nset style data histogram\n"
              "set style histogram rowstacked\nset style fill solid 0.7\nset boxwidth 0.6\n"
              "set grid y\nset key outside right\nset yrange [0:*]\n"
              f"plot '{f}' using 2:xtic(1) title 'user (the server)', "
              "'' using 3 title 'system (its syscalls)', '' using 4 title 'rest of its core'")
    return _run(script, outdir, "cpu.png")


def all_plots(recs, outdir, cpu_point):
    """Draws every plot the records allow; returns {kind: file name}."""
    os.makedirs(outdir, exist_ok=True)
    out = {}
    with tempfile.TemporaryDirectory(prefix="bench-plots-") as tmp:
        for kind, fn in (("throughput", throughput), ("latency", latency), ("cps", cps),
                         ("memory", memory)):
            name = fn(recs, outdir, tmp)
            if name:
                out[kind] = name
        name = cpu(recs, outdir, tmp, cpu_point)
        if name:
            out["cpu"] = name
    return out
