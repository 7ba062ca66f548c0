#!/usr/bin/env bash
# run.sh: what `make run` does once the build is done.
#
#   scripts/run.sh    PostgreSQL under var/pg, database plaint, then plaintd
#                     in the foreground; Ctrl-C stops both
#
# Environment: PL_BUILD_DIR (default build), PL_PG_DIR (default var/pg),
# PL_CONFIG (default config/plaint.yaml).
#
# The cluster is stopped on the way out only if this script started it, so a
# cluster started with `make db-start` keeps running.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
build=${PL_BUILD_DIR:-$root/build}
pgdir=${PL_PG_DIR:-$root/var/pg}
config=${PL_CONFIG:-config/plaint.yaml}

say() {
    echo "run: $*" >&2
}

pg() {
    bash "$root/scripts/pg.sh" "$@"
}

[ -x "$build/plaintd" ] || { say "$build/plaintd is missing; run make build first"; exit 1; }
[ -f "$config" ] || { say "$config is missing"; exit 1; }

daemon_pid=
db=
signals=0
started_db=0

on_exit() {
    local rc=$?
    trap - INT TERM HUP
    if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
        kill -TERM "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
    fi
    if [ "$started_db" = 1 ]; then
        say "stopping PostgreSQL ($pgdir)"
        pg stop "$pgdir" || rc=1
    elif [ -n "$db" ]; then
        say "PostgreSQL was already running, so it stays up (make db-stop stops it)"
    fi
    exit "$rc"
}

# The daemon runs in a session of its own (see launch below), so Ctrl-C
# reaches only make and this script, and the daemon hears exactly one signal
# from us: SIGTERM, its way to stop intake, drain and exit. (plaintd treats a
# second signal as "stop now, skip the drain", so it must not get both the
# terminal's SIGINT and ours.) Another Ctrl-C here kills it outright.
on_signal() {
    signals=$((signals + 1))
    if [ -z "$daemon_pid" ]; then
        exit 130
    fi
    if [ "$signals" -eq 1 ]; then
        say "stopping plaintd (pid $daemon_pid); press Ctrl-C again to kill it"
        kill -TERM "$daemon_pid" 2>/dev/null || true
    else
        kill -KILL "$daemon_pid" 2>/dev/null || true
    fi
}

trap on_exit EXIT
trap on_signal INT TERM HUP

if ! pg status "$pgdir" >/dev/null 2>&1; then
    started_db=1
fi
pg start "$pgdir" >&2

pg createdb "$pgdir" plaint
db=$(pg env "$pgdir" plaint)

# setsid keeps the terminal's signals away from the daemon (see on_signal).
launch=()
if command -v setsid >/dev/null 2>&1; then
    launch=(setsid)
fi

# Waits for the daemon, forwarding signals; sets daemon_rc.
wait_daemon() {
    daemon_rc=0
    while :; do
        wait "$daemon_pid" && daemon_rc=0 || daemon_rc=$?
        # wait also returns when a trapped signal arrives; go on waiting
        # until the daemon itself is gone.
        if ! kill -0 "$daemon_pid" 2>/dev/null; then
            wait "$daemon_pid" 2>/dev/null && daemon_rc=0 || daemon_rc=$?
            break
        fi
    done
    daemon_pid=
}

say "starting plaintd with $config on database: $db"
say "Ctrl-C stops plaintd and then PostgreSQL"
"${launch[@]}" "$build/plaintd" --config "$config" --db "$db" &
daemon_pid=$!
wait_daemon
if [ "$signals" -gt 0 ] && [ "$daemon_rc" -eq 0 ]; then
    say "plaintd stopped"
elif [ "$daemon_rc" -ne 0 ]; then
    say "plaintd exited with status $daemon_rc"
fi
exit "$daemon_rc"
