#!/bin/sh
# install-tools.sh - installs the real components echod's deployment tests
# run against, when they are missing: each argument is COMMAND:PACKAGE
# (systemd-socket-activate:systemd, promtool:prometheus, haproxy:haproxy).
# Exits 0 when every command is there afterwards, else 1 with the reason on
# stderr (the test then skips and says so).  Serialized with flock because
# several tests may ask at once; apt waits for a lock others hold.
set -eu
PATH="$PATH:/usr/sbin:/sbin"
has() { command -v "$1" >/dev/null 2>&1; }
need=""
for pair in "$@"; do
    has "${pair%%:*}" || need="$need ${pair#*:}"
done
[ -z "$need" ] && exit 0
SUDO=
if [ "$(id -u)" != 0 ]; then
    if ! has sudo || ! sudo -n true 2>/dev/null; then
        echo "install-tools: not root and no sudo, cannot install:$need" >&2
        exit 1
    fi
    SUDO="sudo -n"
fi
exec 9>/tmp/echod-install-tools.lock
flock 9
ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || $SUDO apt-get update -q >&2
# shellcheck disable=SC2086 # one word per package
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    -o DPkg::Lock::Timeout=300 $need >&2 || {
    echo "install-tools: apt-get install$need failed" >&2
    exit 1
}
for pair in "$@"; do
    has "${pair%%:*}" || { echo "install-tools: ${pair%%:*} still missing" >&2; exit 1; }
done
