#!/usr/bin/env bash
# "A dead notification sink never slows ingest" (issue 4), measured: the same
# plaintd on one private PostgreSQL, three ways, each given the same
# `plaint bench --events N --concurrency C` load, in one run so that the
# ratios hold on a noisy machine:
#   A. no notify section (the baseline);
#   B. a webhook sink taking case.created that accepts connections and never
#      answers (tests/bench/bench_sink --hang): every attempt ends at the
#      sink's timeout;
#   C. a webhook sink taking case.created that answers 200 at once: N
#      deliveries, made while ingest runs and after it.
# Each configuration gets a fresh database in the same cluster (CHECKPOINT
# before its load); the order rotates from run to run (ABC, BCA, CAB, ...).
# For B and C: deliveries by status once plaintd has stopped, attempts
# counted in the database and requests that reached the sink; for C, how
# many were delivered when ingest ended (at_end), the time from the end of
# ingest until every one is delivered (polled every 0.2 s, at most DRAIN
# seconds; ">DRAIN(k/n)" when not done) and the delivery rate meanwhile.
# At the defaults it takes about 4 minutes on 2 cores; with --events 20000
# case C alone takes minutes (deliveries slow down as the backlog grows).
#
#   scripts/bench-notify.sh [--events 5000] [--concurrency 16] [--window 1]
#                           [--runs 3] [--timeout 1s] [--sink-concurrency 4]
#                           [--drain 60] [--build build] [--config config/plaint.yaml]
#                           [--keep]
#
# --timeout and --sink-concurrency are the sinks' `timeout` and `concurrency`
# (notify.sinks[]); notify.retry is {first: 1s, max: 1m, attempts: 20}.
# --keep leaves the logs (plaintd, sinks, configs) in the work folder it names.
# Needs $BUILD/plaintd, $BUILD/plaint and $BUILD/tests/bench_sink.
# Prints a table of every run, then the median of each configuration.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
events=5000 concurrency=16 window=1 runs=3 timeout=1s sink_conc=4 drain=60
build="$here/build" config="$here/config/plaint.yaml" keep=0
while [ $# -gt 0 ]; do
    case "$1" in
        --events) events=$2; shift 2 ;;
        --concurrency) concurrency=$2; shift 2 ;;
        --window) window=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --timeout) timeout=$2; shift 2 ;;
        --sink-concurrency) sink_conc=$2; shift 2 ;;
        --drain) drain=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --config) config=$2; shift 2 ;;
        --keep) keep=1; shift ;;
        -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-notify.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
die() {
    echo "bench-notify.sh: $*" >&2
    exit 1
}
for v in events concurrency window runs sink_conc drain; do
    if ! [[ ${!v} =~ ^[0-9]+$ ]] || [ "${!v}" -eq 0 ]; then
        die "--${v/_conc/-concurrency} takes a whole number > 0"
    fi
done
[[ $timeout =~ ^[0-9]+[smh]$ ]] || die "--timeout takes a duration such as 1s or 10s"
build=$(cd "$build" 2>/dev/null && pwd) || die "no build folder $build"
for b in plaintd plaint tests/bench_sink; do
    [ -x "$build/$b" ] || die "$build/$b missing; build it (make build, or cmake --build $build --target ${b##*/})"
done
[ -f "$config" ] || die "no configuration $config"
grep -q '^notify:' "$config" && die "$config has a notify section already; give one without"

now_s() { date +%s.%N; }
since() { awk -v a="$(now_s)" -v b="$1" 'BEGIN { printf "%.2f", a - b }'; }
json_num() { echo "$2" | sed -n "s/.*\"$1\":\\([0-9.]*\\).*/\\1/p"; }

