#!/usr/bin/env bash
# pg.sh: a private PostgreSQL cluster kept in one directory and reachable only
# over a Unix socket (listen_addresses = ''), for `make run`, `make test` and
# the ctest fixture. No TCP port is opened; PORT only names the socket file.
#
#   pg.sh start   DIR [PORT]   initdb if needed, then start (no-op if running)
#   pg.sh stop    DIR          fast shutdown (no-op if not running)
#   pg.sh status  DIR          exit 0 if running, 1 if not
#   pg.sh env     DIR [DB]     print a libpq conninfo for the cluster
#   pg.sh host    DIR          print the socket directory
#   pg.sh port    DIR          print the port
#   pg.sh createdb DIR NAME    create database NAME unless it exists
#   pg.sh dropdb  DIR NAME     drop database NAME if it exists
#   pg.sh psql    DIR [ARGS]   run psql on the cluster
#   pg.sh fresh   DIR [PORT]   destroy, then start: a new, empty cluster
#   pg.sh destroy DIR          stop and delete DIR (only a DIR made by pg.sh)
#
# Layout of DIR: data/ (the cluster), run/ (the socket), log, initdb.log,
# port and socket_dir (what the last start used), .plaint-pg (marker).
#
# initdb and pg_ctl refuse to run as root. When run as root, DIR is owned by
# the `postgres` user and both run through `runuser -u postgres`; that user
# must be able to reach DIR, which is checked with a clear message.
set -euo pipefail

S_OWNER=postgres
S_MARKER=.plaint-pg

die() {
    echo "pg.sh: $*" >&2
    exit 1
}

