"""tcpload and floor command lines, and what their JSON says.

Every scenario drives its servers with bin/tcpload, one thread
pinned to the load CPU.  The functions here build the command lines and
turn tcpload's --json summary into the few numbers the harness reports, so
that a change in tcpload's output touches only this file.
"""
import json

SOURCES = "127.0.0.2-127.0.0.254"  # --source fan-out for connect and hold


def _dur(seconds):
    return f"{int(round(seconds * 1000))}ms"


def echo_argv(tcpload, addr, conns, size, warmup, duration, pipeline=1, rate=None, threads=1,
              histogram=None, interval=None):
    """Closed loop (rate None) or open loop at rate messages/s in total;
    histogram: a file for tcpload's latency distribution; interval: seconds
    per line of tcpload's latency over time (JSON Lines before the summary)."""
    argv = [tcpload, "echo", addr, "-c", str(conns), "-t", str(threads), "-s", str(size),
            "--warmup", _dur(warmup), "-d", _dur(duration), "--json"]
    if histogram:
        argv += ["--histogram", histogram]
    if interval:
        argv += ["--interval", _dur(interval)]
    if pipeline > 1:
        argv += ["--pipeline", str(pipeline)]
    if rate is not None:
        argv += ["-R", str(int(rate))]
    return argv


def connect_argv(tcpload, addr, conns, warmup, duration, threads=1):
    """Hello-and-close transactions: connect, read until EOF, close (RST)."""
    return [tcpload, "connect", addr, "-c", str(conns), "-t", str(threads),
            "--source", SOURCES, "--linger0",
            "--warmup", _dur(warmup), "-d", _dur(duration), "--json"]


def hold_argv(tcpload, addr, conns, rate, duration):
    """conns idle connections opened at rate per second, held duration s."""
    return [tcpload, "hold", addr, "-c", str(conns), "--connect-rate", str(int(rate)),
            "--source", SOURCES, "-d", _dur(duration), "--json"]


def floor_argv(floor, size, warmup, duration, server_cpu, client_cpu):
    return [floor, "--size", str(size), "--warmup", _dur(warmup), "--duration", _dur(duration),
            "--server-cpu", str(server_cpu), "--client-cpu", str(client_cpu), "--json"]


def last_json(text):
    """The last line of text that parses as a JSON object."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    raise ValueError("no JSON object in the output: " + text.strip()[-300:])


def _get(js, *paths, default=None):
    """The first of several key paths present in js: a key as it is, or
    dotted keys into nested objects."""
    for path in paths:
        if isinstance(js, dict) and path in js:
            return js[path]
        v = js
        for k in path.split("."):
            if not isinstance(v, dict) or k not in v:
                break
            v = v[k]
        else:
            return v
    return default


def _mismatches(js):
    m = _get(js, "mismatches", default={}) or {}
    return (m.get("bytes") or 0) + (m.get("messages") or 0) if isinstance(m, dict) else m


def _done_share(js):
    """The share of the messages due in an open-loop window that were done
    in it (None in closed loop)."""
    due, done = _get(js, "rate.scheduled"), _get(js, "rate.done")
    return done / due if due else None


def echo_summary(js):
    """Messages/s, MB/s (echoed bytes coming back), latency percentiles
    (us, from each message's send or scheduled time), mismatches, and
    whether an open-loop rate was kept."""
    lat = _get(js, "latency_us.message", default={}) or {}
    return {
        "ops": _get(js, "messages"),
        "ops_per_s": _get(js, "per_second"),
        "mb_per_s": _get(js, "mb_per_s_in"),
        "p50_us": lat.get("p50"),
        "p99_us": lat.get("p99"),
        "p999_us": lat.get("p99.9"),
        "max_us": lat.get("max"),
        "mismatches": _mismatches(js),
        "errors": _get(js, "errors", default={}),
        "rate_kept": _get(js, "rate.kept", default=True),
        "rate_verdict": _get(js, "rate.verdict"),
        "rate_done_share": _done_share(js),
        "conns_lost": _get(js, "connections.lost", default=0),
        "conns_failed": _get(js, "connections.failed", default=0),
    }


def connect_summary(js):
    """Transactions/s, and the latency of the first byte and of the whole
    transaction (us)."""
    first = _get(js, "latency_us.first_byte", default={}) or {}
    txn = _get(js, "latency_us.transaction", default={}) or {}
    return {
        "ops": _get(js, "transactions"),
        "ops_per_s": _get(js, "per_second"),
        "p50_us": txn.get("p50"),
        "p99_us": txn.get("p99"),
        "first_byte_p99_us": first.get("p99"),
        "errors": _get(js, "errors", default={}),
        "error_count": sum((_get(js, "errors", default={}) or {}).values()),
        "mismatches": _mismatches(js),
    }


def worker_accepts(text):
    """The per-worker accept counts from echod's --json summary in text
    (what it printed at exit), or None when there is none."""
    for line in reversed(text.strip().splitlines()):
        try:
            js = json.loads(line)
        except ValueError:
            continue
        if isinstance(js, dict) and js.get("type") == "summary":
            return [w.get("accepted", 0) for w in js.get("workers", [])]
    return None


def intervals(text):
    """[(start_s, messages/s, p50_us, p99_us, max_us)] from the interval
    lines (`"type":"interval"`) tcpload's --interval --json prints, in
    order; latencies are None for an interval in which nothing completed."""
    out = []
    for line in text.splitlines():
        if not line.startswith('{"type":"interval"'):
            continue
        js = json.loads(line)
        lat = _get(js, "latency_us.message", default={}) or {}
        out.append((js["start_s"], js["per_second"], lat.get("p50"), lat.get("p99"),
                    lat.get("max")))
    return out


def read_hgrm(path):
    """(rows, samples) from the file tcpload's --histogram writes, in
    HdrHistogram's percentile format (.hgrm): rows are (value_us,
    percentile in %) in order, samples the total count."""
    rows, samples = [], 0
    with open(path) as f:
        for line in f:
            cols = line.split()
            try:
                value, frac, count = float(cols[0]), float(cols[1]), int(cols[2])
            except (IndexError, ValueError):
                continue  # the header, blank lines and the #[...] footer
            rows.append((value, frac * 100))
            samples = count
    return rows, samples


# The percentiles of a latency spectrum, evenly spaced on the 1/(1-p) axis.
SPECTRUM = (0, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999, 100)


def spectrum(rows, samples, percentiles=SPECTRUM):
    """[(percentile, value_us)] from read_hgrm(): for each percentile, the
    least value that at least that share of the samples did not exceed; a
    percentile finer than the samples can resolve (fewer than one sample
    beyond it) is left out, except 100, the maximum."""
    out = []
    for pct in percentiles:
        if pct < 100 and samples * (100 - pct) / 100 < 1:
            continue
        value = next((v for v, p in rows if p >= pct), None)
        if value is not None:
            out.append((pct, value))
    return out


def stored(js):
    """tcpload's summary as a record keeps it: without the raw histogram
    buckets and counters (tens of kilobytes a run, which the report never
    reads and results.json would carry for every measurement)."""
    return {k: v for k, v in js.items() if k not in ("histograms", "counters")}


def floor_summary(js):
    return {"ops": js["round_trips"], "ops_per_s": js["rate"], "p50_us": None,
            "mean_us": js["mean_us"], "mb_per_s": js["rate"] * js["size"] / 1e6,
            "server_user_s": js["server_user_s"], "server_sys_s": js["server_sys_s"],
            "seconds": js["seconds"]}


