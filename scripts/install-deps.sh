#!/usr/bin/env bash
# install-deps.sh: make sure the Debian 12 packages Plaint needs are present.
#
#   scripts/install-deps.sh [--with-clang]
#
# All present: prints nothing, exits 0. Some missing and we are root: installs
# them with apt-get. Some missing and we are not root: prints the apt-get line
# to run and exits 1. --with-clang adds clang (only for -DPL_FUZZ=ON builds).
set -euo pipefail

packages=(
    build-essential      # gcc, make, libc headers
    cmake
    pkg-config
    libzmq3-dev          # ZeroMQ
    libpq-dev            # PostgreSQL client library
    libyaml-dev
    libuv1-dev
    libjansson-dev       # JSON
    libcmocka-dev        # unit tests
    libcurl4-openssl-dev # notifier webhooks and SMTP
    postgresql-15        # initdb, pg_ctl, postgres, pgbench
    postgresql-client-15 # psql
    tzdata               # business calendars read /usr/share/zoneinfo
)
# Debian 12 has no postgresql-contrib-15 package: the contrib modules and
# pgbench ship in postgresql-15 itself.

for arg in "$@"; do
    case $arg in
    --with-clang) packages+=(clang) ;;
    *)
        echo "usage: $0 [--with-clang]" >&2
        exit 2
        ;;
    esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "install-deps: not a Debian system; make sure these (or their equivalents) are" \
        "installed: ${packages[*]}" >&2
    exit 0
fi

missing() {
    local p
    for p in "${packages[@]}"; do
        if ! dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii'; then
            echo "$p"
        fi
    done
}

mapfile -t todo < <(missing)
if [ ${#todo[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: these Debian packages are missing: ${todo[*]}" >&2
    echo "Install them, then run the command again:" >&2
    echo >&2
    echo "  sudo apt-get install -y --no-install-recommends ${todo[*]}" >&2
    echo >&2
    exit 1
fi

echo "install-deps: installing ${todo[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get -q update
apt-get -q install -y --no-install-recommends "${todo[@]}" </dev/null

mapfile -t still < <(missing)
if [ ${#still[@]} -ne 0 ]; then
    echo "install-deps: still missing after apt-get install: ${still[*]}" >&2
    exit 1
fi
echo "install-deps: done"
