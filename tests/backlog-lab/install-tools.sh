#!/bin/sh
# install-tools.sh - installs what `backlog-lab syn-queue` needs (ip from
# iproute2, nft from nftables) and what `observe --plot` needs (gnuplot)
# when it is missing, so that those tests run in CI instead of being
# skipped.  Root only; serialized with
# flock because several tests may ask at once.
set -eu
PATH="$PATH:/usr/sbin:/sbin"
has() { command -v "$1" >/dev/null 2>&1; }
need=""
has ip || need="$need iproute2"
has nft || need="$need nftables"
has gnuplot || need="$need gnuplot-nox"
[ -z "$need" ] && exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-tools: not root, cannot install:$need" >&2
    exit 1
fi
exec 9>/var/lock/backlog-lab-tools.lock
flock 9
ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || apt-get update -q
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 $need
