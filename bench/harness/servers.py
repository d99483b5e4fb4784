"""The servers under test, and how to start each one pinned to a CPU.

Echo servers (scenarios 1, 2, 3, 5, 6): echod with one worker, and the peers
from bench/peers/ on libuv, libevent, node's net module and one blocking
thread per connection.  Hello-and-close servers (scenario 4): echod's hello
mode and nginx's stream module answering `return "Hello World!\\n"` from one
worker, configured in a temporary folder of its own.  The scaling
scenario runs echod with several workers, in either listener design, and
nginx with as many worker processes.  Every server but
nginx prints `listening on HOST:PORT`; nginx is given a free port and is
ready when a connection to it succeeds.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from . import procs

BANNER = "Hello World!\n"  # echod's default --banner; nginx returns the same

NGINX_CONF = """\
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
daemon off;
worker_processes {workers};
worker_cpu_affinity auto;
worker_rlimit_nofile 20000;
pid {dir}/nginx.pid;
error_log {dir}/error.log error;
events {{
    worker_connections 19000;
    multi_accept on;
}}
stream {{
    server {{
        listen {host}:{port} backlog=4096;
        return "Hello World!\\n";
    }}
}}
"""


class Running:
    """A started server: its process, address, and what to remove at stop."""

    def __init__(self, name, popen, host, port, tmpdir=None):
        self.name, self.popen, self.host, self.port = name, popen, host, port
        self.tmpdir = tmpdir

    @property
    def pid(self):
        return self.popen.pid

    @property
    def addr(self):
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"

    def alive(self):
        return self.popen.poll() is None

    def stop(self):
        status = procs.stop(self.popen)
        self._clean()
        return status

    def stop_reading(self):
        """Stops the server; returns (exit status, what it printed on
        stdout after its listening line: its summary)."""
        status, text = procs.stop_reading(self.popen)
        self._clean()
        return status, text

    def _clean(self):
        if self.tmpdir:
            shutil.rmtree(self.tmpdir, ignore_errors=True)


class Server:
    """How to start one server: argv is a function of the listen address."""

    def __init__(self, name, argv, note):
        self.name, self._argv, self.note = name, argv, note

    def command(self, listen="127.0.0.1:0"):
        return self._argv(listen)

    def supports(self, point):
        """Whether this server takes part in a scenario point."""
        return True

    def start(self, cpu, log, wrap=()):
        """Starts the server pinned to cpu (an index or a list), stderr into
        the file log, under the command prefix wrap (a tracer) if given.
        Returns a Running; raises RuntimeError when it does not listen."""
        p = procs.start(procs.pinned(cpu, list(wrap) + self.command()), stderr=log)
        try:
            host, port = procs.wait_listening(p)
        except RuntimeError:
            procs.stop(p)
            raise
        return Running(self.name, p, host, port)


class Nginx(Server):
    """nginx from Debian, stream `return`, config in a temp dir; workers
    worker processes, each bound to one of the CPUs it is started on."""

    def __init__(self, workers=1):
        # multi_accept on: accept until the queue is empty, as echod does; on
        # this machine it was as fast or faster than the default (off).
        super().__init__("nginx", None, f"nginx stream `return`, {workers} worker"
                         f"{'s' if workers > 1 else ''}, multi_accept on")
        self.workers = workers

    def command(self, listen="127.0.0.1:PORT"):
        return ["nginx", "-p", "DIR", "-c", "DIR/nginx.conf", "-e", "DIR/error.log"]

    def start(self, cpu, log, wrap=()):
        host = "127.0.0.1"
        port = _free_port(host)
        tmp = tempfile.mkdtemp(prefix="bench-nginx-")
        with open(os.path.join(tmp, "nginx.conf"), "w") as f:
            f.write(NGINX_CONF.format(dir=tmp, host=host, port=port, workers=self.workers))
        argv = list(wrap) + ["nginx", "-p", tmp, "-c", os.path.join(tmp, "nginx.conf"),
                             "-e", os.path.join(tmp, "error.log")]
        p = procs.start(procs.pinned(cpu, argv), stdout=subprocess.DEVNULL, stderr=log)
        run = Running(self.name, p, host, port, tmp)
        try:
            _wait_connectable(p, host, port)
        except RuntimeError:
            run.stop()
            raise
        return run


class Floor(Server):
    """The kernel floor (bench/peers/floor.c): not a server the load drives
    but a program that measures itself, at one connection only.  Its
    "start" is a placeholder that scenarios.floor_measure recognises."""

    def __init__(self):
        super().__init__("floor", None, "bench/peers/floor.c: two blocking threads, one connection")

    def command(self, listen="127.0.0.1:0"):
        return ["floor", "--listen", listen]

    def supports(self, point):
        return point.get("conns") == 1 and point.get("pipeline", 1) == 1 and point.get("size") == 64

    def start(self, cpu, log, wrap=()):
        return _Placeholder()


class _Placeholder:
    name, pid, addr = "floor", None, None

    def alive(self):
        return True

    def stop(self):
        return 0


def _free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _wait_connectable(p, host, port, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise RuntimeError(f"nginx exited with status {p.returncode}")
        try:
            with socket.create_connection((host, port), timeout=1) as s:
                s.recv(64)
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError(f"nginx did not accept on {host}:{port} within {timeout} s")


def echo_servers(bins):
    """The echo servers, echod first.  bins maps echod/peers/node paths."""
    peers = bins["peers"]
    return [
        Server("echod", lambda l: [bins["echod"], "--listen", l, "--workers", "1"],
               "echod --workers 1"),
        Server("libuv", lambda l: [os.path.join(peers, "uv_echo"), "--listen", l],
               "bench/peers/uv_echo.c: libuv, one loop, uv_try_write first"),
        Server("libevent", lambda l: [os.path.join(peers, "event_echo"), "--listen", l],
               "bench/peers/event_echo.c: libevent bufferevents, one base"),
        Server("node", lambda l: ["node", os.path.join(bins["peers_src"], "node_echo.js"),
                                  "--listen", l],
               "bench/peers/node_echo.js: node net, socket.pipe(socket)"),
        Server("threads", lambda l: [os.path.join(peers, "thread_echo"), "--listen", l],
               "bench/peers/thread_echo.c: blocking thread per connection"),
    ]


class OnlyAt(Server):
    """A server that takes part only in the scenario points pick(point) accepts."""

    def __init__(self, name, argv, note, pick):
        super().__init__(name, argv, note)
        self._pick = pick

    def supports(self, point):
        return self._pick(point)


def splice_point(point):
    """The points echod --splice is measured at: the streaming one (64 KiB) and
    the closed-loop 4 KiB and 64 B ping-pong at 100 connections, where the
    copy path is to be beaten at 64 KiB and matched at the small sizes."""
    if point.get("size") == 65536:
        return True
    return point.get("size") in (64, 4096) and point.get("conns") == 100 \
        and point.get("pipeline", 1) == 1 and not point.get("rate")


def echod_splice(bins):
    """echod with --splice (zero-copy echo through pipes, src/splice.h), beside
    echod's copy path at splice_point's points only."""
    return OnlyAt("echod --splice",
                  lambda l: [bins["echod"], "--listen", l, "--workers", "1", "--splice"],
                  "echod --workers 1 --splice", splice_point)


def echod_workers(bins, workers, shared, mode):
    """echod with workers workers, each pinned to one of the CPUs it is
    started on (--cpu-affinity), one SO_REUSEPORT listener each or, with
    shared, one listener for all; --json, so that its summary at exit gives
    the per-worker accept counts."""
    extra = ["--shared-listener"] if shared else []
    design = "--shared-listener" if shared else "SO_REUSEPORT"
    return Server(f"echod {design}",
                  lambda l: [bins["echod"], "--listen", l, "--workers", str(workers),
                             "--cpu-affinity", "--mode", mode, "--json"] + extra,
                  f"echod --workers {workers} --cpu-affinity --mode {mode} {' '.join(extra)}")


def hello_servers(bins):
    """The hello-and-close servers, echod first."""
    return [
        Server("echod", lambda l: [bins["echod"], "--listen", l, "--workers", "1",
                                   "--mode", "hello"], "echod --workers 1 --mode hello"),
        Nginx(),
    ]
