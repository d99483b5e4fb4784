"""The report's PNG plots, drawn by gnuplot (Debian's gnuplot-nox).

Each function writes its data as whitespace-separated files in a scratch
folder, then a gnuplot script that reads them, and returns the PNG's file
name (relative to the plots folder), or None when the run has no data for
it.  Plotted values are medians; error bars span the min-max of the runs.
Value axes start at zero; a plot with a logarithmic axis says so in its
title or axis label.
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
    script = ("set logscale x\nset xlabel 'connections (log scale)'\nset ylabel 'messages/s'\n"
              "set title '64 B ping-pong: throughput against connections (median, min-max)'\n"
              "set key below\nset grid\nset format y '%.0s%c'\nset xrange [0.7:*]\n"
              "set yrange [0:*]\n"
              "plot " + ", ".join(plots))
    return _run(script, outdir, "throughput.png")


def latency(recs, outdir, tmp):
    """p50, p99 and p99.9 against offered load, one panel each, with the
    min-max of the runs."""
    labels = stats.points(recs, "latency")
    if not labels:
        return None
    rate = {p: q["rate"] for p, q in stats.params(recs, "latency").items()}
    files = []
    for i, srv in enumerate(stats.server_names(recs, "latency")):
        rows = []
        for p in labels:
            row = [rate[p] / 1000]
            for k in ("p50_us", "p99_us", "p999_us"):
                x = stats.summary(recs, "latency", p, srv, k)
                row += [x.median, x.lo, x.hi]
            rows.append(row)
        files.append((srv, _write(tmp, f"lat{i}.dat", rows)))
    script = ("set multiplot layout 1,3 title 'Latency against offered load "
              "(open loop, 100 connections, 64 B; median, min-max of runs)'\n"
              "set logscale y\nset grid\nset xlabel 'offered load (thousand messages/s)'\n"
              "set xrange [0:*]\nset key top left\n")
    for col, name in ((2, "p50"), (5, "p99"), (8, "p99.9")):
        script += (f"set title '{name}'\nset ylabel 'microseconds (log scale)'\nplot " +
                   ", ".join(f"'{f}' using 1:{col}:{col + 1}:{col + 2} with yerrorlines lw 2 "
                             f"title '{_q(s)}'" for s, f in files) + "\n")
    script += "unset multiplot\n"
    return _run(script, outdir, "latency.png")


def _median_run(recs, scenario, point, srv, key):
    """The record of srv at point whose key is the median of its runs (the
    lower middle one for an even count)."""
    runs = sorted((r for r in recs if (r["scenario"], r["point"], r["server"]) ==
                   (scenario, point, srv) and r["ok"] and r["metrics"].get(key) is not None),
                  key=lambda r: r["metrics"][key])
    return runs[(len(runs) - 1) // 2] if runs else None


def _detail_lines(recs, tmp, field, rows_of):
    """(point, gnuplot plot clauses): one line per server from the record
    field (spectrum, over_time) of the latency point kept in detail, for
    each server the run with the median p99; rows_of turns the field into
    the data rows."""
    point = next((r["point"] for r in recs if r["scenario"] == "latency" and r.get(field)),
                 None)
    lines = []
    for i, srv in enumerate(stats.server_names(recs, "latency", point) if point else []):
        rec = _median_run(recs, "latency", point, srv, "p99_us")
        if rec and rec.get(field):
            f = _write(tmp, f"{field}{i}.dat", rows_of(rec[field]))
            lines.append(f"'{f}' using 1:2 with linespoints lw 2 title '{_q(srv)}'")
    return point, lines


def spectrum(recs, outdir, tmp):
    """Latency against percentile on a 1/(1-p) axis (wrk2's percentile
    spectrum) at the latency point kept in detail."""
    point, lines = _detail_lines(recs, tmp, "spectrum", lambda spec: [
        (1 / (1 - p / 100), v) for p, v in spec if p < 100])
    if not lines:
        return None
    tics = ", ".join(f"'{p:g}%%' {1 / (1 - p / 100):g}"  # %% : a tic label is a format
                     for p in (0, 90, 99, 99.9, 99.99, 99.999))
    script = (f"set title 'Latency by percentile at {_q(point)} offered (open loop, 100 "
              "connections, 64 B; the median-p99 run of each server)'\n"
              "set logscale x\nset xlabel 'percentile (axis 1/(1-p), log scale)'\n"
              f"set xtics ({tics})\nset ylabel 'microseconds'\nset yrange [0:*]\n"
              "set grid\nset key top left\nplot " + ", ".join(lines))
    return _run(script, outdir, "spectrum.png")


def over_time(recs, outdir, tmp):
    """p99 latency per interval of tcpload's --interval at the latency point
    kept in detail."""
    point, lines = _detail_lines(recs, tmp, "over_time", lambda ivs: [
        (t, p99) for t, _, _, p99, _ in ivs])
    if not lines:
        return None
    script = (f"set title 'p99 latency over time at {_q(point)} offered (open loop, 100 "
              "connections, 64 B; per 100 ms interval, the median-p99 run of each server)'\n"
              "set xlabel 'seconds from the start of the measured window (negative: warm-up)'\n"
              "set ylabel 'p99 in the interval, microseconds'\nset yrange [0:*]\n"
              "set grid\nset key top left\nplot " + ", ".join(lines))
    return _run(script, outdir, "over_time.png")


def _bar_panel(f, title, ylabel):
    """The gnuplot lines of one bar chart of file f (label, median, lo, hi)."""
    return (f"set title '{_q(title)}'\nset ylabel '{_q(ylabel)}'\nset style fill solid 0.6\n"
            "set boxwidth 0.6\nset grid y\nset yrange [0:*]\nset xrange [-0.6:*]\n"
            "set format y '%.0f'\n"
            f"plot '{f}' using 0:2:xtic(1) with boxes notitle, "
            f"'' using 0:2:3:4 with yerrorbars pt 0 lc rgb 'black' notitle\n")


def _server_rows(recs, scenario, point, key):
    rows = []
    for srv in stats.server_names(recs, scenario, point):
        s = stats.summary(recs, scenario, point, srv, key)
        if s:
            rows.append((srv, s.median, s.lo, s.hi))
    return rows


def stream(recs, outdir, tmp):
    """Streaming MB/s and server-core time per 64 KiB, one bar a server."""
    point = (stats.points(recs, "stream") or [None])[0]
    mb = _server_rows(recs, "stream", point, "mb_per_s")
    core = _server_rows(recs, "stream", point, "server_core_us")
    if not mb:
        return None
    script = (f"set multiplot layout 1,2 title 'Streaming, {_q(point)} (median, min-max)'\n" +
              _bar_panel(_write(tmp, "stream_mb.dat", mb), "MB/s echoed (higher is better)",
                         "MB/s") +
              _bar_panel(_write(tmp, "stream_core.dat", core),
                         "server-core time per 64 KiB (lower is better)", "microseconds") +
              "unset multiplot\n")
    return _run(script, outdir, "stream.png")


def fairness(recs, outdir, tmp):
    """p99 alone and under the flood, and the flood's own MB/s."""
    point = (stats.points(recs, "fairness") or [None])[0]
    rows = []
    for srv in stats.server_names(recs, "fairness", point):
        a, b = (stats.summary(recs, "fairness", point, srv, k) for k in ("p99_us", "p99_flood_us"))
        if a and b:
            rows.append((srv, a.median, a.lo, a.hi, b.median, b.lo, b.hi))
    if not rows:
        return None
    f = _write(tmp, "fair.dat", rows)
    mb = _write(tmp, "fair_mb.dat", _server_rows(recs, "fairness", point, "flood_mb_per_s"))
    script = (f"set multiplot layout 1,2 title 'Fairness, {_q(point)}: one connection floods "
              "64 KiB writes (median, min-max)'\n"
              "set title 'p99 of the others (lower is better)'\nset ylabel 'microseconds'\n"
              "set style data histogram\nset style histogram errorbars gap 1 lw 1\n"
              "set style fill solid 0.6\nset grid y\nset yrange [0:*]\nset key top left\n"
              f"plot '{f}' using 2:3:4:xtic(1) title 'alone', "
              "'' using 5:6:7 title 'with the flood'\n"
              "set style data boxes\n" +
              _bar_panel(mb, "MB/s of the flood itself", "MB/s") + "unset multiplot\n")
    return _run(script, outdir, "fairness.png")