dir=$(mktemp -d /tmp/plaint-bnotify.XXXXXX)
chmod 0755 "$dir" # the cluster's owner (postgres when we are root) must reach $dir/pg
pg="$dir/pg"
daemon="" sink=""
# Stops one child: SIGTERM, then SIGKILL after 15 s.
stop_pid() {
    local pid=$1 _
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
cleanup() {
    trap - INT TERM
    [ -n "$daemon" ] && stop_pid "$daemon"
    [ -n "$sink" ] && stop_pid "$sink"
    exec 9>&- 2>/dev/null || true
    bash "$here/scripts/pg.sh" destroy "$pg" >/dev/null 2>&1 || true
    if [ "$keep" = 1 ]; then
        rm -f "$dir/sink.in" "$dir"/*.sock
        echo "bench-notify.sh: logs kept in $dir" >&2
    else
        rm -rf "$dir"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash "$here/scripts/pg.sh" start "$pg" 5432 >/dev/null
sql() { # sql DB ARGS...
    local db=$1
    shift
    bash "$here/scripts/pg.sh" psql "$pg" -d "$db" -v ON_ERROR_STOP=1 -qAt "$@"
}
# The sinks read their stdin from this FIFO, held open (fd 9) by this script
# only: if the script dies without its trap (SIGKILL), the sink sees the end
# of its stdin and exits. plaintd and plaint are started with fd 9 closed.
mkfifo "$dir/sink.in"
exec 9<>"$dir/sink.in"

# start_sink NAME [ARGS]: sets $sink and $sink_port.
start_sink() {
    local name=$1 _
    shift
    "$build/tests/bench_sink" "$@" <"$dir/sink.in" >"$dir/$name.out" 2>"$dir/$name.err" &
    sink=$!
    sink_port=""
    for _ in $(seq 100); do
        sink_port=$(head -n1 "$dir/$name.out" 2>/dev/null || true)
        [ -n "$sink_port" ] && return 0
        kill -0 "$sink" 2>/dev/null || break
        sleep 0.05
    done
    cat "$dir/$name.err" >&2
    die "bench_sink did not print its port"
}
# stop_sink NAME: stops it; sets $sink_requests.
stop_sink() {
    stop_pid "$sink"
    sink=""
    sink_requests=$(sed -n 's/^requests \([0-9]*\) .*/\1/p' "$dir/$1.out")
    [ -n "$sink_requests" ] || sink_requests="?"
}
# write_config FILE [healthy|dead]: the shipped file, plus a notify section.
write_config() {
    cp "$config" "$1"
    [ $# -ge 2 ] || return 0
    cat >>"$1" <<EOF

# Added by scripts/bench-notify.sh: one webhook sink ($2).
notify:
  retry: {first: 1s, max: 1m, attempts: 20}
  sinks:
    - id: bench_$2
      type: webhook
      url: "http://127.0.0.1:$sink_port/hook"
      topics: [case.created]
      timeout: $timeout
      concurrency: $sink_conc
EOF
}
# start_daemon NAME DB: sets $daemon, waits until it answers.
start_daemon() {
    local name=$1 db=$2 _
    "$build/plaintd" --config "$dir/$name.yaml" --log-level info \
        --db "$(bash "$here/scripts/pg.sh" env "$pg" "$db")" \
        --ingest "ipc://$dir/ingest.sock" --publish "ipc://$dir/publish.sock" \
        9>&- 2>"$dir/$name.log" &
    daemon=$!
    for _ in $(seq 300); do
        "$build/plaint" --endpoint "ipc://$dir/ingest.sock" --timeout 200 ping \
            >/dev/null 2>&1 9>&- && return 0
        kill -0 "$daemon" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$dir/$name.log" >&2
    die "plaintd ($name) did not answer"
}
cpu_of() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$1/stat" 2>/dev/null || echo "?"; }

echo "# plaintd ingest with no sink (A), a dead webhook sink (B), a healthy one (C):"
echo "# plaint bench --events $events --concurrency $concurrency --window $window;" \
    "sinks: case.created, timeout $timeout, concurrency $sink_conc; $runs runs"
declare -A eps p50 p99 mx errs dstat attempts reqs drain_s at_end dl_rate cpu warns stop_s
for r in $(seq "$runs"); do
    case $(((r - 1) % 3)) in
        0) order="A B C" ;;
        1) order="B C A" ;;
        *) order="C A B" ;;
    esac
    for c in $order; do
        k="$r$c" name="run$r-$c" db="plaint_bench_$r${c,,}"
        bash "$here/scripts/pg.sh" createdb "$pg" "$db"
        case $c in
            A) write_config "$dir/$name.yaml" ;;
            B) start_sink "$name-sink" --hang; write_config "$dir/$name.yaml" dead ;;
            C) start_sink "$name-sink"; write_config "$dir/$name.yaml" healthy ;;
        esac
        start_daemon "$name" "$db"
        sql "$db" -c "CHECKPOINT"
        rc=0
        out=$("$build/plaint" --endpoint "ipc://$dir/ingest.sock" bench --events "$events" \
            --concurrency "$concurrency" --window "$window" --json 9>&- 2>"$dir/$name.bench.err") || rc=$?
        ended=$(now_s)
        [ -n "$out" ] || { cat "$dir/$name.bench.err" >&2; die "plaint bench ($name) printed nothing (exit $rc)"; }
        eps[$k]=$(json_num events_per_s "$out")
        p50[$k]=$(json_num p50_ms "$out")
        p99[$k]=$(json_num p99_ms "$out")
        mx[$k]=$(json_num max_ms "$out")
        errs[$k]=$(json_num errors "$out")
        at_end[$k]=- drain_s[$k]=- dl_rate[$k]=- attempts[$k]=- reqs[$k]=- dstat[$k]=-
        if [ "$c" = C ]; then
            # Every case has one case.created delivery once the outbox is taken.
            ncases=$(sql "$db" -c "SELECT count(*) FROM cases")
            first=1
            while :; do
                done_n=$(sql "$db" -c "SELECT count(*) FROM deliveries WHERE status = 'delivered'")
                if [ "$first" = 1 ]; then
                    at_end[$k]=$done_n
                    first=0
                fi
                el=$(since "$ended")
                if [ "$done_n" -ge "$ncases" ]; then
                    drain_s[$k]=$el
                    break
                fi
                if awk -v a="$el" -v d="$drain" 'BEGIN { exit !(a > d) }'; then
                    drain_s[$k]=">$drain($done_n/$ncases)"
                    break
                fi
                sleep 0.2
            done
            dl_rate[$k]=$(awk -v n="$done_n" -v a="${at_end[$k]}" -v t="$el" \
                'BEGIN { printf "%.0f", (t > 0 ? (n - a) / t : 0) }')
        fi
        cpu[$k]=$(cpu_of "$daemon")
        t=$(now_s)
        src=0
        kill -TERM "$daemon"
        wait "$daemon" || src=$?
        daemon=""
        stop_s[$k]=$(since "$t")
        [ "$src" = 0 ] || echo "  note: plaintd ($name) exited $src on SIGTERM" >&2
        if [ "$c" != A ]; then
            stop_sink "$name-sink"
            reqs[$k]=$sink_requests
            attempts[$k]=$(sql "$db" -c "SELECT coalesce(sum(attempts), 0) FROM deliveries")
            dstat[$k]=$(sql "$db" -F = -c "SELECT status, count(*) FROM deliveries GROUP BY 1 ORDER BY 1" |
                paste -sd ' ')
            [ -n "${dstat[$k]}" ] || dstat[$k]="none"
        fi
        warns[$k]=$(grep -cE ' (WARN|ERROR) ' "$dir/$name.log" || true)
        if [ "${warns[$k]}" -gt 0 ]; then
            # Alike lines counted once: stamp dropped, numbers as N.
            grep -E ' (WARN|ERROR) ' "$dir/$name.log" |
                sed -E 's/^[^ ]+ +//; s/[0-9]+(\.[0-9]+)?/N/g' |
                sort | uniq -c | sort -rn | head -n 4 | sed "s/^ */  log $name: /" >&2
        fi
        if [ -s "$dir/$name.bench.err" ]; then
            head -n 3 "$dir/$name.bench.err" | sed "s/^/  plaint bench $name: /" >&2
        fi
        echo "  run $r $c: $out" >&2
        bash "$here/scripts/pg.sh" dropdb "$pg" "$db"
    done
