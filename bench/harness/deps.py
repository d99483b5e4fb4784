"""What the benchmarks need from Debian, and the peers' build.

ensure_packages() installs whatever is missing of nginx (with its stream
module), libuv and libevent headers, gnuplot, strace, valgrind and perf, running `apt-get update`
first only when the package lists are empty, as `make test` does for
Criterion.  Debian's nginx package may start a system nginx on install;
the harness never relies on it and starts its own with its own config.
build_peers() runs bench/peers/Makefile into build/peers/.
"""
import glob
import os
import shutil
import subprocess

# Debian package -> a file that shows it is installed.
PACKAGES = {
    "nginx": "/usr/sbin/nginx",
    "libnginx-mod-stream": "/usr/lib/nginx/modules/ngx_stream_module.so",
    "libuv1-dev": "/usr/include/uv.h",
    "libevent-dev": "/usr/include/event2/bufferevent.h",
    "gnuplot-nox": "/usr/bin/gnuplot",
    "strace": "/usr/bin/strace",
    "valgrind": "/usr/bin/callgrind_control",
    "linux-perf": "/usr/bin/perf",
}


def missing_packages():
    return [name for name, path in PACKAGES.items() if not os.path.exists(path)]


def ensure_packages(log):
    """Installs the missing packages; raises RuntimeError when apt fails."""
    need = missing_packages()
    if not need:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not glob.glob("/var/lib/apt/lists/*_Packages*"):
        log("apt-get update (package lists are empty)")
        _apt(sudo + ["apt-get", "update", "-q"], env)
    log("installing " + " ".join(need))
    _apt(sudo + ["apt-get", "install", "-y", "-q"] + need, env)
    still = missing_packages()
    if still:
        raise RuntimeError("still missing after apt-get install: " + " ".join(still))


def _apt(argv, env):
    r = subprocess.run(argv, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed: {r.stderr.strip()[-500:]}")


def build_peers(root, log):
    """Builds the C peers into ROOT/build/peers; returns that folder."""
    out = os.path.join(root, "build", "peers")
    r = subprocess.run(["make", "-s", "-C", os.path.join(root, "bench", "peers"), f"O={out}"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("building bench/peers failed:\n" + r.stdout + r.stderr)
    for line in r.stdout.splitlines():
        log(line.strip())
    return out


def require_programs(*paths):
    """Raises RuntimeError naming the first program that is not there."""
    for p in paths:
        if not (os.path.isfile(p) and os.access(p, os.X_OK)) and not shutil.which(p):
            raise RuntimeError(f"{p} is missing (run `make` first)")