def scaling(recs, outdir, tmp):
    """Connections/s and messages/s per worker against workers, one line a
    server and listener design."""
    panels = []
    for i, kind in enumerate(("connections/s", "messages/s")):
        pts = stats.scaling_points(recs, kind)
        lines = []
        for j, srv in enumerate(stats.server_names(recs, "scaling")):
            rows = []
            for p in pts:
                s = stats.summary(recs, "scaling", p, srv, "ops_per_s_per_worker")
                if s:
                    rows.append((stats.params(recs, "scaling")[p]["workers"], s.median, s.lo,
                                 s.hi))
            if rows:
                f = _write(tmp, f"scale{i}_{j}.dat", rows)
                lines.append(f"'{f}' using 1:2:3:4 with yerrorlines lw 2 pt 7 title '{_q(srv)}'")
        if lines:
            panels.append(f"set title '{kind} per worker'\nset ylabel '{kind}'\nplot " +
                          ", ".join(lines) + "\n")
    if not panels:
        return None
    workers = sorted({q["workers"] for q in stats.params(recs, "scaling").values()
                      if not q.get("accepts_only")})
    tics = ", ".join(str(w) for w in workers)
    script = ("set multiplot layout 1,2 title 'Scaling: per-worker rate against workers, "
              "each worker and load thread on a core of its own (median, min-max)'\n"
              f"set xlabel 'workers'\nset xrange [0:{workers[-1] + 1}]\nset xtics ({tics})\n"
              "set yrange [0:*]\nset grid\n"
              "set key below\nset format y '%.0s%c'\n" + "".join(panels) + "unset multiplot\n")
    return _run(script, outdir, "scaling.png")


