"""Starting the processes of a benchmark, and stopping every one of them.

Each child starts in a session of its own (so a Ctrl-C at the terminal
reaches only the harness), pinned to a CPU with taskset, and is recorded
here by PID until it is stopped.  stop() sends SIGTERM to the child's
process group (which holds nothing but that child and what it forked, such
as nginx's worker), waits, then SIGKILLs.  install_signal_handlers() turns
SIGINT, SIGTERM and SIGHUP into an exception so that the `finally` in
bench/run stops everything still running; an atexit hook does the same if
the harness dies another way.
"""
import atexit
import os
import re
import signal
import subprocess
import time

_live = {}  # pid -> Popen

LISTEN_RE = re.compile(r"listening on (\[[^\]]+\]|[^\s:]+):(\d+)")


class Interrupted(Exception):
    """Raised by the signal handlers: the run was asked to stop."""


def _on_signal(signum, frame):
    raise Interrupted(signal.Signals(signum).name)


def install_signal_handlers():
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_signal)
    atexit.register(stop_all)


def pinned(cpu, argv):
    """argv run under `taskset -c cpu` (cpu an index or a list of them;
    None: as is)."""
    if cpu is None:
        return argv
    cpus = ",".join(map(str, cpu)) if isinstance(cpu, (list, tuple)) else str(cpu)
    return ["taskset", "-c", cpus] + list(argv)


def start(argv, stdout=subprocess.PIPE, stderr=None, env=None, cwd=None):
    """Starts argv in a new session and records it.  stdout is a binary
    pipe by default; stderr inherits ours unless a file is given.  Returns
    the Popen."""
    p = subprocess.Popen(argv, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL,
                         env=env, cwd=cwd, start_new_session=True)
    _live[p.pid] = p
    return p


def wait_listening(p, timeout=10.0):
    """Reads p's stdout until its `listening on HOST:PORT` line; returns
    (host, port).  Raises RuntimeError when p exits or the time runs out."""
    deadline = time.monotonic() + timeout
    fd = p.stdout.fileno()
    os.set_blocking(fd, False)
    buf = ""
    try:
        while time.monotonic() < deadline:
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                chunk = None
            if chunk:
                buf += chunk.decode(errors="replace")
                m = LISTEN_RE.search(buf)
                if m:
                    return m.group(1).strip("[]"), int(m.group(2))
            elif chunk == b"" or p.poll() is not None:
                raise RuntimeError(f"{' '.join(map(str, p.args))[-80:]} exited (status "
                                   f"{p.poll()}) before listening: {buf.strip()[-300:]}")
            else:
                time.sleep(0.005)
    finally:
        os.set_blocking(fd, True)
    raise RuntimeError(f"no 'listening on' line within {timeout} s: {buf.strip()[-300:]}")


def stop(p, grace=3.0):
    """SIGTERM to p's process group, SIGKILL after grace seconds, then
    SIGKILL to anything p forked that is still in its group.  The group is
    signalled only while p is not yet reaped (a zombie still holds its PID,
    so the group's id cannot have been reused).  Returns p's exit status;
    safe to call twice."""
    _terminate(p, grace)
    _release(p)
    return p.returncode


def stop_reading(p, grace=3.0):
    """stop(), and what p wrote to its stdout pipe since it was last read
    (a summary printed at exit).  Returns (exit status, text)."""
    _terminate(p, grace)
    text = p.stdout.read().decode(errors="replace") if p.stdout else ""
    _release(p)
    return p.returncode, text


def _terminate(p, grace):
    if p.returncode is None:
        if not _exited(p, 0):
            _signal_group(p, signal.SIGTERM)
            if not _exited(p, grace):
                _signal_group(p, signal.SIGKILL)
                _exited(p, None)
        _signal_group(p, signal.SIGKILL)
        p.wait()


def _release(p):
    _live.pop(p.pid, None)
    for f in (p.stdout, p.stderr):
        if f:
            f.close()


def _exited(p, timeout):
    """Waits up to timeout seconds (None: for ever) for p to exit, without
    reaping it.  Returns True when it has exited."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        r = os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        if r is not None:
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(0.01)


def _signal_group(p, sig):
    try:
        os.killpg(p.pid, sig)
    except ProcessLookupError:
        pass


def stop_all():
    """Stops every process still recorded, newest first."""
    for pid in sorted(_live, reverse=True):
        stop(_live[pid], grace=1.0)