done

echo
printf '%-3s %-4s %9s %6s %8s %8s %8s %6s %7s %7s %7s %18s %6s %8s %7s %5s  %s\n' \
    run cfg events/s vs_A p50_ms p99_ms max_ms errors cpu_s stop_s at_end drain_s dl/s \
    attempts sink_rq warn deliveries
for r in $(seq "$runs"); do
    for c in A B C; do
        k="$r$c"
        awk -v r="$r" -v c="$c" -v e="${eps[$k]}" -v a="${eps[${r}A]}" -v p5="${p50[$k]}" \
            -v p9="${p99[$k]}" -v m="${mx[$k]}" -v er="${errs[$k]}" -v cp="${cpu[$k]}" \
            -v st="${stop_s[$k]}" -v ae="${at_end[$k]}" -v dr="${drain_s[$k]}" \
            -v dlr="${dl_rate[$k]}" -v at="${attempts[$k]}" -v rq="${reqs[$k]}" -v w="${warns[$k]}" -v d="${dstat[$k]}" \
            'BEGIN { printf "%-3s %-4s %9.0f %6.3f %8.2f %8.2f %8.2f %6s %7s %7s %7s %18s %6s %8s %7s %5s  %s\n",
                     r, c, e, (a > 0 ? e / a : 0), p5, p9, m, er, cp, st, ae, dr, dlr, at, rq, w, d }'
    done
done
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
echo
echo "# median over $runs runs (vs_A: median of the per-run ratios)"
printf '%-4s %9s %6s %8s %8s\n' cfg events/s vs_A p50_ms p99_ms
for c in A B C; do
    e=$(for r in $(seq "$runs"); do echo "${eps[$r$c]}"; done | median)
    v=$(for r in $(seq "$runs"); do awk -v x="${eps[$r$c]}" -v a="${eps[${r}A]}" 'BEGIN { print x / a }'; done | median)
    a=$(for r in $(seq "$runs"); do echo "${p50[$r$c]}"; done | median)
    b=$(for r in $(seq "$runs"); do echo "${p99[$r$c]}"; done | median)
    awk -v c="$c" -v e="$e" -v v="$v" -v a="$a" -v b="$b" \
        'BEGIN { printf "%-4s %9.0f %6.3f %8.2f %8.2f\n", c, e, v, a, b }'
done