def _bars(rows, outdir, tmp, name, title, ylabel):
    """One bar per row (label, median, lo, hi) with its min-max."""
    if not rows:
        return None
    return _run(_bar_panel(_write(tmp, name + ".dat", rows), title, ylabel), outdir,
                name + ".png")


def cps(recs, outdir, tmp):
    """Hello-and-close connections per second."""
    point = (stats.points(recs, "cps") or [None])[0]
    return _bars(_server_rows(recs, "cps", point, "ops_per_s"), outdir, tmp, "cps",
                 "Hello-and-close connections per second "
                 "(median, min-max)", "connections/s")


def memory(recs, outdir, tmp):
    """Server memory per idle connection at each count (median, min-max),
    and the kernel's slab for both ends (median over the servers)."""
    labels = stats.points(recs, "memory")
    if not labels:
        return None
    rows = []
    for srv in stats.server_names(recs, "memory"):
        row = [srv]
        for p in labels:
            s = stats.summary(recs, "memory", p, srv, "rss_per_conn")
            row += [s.median, s.lo, s.hi]
        rows.append(row)
    slab = stats.Summary([stats.summary(recs, "memory", labels[-1], s, "slab_per_conn").median
                          for s in stats.server_names(recs, "memory") if s != "threads"])
    rows.append(["kernel (2 sockets)"] + [None] * (3 * len(labels) - 3) +
                [slab.median, slab.lo, slab.hi])
    f = _write(tmp, "mem.dat", rows)
    cols = ", ".join(f"'{f}' using {3 * i + 2}:{3 * i + 3}:{3 * i + 4}:xtic(1) title '{_q(p)}'"
                     for i, p in enumerate(labels))
    script = ("set title 'Memory per idle connection (median, min-max): server RSS growth; "
              "kernel slab, both loopback ends'\n"
              "set ylabel 'bytes per connection (log scale)'\n"
              "set style data histogram\nset style histogram errorbars gap 1 lw 1\n"
              "set style fill solid 0.6\nset logscale y\nset grid y\nset key top left\n"
              "set yrange [10:*]\nplot " + cols)
    return _run(script, outdir, "memory.png")


def cpu(recs, outdir, tmp, point):
    """Server-core time per message at one ping-pong point (steal excluded),
    split by /proc/stat into user space and kernel: the same quantity for
    every server."""
    rows = []
    for srv in stats.server_names(recs, "pingpong", point):
        user, kern = (stats.summary(recs, "pingpong", point, srv, k).median
                      for k in ("server_core_user_us", "server_core_kernel_us"))
        if user is not None and kern is not None:
            rows.append((srv, user, kern))
    if not rows:
        return None
    f = _write(tmp, "cpu.dat", rows)
    script = (f"set title 'Server-core time per message, {_q(point)} ping-pong (median; "
              "/proc/stat of the server CPU, steal excluded)'\n"
              "set ylabel 'microseconds per message'\nset style data histogram\n"
              "set style histogram rowstacked\nset style fill solid 0.7\nset boxwidth 0.6\n"
              "set grid y\nset key top left\nset yrange [0:*]\n"
              f"plot '{f}' using 2:xtic(1) title 'user space', "
              "'' using 3 title 'kernel (system, irq, softirq)'")
    return _run(script, outdir, "cpu.png")


def all_plots(recs, outdir, cpu_point):
    """Draws every plot the records allow; returns {kind: file name}."""
    os.makedirs(outdir, exist_ok=True)
    out = {}
    with tempfile.TemporaryDirectory(prefix="bench-plots-") as tmp:
        for kind, fn in (("throughput", throughput), ("stream", stream), ("latency", latency),
                         ("spectrum", spectrum), ("over_time", over_time), ("cps", cps),
                         ("fairness", fairness), ("memory", memory), ("scaling", scaling)):
            name = fn(recs, outdir, tmp)
            if name:
                out[kind] = name
        name = cpu(recs, outdir, tmp, cpu_point)
        if name:
            out["cpu"] = name
    return out
