#!/usr/bin/env bash
# plaintd's ingest throughput next to its ceiling, measured in one run on one
# private PostgreSQL so the ratios hold on a noisy machine:
#   1. plaint bench against plaintd, at each concurrency;
#   2. pgbench writing the same rows, one event per transaction and in batches.
#
#   scripts/bench.sh [--events 20000] [--concurrency "1 16 64"] [--window 1]
#                    [--seconds 10] [--build build]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
events=20000 concurrency="1 16 64" window=1 seconds=10 build="$here/build"
while [ $# -gt 0 ]; do
    case "$1" in
        --events) events=$2; shift 2 ;;
        --concurrency) concurrency=$2; shift 2 ;;
        --window) window=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
        *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
for b in plaintd plaint; do
    [ -x "$build/$b" ] || { echo "bench.sh: $build/$b missing; run make build" >&2; exit 1; }
done

dir=$(mktemp -d /tmp/plaint-bench.XXXXXX)
daemon=""
cleanup() {
    [ -n "$daemon" ] && kill "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null || true
    bash "$here/scripts/pg.sh" stop "$dir" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
bash "$here/scripts/pg.sh" start "$dir" 5432 >/dev/null
bash "$here/scripts/pg.sh" createdb "$dir" plaint_bench >/dev/null
port=$(( 20000 + RANDOM % 20000 ))
ingest="tcp://127.0.0.1:$port"
"$build/plaintd" --config "$here/config/plaint.yaml" --log-level warn \
    --db "host=$dir/run port=5432 user=postgres dbname=plaint_bench" \
    --ingest "$ingest" --publish "tcp://127.0.0.1:$((port + 1))" 2>"$dir/plaintd.log" &
daemon=$!
for _ in $(seq 100); do
    "$build/plaint" --endpoint "$ingest" --timeout 200 ping >/dev/null 2>&1 && break
    sleep 0.1
done

echo "# plaint bench: $events events per run, window $window per connection"
declare -A eps
for c in $concurrency; do
    out=$("$build/plaint" --endpoint "$ingest" bench --events "$events" --concurrency "$c" \
        --window "$window" --json)
    echo "plaintd  concurrency $c: $out"
    eps[$c]=$(echo "$out" | sed -n 's/.*"events_per_s":\([0-9.]*\).*/\1/p')
done
kill "$daemon"; wait "$daemon" 2>/dev/null || true; daemon=""

echo "# pgbench, same rows, same cluster, $seconds s per run"
base=$(bash "$here/scripts/pgbench-baseline.sh" --host "$dir/run" --port 5432 \
    --db plaint_pgbench --clients "$concurrency" --seconds "$seconds" --json)
echo "$base" | sed 's/^/pgbench  /'

echo "# ratios: plaintd events/s over pgbench events/s at the same concurrency"
printf '%-12s %12s %14s %14s %10s %10s\n' concurrency plaintd pgbench_single pgbench_batch vs_single vs_batch
for c in $concurrency; do
    single=$(echo "$base" | grep "\"mode\":\"single\",\"clients\":$c," | sed -n 's/.*"events_per_s":\([0-9.]*\).*/\1/p')
    batch=$(echo "$base" | grep "\"mode\":\"batch\",\"clients\":$c," | sed -n 's/.*"events_per_s":\([0-9.]*\).*/\1/p')
    awk -v c="$c" -v p="${eps[$c]}" -v s="$single" -v b="$batch" 'BEGIN {
        printf "%-12s %12.0f %14.0f %14.0f %10.2f %10.2f\n", c, p, s, b, p / s, p / b }'
done
