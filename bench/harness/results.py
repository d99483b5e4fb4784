"""A run's results on disk: bench/results/STAMP-PROFILE/.

results.json holds the run's description ("meta": machine, kernel, commit,
date, the exact command, the servers' command lines, the profile) and one
record per measurement ("records"); it is rewritten after every record, so
an interrupted run keeps what it measured.  results.csv flattens the
records' scalar metrics, one row each, for spreadsheets.  logs/ keeps the servers'
and loads' stderr; bin/ the programs the run used.  bench/results/latest points to the newest run.
"""
import csv
import json
import math
import os
import time


class Results:
    def __init__(self, base, profile, meta):
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.dir = os.path.join(base, f"{stamp}-{profile}")
        os.makedirs(os.path.join(self.dir, "logs"), exist_ok=True)
        latest = os.path.join(base, "latest")
        if os.path.islink(latest):
            os.unlink(latest)
        if not os.path.exists(latest):
            os.symlink(os.path.basename(self.dir), latest)
        self.meta = meta
        self.records = []
        self.save()

    def log_path(self, name):
        """The path of a file under logs/."""
        return os.path.join(self.dir, "logs", name)

    def log_file(self, name):
        """An append-mode log file under logs/."""
        return open(self.log_path(name), "a")

    def add(self, record):
        self.records.append(_clean(record))
        self.save()

    def save(self):
        tmp = os.path.join(self.dir, "results.json.tmp")
        with open(tmp, "w") as f:
            json.dump({"meta": self.meta, "records": self.records}, f, indent=1,
                      default=_jsonable)
        os.replace(tmp, os.path.join(self.dir, "results.json"))

    def write_csv(self):
        keys = sorted({k for r in self.records for k, v in r.get("metrics", {}).items()
                       if v is None or isinstance(v, (int, float, str, bool))})
        with open(os.path.join(self.dir, "results.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["scenario", "point", "server", "run", "ok", "error"] + keys)
            for r in self.records:
                m = r.get("metrics", {})
                w.writerow([r["scenario"], r["point"], r["server"], r["run"], int(r["ok"]),
                            r.get("error", "")] + [_cell(m.get(k)) for k in keys])


def load(path):
    """Reads a run from its folder (or its results.json)."""
    if os.path.isdir(path):
        path = os.path.join(path, "results.json")
    with open(path) as f:
        return json.load(f)


def tree(meta):
    """The source tree state a run's meta records, as source.state() gives
    it (a run stored before dirty_paths existed counts as dirty when its
    commit says so)."""
    commit = meta.get("commit", "")
    dirty = meta.get("dirty_paths")
    if dirty is None:
        dirty = ["(unknown paths)"] if commit.endswith("-dirty") else []
    return {"commit": commit.removesuffix("-dirty"), "dirty": dirty}


def _clean(v):
    """v with every NaN turned into None, so the JSON stays standard."""
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, dict):
        return {k: _clean(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_clean(x) for x in v]
    return v


def _cell(v):
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    return "" if v is None else v


def _jsonable(v):
    return str(v)
