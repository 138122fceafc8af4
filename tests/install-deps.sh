#!/bin/bash
# Installs the Debian 12 packages the build and the tests need (as root).
# Does nothing when all are there already.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
pkgs=$(cat "$src/tests/packages.txt" "$src/tests/rig/PACKAGES" 2>/dev/null | sed 's/#.*//' | tr -s ' \n' '\n' | sort -u)
missing=""
for p in $pkgs; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" = installed ] || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing (run as root to install them)" >&2
    exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