usage() {
    sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

is_root() {
    [ "$(id -u)" -eq 0 ]
}

# Runs a command as the cluster's owner: postgres when we are root, else us.
# The working directory is / so that postgres never trips over a cwd it
# cannot read (initdb and pg_ctl resolve it).
as_owner() {
    if is_root; then
        (cd / && runuser -u "$S_OWNER" -- "$@")
    else
        "$@"
    fi
}

bindir() {
    local d
    if [ -n "${PL_PG_BINDIR:-}" ]; then
        echo "$PL_PG_BINDIR"
        return
    fi
    if command -v pg_config >/dev/null 2>&1; then
        d=$(pg_config --bindir 2>/dev/null || true)
        if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return
        fi
    fi
    for d in /usr/lib/postgresql/15/bin /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return
        fi
    done
    die "cannot find initdb and pg_ctl; install postgresql-15 (bash scripts/install-deps.sh)"
}

abs_dir() {
    [ -n "$1" ] || die "DIR must not be empty"
    realpath -m -- "$1"
}

# The socket lives in DIR/run unless that path would pass the 107-byte limit
# of a Unix socket path; then it moves to a short directory under /tmp.
socket_dir_for() {
    local dir=$1 port=$2 sock="$1/run"
    if [ $((${#sock} + 10 + ${#port})) -gt 107 ]; then
        sock="/tmp/plaint-pg-$(printf '%s' "$dir" | md5sum | cut -c1-10)"
    fi
    echo "$sock"
}

# Quotes a value for postgresql.conf: single quotes, with ' and \ doubled.
conf_quote() {
    local v=${1//\\/\\\\}
    printf "'%s'" "${v//\'/\'\'}"
}

# Quotes a value for a libpq conninfo string when it needs it.
conninfo_quote() {
    local v=$1
    case $v in
    *[[:space:]\'\\]* | '')
        v=${v//\\/\\\\}
        printf "'%s'" "${v//\'/\\\'}"
        ;;
    *) printf '%s' "$v" ;;
    esac
}

# Prints the first ancestor of $1 that the owner cannot search (traverse).
unreachable_ancestors() {
    local p=$1 list=()
    while [ "$p" != / ]; do
        p=$(dirname "$p")
        list=("$p" "${list[@]}")
    done
    for p in "${list[@]}"; do
        if ! runuser -u "$S_OWNER" -- test -x "$p"; then
            echo "$p"
            return
        fi
    done
}

# Creates DIR (and a socket directory) owned by the cluster's owner, and
# checks that the owner can reach them.
prepare_dir() {
    local dir=$1 d bad
    if is_root; then
        getent passwd "$S_OWNER" >/dev/null ||
            die "there is no '$S_OWNER' user; install postgresql-15 (bash scripts/install-deps.sh)"
    fi
    for d in "$@"; do
        mkdir -p -- "$d"
        if is_root; then
            chown "$S_OWNER:" "$d"
            chmod 0755 "$d"
        fi
    done
    touch "$dir/$S_MARKER"
    if is_root; then
        for d in "$@"; do
            if ! runuser -u "$S_OWNER" -- test -w "$d" -a -x "$d"; then
                bad=$(unreachable_ancestors "$d")
                die "the '$S_OWNER' user cannot reach $d (initdb refuses root, so the cluster" \
                    "runs as '$S_OWNER'): ${bad:-$d} is not searchable by it. Make it" \
                    "searchable (chmod o+x ${bad:-$d}), or put the cluster where '$S_OWNER' can" \
                    "reach it, e.g. make run PGDIR=/tmp/plaint-pg"
            fi
        done
    fi
}

is_running() {
    local dir=$1
    [ -f "$dir/data/PG_VERSION" ] || return 1
    as_owner "$(bindir)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

cmd_start() {
    local dir port sock bin locale
    [ $# -ge 1 ] && [ $# -le 2 ] || usage
    dir=$(abs_dir "$1")
    port=${2:-5432}
    [[ $port =~ ^[0-9]+$ ]] && [ "$port" -ge 1 ] && [ "$port" -le 65535 ] ||
        die "PORT must be a number from 1 to 65535, not '$port'"
    case $dir in *,* | *\"*) die "DIR must not contain a comma or a double quote: $dir" ;; esac
    bin=$(bindir)

    if is_running "$dir"; then
        echo "pg.sh: already running in $dir (socket $(cat "$dir/socket_dir" 2>/dev/null || echo ?))"
        return 0
    fi

    sock=$(socket_dir_for "$dir" "$port")
    prepare_dir "$dir" "$sock"

    if [ ! -f "$dir/data/PG_VERSION" ]; then
        if [ -d "$dir/data" ] && [ -n "$(ls -A "$dir/data")" ]; then
            die "$dir/data exists but holds no cluster; remove it or choose another DIR"
        fi
        locale=C
        if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
            locale=C.UTF-8
        fi
        echo "pg.sh: creating a cluster in $dir/data"
        if ! as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 \
            --locale="$locale" >"$dir/initdb.log" 2>&1; then
            cat "$dir/initdb.log" >&2
            die "initdb failed (log: $dir/initdb.log)"
        fi
        # Our settings live in plaint.conf, rewritten at every start.
        printf '\n# Added by scripts/pg.sh\ninclude_if_exists = %s\n' "'plaint.conf'" \
            >>"$dir/data/postgresql.conf"
    fi

    # fsync and synchronous_commit must stay on: plaintd refuses to run
    # without them, since nothing may be acknowledged before it is durable.
    cat >"$dir/data/plaint.conf" <<EOF
# Written by scripts/pg.sh at every start; edits here are lost.
listen_addresses = ''
unix_socket_directories = $(conf_quote "$sock")
port = $port
fsync = on
synchronous_commit = on
full_page_writes = on
max_connections = 200
EOF
    if is_root; then
        chown "$S_OWNER:" "$dir/data/plaint.conf"
    fi
    echo "$port" >"$dir/port"
    echo "$sock" >"$dir/socket_dir"

    if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 -s start; then
        tail -n 30 "$dir/log" >&2 || true
        die "PostgreSQL did not start (log: $dir/log)"
    fi
    echo "pg.sh: PostgreSQL running in $dir (socket $sock, port $port)"
}

cmd_stop() {
    local dir
    [ $# -eq 1 ] || usage
    dir=$(abs_dir "$1")
    if ! is_running "$dir"; then
        return 0
    fi
    if ! as_owner "$(bindir)/pg_ctl" -D "$dir/data" -m fast -w -t 60 -s stop; then
        tail -n 30 "$dir/log" >&2 || true
        die "PostgreSQL did not stop (log: $dir/log)"
    fi
    echo "pg.sh: PostgreSQL stopped ($dir)"
}

cmd_status() {
    local dir
    [ $# -eq 1 ] || usage
    dir=$(abs_dir "$1")
    if is_running "$dir"; then
        echo "running: $dir (socket $(cat "$dir/socket_dir"), port $(cat "$dir/port"))"
        return 0
    fi
    if [ -f "$dir/data/PG_VERSION" ]; then
        echo "stopped: $dir"
    else
        echo "absent: $dir"
    fi
    return 1
}

read_state() {
    local dir=$1 name=$2
    [ -f "$dir/$name" ] || die "no cluster was started in $dir (run: pg.sh start $dir)"
    cat "$dir/$name"
}

cmd_env() {
    local dir out
    [ $# -ge 1 ] && [ $# -le 2 ] || usage
    dir=$(abs_dir "$1")
    out="host=$(conninfo_quote "$(read_state "$dir" socket_dir)") port=$(read_state "$dir" port)"
    out+=" user=postgres"
    if [ $# -eq 2 ]; then
        out+=" dbname=$(conninfo_quote "$2")"
    fi
    echo "$out"
}

run_psql() {
    local dir=$1
    shift
    "$(bindir)/psql" -X -h "$(read_state "$dir" socket_dir)" -p "$(read_state "$dir" port)" \
        -U postgres "$@"
}

cmd_createdb() {
    local dir
    [ $# -eq 2 ] || usage
    dir=$(abs_dir "$1")
    printf '%s\n' "SELECT format('CREATE DATABASE %I', :'name')
        WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = :'name') \\gexec" |
        run_psql "$dir" -q -d postgres -v ON_ERROR_STOP=1 -v name="$2" >/dev/null
}

cmd_dropdb() {
    local dir
    [ $# -eq 2 ] || usage
    dir=$(abs_dir "$1")
    printf '%s\n' "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'name') \\gexec" |
        run_psql "$dir" -q -d postgres -v ON_ERROR_STOP=1 -v name="$2" >/dev/null
}

cmd_destroy() {
    local dir sock=
    [ $# -eq 1 ] || usage
    dir=$(abs_dir "$1")
    [ -e "$dir" ] || return 0
    [ -f "$dir/$S_MARKER" ] || die "refusing to delete $dir: it was not made by pg.sh"
    cmd_stop "$dir"
    if [ -f "$dir/socket_dir" ]; then
        sock=$(cat "$dir/socket_dir")
    fi
    rm -rf -- "$dir"
    case $sock in /tmp/plaint-pg-*) rm -rf -- "$sock" ;; esac
}

[ $# -ge 1 ] || usage
cmd=$1
shift
case $cmd in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
status) cmd_status "$@" ;;
env) cmd_env "$@" ;;
host)
    [ $# -eq 1 ] || usage
    read_state "$(abs_dir "$1")" socket_dir
    ;;
port)
    [ $# -eq 1 ] || usage
    read_state "$(abs_dir "$1")" port
    ;;
createdb) cmd_createdb "$@" ;;
dropdb) cmd_dropdb "$@" ;;
psql)
    [ $# -ge 1 ] || usage
    d=$(abs_dir "$1")
    shift
    run_psql "$d" "$@"
    ;;
fresh)
    [ $# -ge 1 ] || usage
    cmd_destroy "$1"
    cmd_start "$@"
    ;;
destroy) cmd_destroy "$@" ;;
-h | --help | help) usage ;;
*) usage ;;
esac
