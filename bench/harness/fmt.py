"""Formatting for the report: numbers, spreads, ratios, tables.

Every figure BENCHMARKS.md prints goes through one of these, so that the
same quantity reads the same everywhere: "–" for a figure not measured,
a ratio as "median x (min–max)".
"""


def n(v, digits=0):
    if v is None:
        return "–"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def us(v):
    if v is None:
        return "–"
    return f"{v:.3g}" if v < 100 else f"{v:,.0f}"


def f3(v):
    return "–" if v is None else f"{v:.3f}"


def pct(v):
    return "–" if v is None else f"{v * 100:.0f}%"


def spread(s, fmt=n):
    return "–" if not s else f"{fmt(s.lo)}–{fmt(s.hi)}"


def ratio(s):
    if not s:
        return "–"
    if s.n == 1:
        return f"{s.median:.2f}x"
    return f"{s.median:.2f}x ({s.lo:.2f}–{s.hi:.2f})"


def table(headers, rows):
    out = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out) + "\n"


def failures(recs, scenario):
    bad = [r for r in recs if r["scenario"] == scenario and not r["ok"]]
    if not bad:
        return ""
    lines = [f"- {r['server']}, {r['point']}, run {r['run'] + 1}: {r.get('error', '')}"
             for r in bad]
    return "\nFailed measurements (left out of the medians):\n\n" + "\n".join(lines) + "\n"
