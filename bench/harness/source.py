"""The source tree a run measures: its commit, and whether it was clean.

A report is only as good as the commit it names: a run from a working
tree with uncommitted changes (or untracked files, which the Makefile's
wildcards may build) measured code that no commit holds.  state() reads
the tree with git; require_clean() is the rule bench/run and bench/report
apply before a run or a report meant for BENCHMARKS.md.
"""
import subprocess


class DirtyTree(Exception):
    """The tree has changes no commit holds; the message lists them."""


def _git(root, *args):
    r = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def parse_porcelain(text):
    """The paths `git status --porcelain` lists (the new name of a rename)."""
    paths = []
    for line in text.splitlines():
        if len(line) > 3:
            paths.append(line[3:].split(" -> ")[-1])
    return paths


def state(root):
    """{"commit": HEAD's hash, "dirty": [changed or untracked paths]}
    (ignored files, such as build outputs and bench/results, do not count)."""
    return {"commit": _git(root, "rev-parse", "HEAD").strip(),
            "dirty": parse_porcelain(_git(root, "status", "--porcelain", "--untracked-files=all"))}


def label(st):
    """The commit as reports name it: the hash, with -dirty when it was not clean."""
    return st["commit"] + ("-dirty" if st["dirty"] else "")


def require_clean(st, what):
    """Raises DirtyTree when st is not clean, naming what was refused and
    the first paths that make it dirty."""
    if not st["dirty"]:
        return
    shown = ", ".join(st["dirty"][:5]) + (" ..." if len(st["dirty"]) > 5 else "")
    raise DirtyTree(f"{what} refused: the tree at {st['commit'][:12]} has {len(st['dirty'])} "
                    f"uncommitted or untracked path(s): {shown}; commit them, or pass "
                    "--allow-dirty (development only: the report then says so at its top)")
