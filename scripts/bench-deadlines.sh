#!/usr/bin/env bash
# The escalation timer at scale, on one private PostgreSQL: with N pending
# deadlines (1,000,000), the memory plaintd holds for them, the time it takes
# to load them at start, and how late they fire while RATE a second come due.
#   1. a private cluster (scripts/pg.sh) and database; plaintd started once so
#      its migrations apply, then stopped;
#   2. N pending deadlines written with SQL: RATE x SECONDS of them due one by
#      one, evenly, in a window that opens LEAD seconds after plaintd starts;
#      the rest due weeks ahead; one escalation level (general_manager);
#   3. psql baselines on the same data: SELECT count(*) FROM deadlines, and
#      the SELECT plaintd loads its deadlines with (pl_schedule);
#   4. plaintd started: time to "escalator: loaded N pending deadline
#      instants", its VmRSS before and after the load, then, once the window
#      has passed, the lateness of every breach (history 'at' minus due_at),
#      how many fired, and how many fired twice (must be 0).
#
#   scripts/bench-deadlines.sh [--deadlines 1000000] [--rate 1000] [--seconds 30]
#                              [--lead 20] [--margin 20] [--per-case 1000]
#                              [--build build] [--config config/plaint.yaml]
#
# Prints a summary, then one JSON line (the last line of output).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
deadlines=1000000 rate=1000 seconds=30 lead=20 margin=20 per_case=1000
build="$here/build" config="$here/config/plaint.yaml"
while [ $# -gt 0 ]; do
    case "$1" in
        --deadlines) deadlines=$2; shift 2 ;;
        --rate) rate=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --lead) lead=$2; shift 2 ;;
        --margin) margin=$2; shift 2 ;;
        --per-case) per_case=$2; shift 2 ;;
        --build) build=$2; shift 2 ;;
        --config) config=$2; shift 2 ;;
        -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench-deadlines.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
die() {
    echo "bench-deadlines.sh: $*" >&2
    exit 1
}
for v in deadlines rate seconds lead margin per_case; do
    if ! [[ ${!v} =~ ^[0-9]+$ ]] || [ "${!v}" -eq 0 ]; then
        die "--${v/_/-} takes a whole number > 0"
    fi
done
window=$((rate * seconds))
[ "$window" -le "$deadlines" ] ||
    die "RATE x SECONDS ($window) must not exceed --deadlines ($deadlines)"
[ -x "$build/plaintd" ] || die "$build/plaintd missing; build it (make build, or --build DIR)"
[ -f "$config" ] || die "no configuration $config"
ncases=$(((deadlines + per_case - 1) / per_case))

now_s() { date +%s.%N; }
# Seconds since the epoch of a log line's "YYYY-MM-DDTHH:MM:SS.mmmZ" stamp.
log_time() { date -u -d "$1" +%s.%N; }
fmt() { awk -v x="$1" -v f="${2:-%.3f}" 'BEGIN { printf f, x }'; }
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null || true; }

dir=$(mktemp -d /tmp/plaint-bdl.XXXXXX)
chmod 0755 "$dir" # the cluster's owner (postgres when we are root) must reach $dir/pg
pg="$dir/pg"
daemon=""
cleanup() {
    if [ -n "$daemon" ]; then
        kill "$daemon" 2>/dev/null || true
        wait "$daemon" 2>/dev/null || true
    fi
    bash "$here/scripts/pg.sh" destroy "$pg" >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bash "$here/scripts/pg.sh" start "$pg" 5432 >/dev/null
bash "$here/scripts/pg.sh" createdb "$pg" plaint_bench
conninfo=$(bash "$here/scripts/pg.sh" env "$pg" plaint_bench)
sql() {
    bash "$here/scripts/pg.sh" psql "$pg" -d plaint_bench -v ON_ERROR_STOP=1 -qAt "$@"
}

# Starts plaintd with its log in $dir/$1; sets $daemon and $started.
start_daemon() {
    started=$(now_s)
    "$build/plaintd" --config "$config" --log-level info --db "$conninfo" \
        --ingest "ipc://$dir/ingest.sock" --publish "ipc://$dir/publish.sock" \
        2>"$dir/$1" &
    daemon=$!
}
# Waits up to $3 seconds for a log line matching $2 in $dir/$1 while
# plaintd lives; prints the line.
wait_line() {
    local file=$dir/$1 pattern=$2 limit=$3 t0 line
    t0=$(now_s)
    while :; do
        line=$(grep -m1 -E "$pattern" "$file" || true)
        if [ -n "$line" ]; then
            echo "$line"
            return 0
        fi
        if ! kill -0 "$daemon" 2>/dev/null; then
            tail -n 20 "$file" >&2
            die "plaintd exited before logging /$pattern/ (log above)"
        fi
        if awk -v a="$(now_s)" -v b="$t0" -v l="$limit" 'BEGIN { exit !(a - b > l) }'; then
            tail -n 20 "$file" >&2
            die "no /$pattern/ in plaintd's log after ${limit}s"
        fi
        sleep 0.02
    done
}
stop_daemon() {
    local rc=0
    kill -TERM "$daemon"
    wait "$daemon" || rc=$?
    daemon=""
    return "$rc"
}

echo "# plaintd escalation timer: $deadlines pending deadlines ($ncases cases x $per_case)," \
    "$rate/s coming due for ${seconds}s ($window), window opening ${lead}s after start"

# ---- 1. migrations ------------------------------------------------------------
start_daemon plaintd-migrate.log
wait_line plaintd-migrate.log 'plaintd .* listening' 120 >/dev/null
stop_daemon || die "plaintd did not stop cleanly after migrating (log: $dir/plaintd-migrate.log)"
[ "$(sql -c "SELECT count(*) FROM deadlines")" = 0 ] || die "deadlines is not empty after migrating"

# ---- 2. the deadlines ------------------------------------------------------------
# Every row is inserted due far ahead (the window's rows a year ahead, label
# 'window'); the window's rows get their real instants last, just before
# plaintd starts, so the baselines below read the same N rows plaintd loads.
t=$(now_s)
sql -v ncases="$ncases" <<'EOF'
INSERT INTO cases (case_no, source, event_id, kind, channel, received_at, content, event)
SELECT 'BENCH-' || lpad(c::text, 7, '0'), 'bench', 'bench-' || c, 'complaint', 'web',
       now(), 'deadline benchmark', '{}'::jsonb
  FROM generate_series(1, :ncases) c;
EOF
read -r base span <<<"$(sql -F ' ' -c "SELECT min(id), max(id) - min(id) + 1 FROM cases WHERE source = 'bench'")"
[ "$span" = "$ncases" ] || die "the bench cases' ids are not consecutive ($span for $ncases)"
sql -v base="$base" -v n="$deadlines" -v w="$window" -v per="$per_case" <<'EOF'
-- The rows are valid by construction; skipping the foreign-key triggers
-- only makes the load faster (superuser, this session only).
SET session_replication_role = replica;
INSERT INTO deadlines (case_id, name, label, status, due_at, chain, rules_version, next_fire_at)
SELECT :base + (i - 1) / :per, 'd' || i,
       CASE WHEN i <= :w THEN 'window' ELSE 'later' END, 'pending', x.t,
       '[{"level": 1, "to": ["general_manager"], "after_s": 0}]'::jsonb, 'bench', x.t
  FROM generate_series(1, :n) i,
       LATERAL (SELECT now() + CASE WHEN i <= :w THEN interval '365 days'
                                    ELSE interval '30 days' END
                             + i * interval '1 second' AS t) x;
EOF
sql -c "VACUUM (ANALYZE) cases, deadlines" -c "CHECKPOINT"
insert_s=$(awk -v a="$(now_s)" -v b="$t" 'BEGIN { printf "%.1f", a - b }')
echo "inserted $deadlines deadlines in ${insert_s}s (with VACUUM ANALYZE and CHECKPOINT)"

# ---- 3. psql baselines --------------------------------------------------------------
# The statement plaintd loads with, taken from daemon/store.c when it can be.
schedule_sql=$(awk '
    /\{"pl_schedule",/ { on = 1; next }
    on && /^[[:space:]]*[0-9]+\},/ { exit }
    on { line = $0; sub(/^[^"]*"/, "", line); sub(/",?[[:space:]]*$/, "", line); s = s line }
    END { print s }' "$here/daemon/store.c")
# plaintd reads it in keyset pages ($1 = last id, $2 = page size); the
# baseline reads the same rows in one go.
schedule_sql=${schedule_sql//\$1::bigint/0}
schedule_sql=${schedule_sql//\$2::integer/ALL}
case $schedule_sql in
    SELECT*deadlines*) ;;
    *) schedule_sql="SELECT (extract(epoch FROM next_fire_at) * 1000000)::bigint FROM deadlines WHERE next_fire_at IS NOT NULL" ;;
esac
# Three runs each; the best counts (the daemon's load runs once, warm).
timings=$(sql <<EOF
\\o /dev/null
\\timing on
SELECT count(*) FROM deadlines;
SELECT count(*) FROM deadlines;
SELECT count(*) FROM deadlines;
$schedule_sql;
$schedule_sql;
$schedule_sql;
EOF
)
mapfile -t ms < <(echo "$timings" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
[ "${#ms[@]}" -eq 6 ] || die "could not read psql's timings: $timings"
count_s=$(printf '%s\n' "${ms[@]:0:3}" | sort -g | head -n1 | awk '{ printf "%.3f", $1 / 1000 }')
sql_load_s=$(printf '%s\n' "${ms[@]:3:3}" | sort -g | head -n1 | awk '{ printf "%.3f", $1 / 1000 }')
echo "psql: SELECT count(*) FROM deadlines ${count_s}s (best of ${ms[*]:0:3} ms)"
echo "psql: pl_schedule SELECT ${sql_load_s}s (best of ${ms[*]:3:3} ms; psql output to /dev/null)"

# ---- 4. plaintd ------------------------------------------------------------------------
# The window's instants: row k is due at T0 + (k - 1) / RATE, T0 = now + LEAD.
t0=$(sql -v w="$window" -v rate="$rate" -v lead="$lead" <<'EOF'
BEGIN;
SELECT extract(epoch FROM now() + :lead * interval '1 second');
UPDATE deadlines
   SET due_at = now() + (:lead + (substr(name, 2)::bigint - 1)::double precision / :rate)
                        * interval '1 second',
       next_fire_at = now() + (:lead + (substr(name, 2)::bigint - 1)::double precision / :rate)
                              * interval '1 second'
 WHERE label = 'window';
COMMIT;
EOF
)
t_end=$(awk -v a="$t0" -v s="$seconds" 'BEGIN { printf "%.6f", a + s }')

start_daemon plaintd.log
rss_before="" rss_peak_during=0
# Sample VmRSS while the load runs: "before" is the first sample once the
# daemon logs that it listens (the load query is then in flight).
while :; do
    kb=$(status_kb "$daemon" VmRSS)
    [ -n "$kb" ] || { tail -n 20 "$dir/plaintd.log" >&2; die "plaintd exited during the load"; }
    if [ -z "$rss_before" ] && grep -qE 'plaintd .* listening' "$dir/plaintd.log"; then
        rss_before=$kb
    fi
    [ "$kb" -gt "$rss_peak_during" ] && rss_peak_during=$kb
    grep -q 'escalator: loaded' "$dir/plaintd.log" && break
    if awk -v a="$(now_s)" -v b="$started" 'BEGIN { exit !(a - b > 600) }'; then
        die "no 'escalator: loaded' line after 600 s"
    fi
    sleep 0.02
done
rss_loaded=$(status_kb "$daemon" VmRSS)
[ -n "$rss_before" ] || rss_before=$rss_loaded
line_listen=$(grep -m1 -E 'plaintd .* listening' "$dir/plaintd.log")
line_loaded=$(grep -m1 'escalator: loaded' "$dir/plaintd.log")
loaded_n=$(echo "$line_loaded" | sed -n 's/.*loaded \([0-9]*\) pending.*/\1/p')
at_listen=$(log_time "${line_listen%% *}")
at_loaded=$(log_time "${line_loaded%% *}")
load_s=$(awk -v a="$at_loaded" -v b="$started" 'BEGIN { printf "%.3f", a - b }')
load_after_listen_s=$(awk -v a="$at_loaded" -v b="$at_listen" 'BEGIN { printf "%.3f", a - b }')
sleep 2
rss_after=$(status_kb "$daemon" VmRSS)
rss_hwm=$(status_kb "$daemon" VmHWM)
echo "plaintd: loaded $loaded_n instants ${load_s}s after its start" \
    "(${load_after_listen_s}s after 'listening'); window opens in" \
    "$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.1f", a - b }')s"

# ---- 5. the window --------------------------------------------------------------------------
fired_now() {
    sql -c "SELECT count(*) FROM case_history WHERE type = 'deadline_breached'"
}
last_report=0
while :; do
    n=$(now_s)
    fired=$(fired_now)
    if awk -v a="$n" -v e="$t_end" 'BEGIN { exit !(a > e + 1) }' && [ "$fired" -ge "$window" ]; then
        break
    fi
    if awk -v a="$n" -v e="$t_end" -v m="$margin" 'BEGIN { exit !(a > e + m) }'; then
        break
    fi
    kill -0 "$daemon" 2>/dev/null || { tail -n 20 "$dir/plaintd.log" >&2; die "plaintd died"; }
    if awk -v a="$n" -v l="$last_report" 'BEGIN { exit !(a - l >= 5) }'; then
        echo "  t-T0 $(awk -v a="$n" -v b="$t0" 'BEGIN { printf "%+.0f", a - b }')s:" \
            "fired $fired/$window, plaintd VmRSS $(status_kb "$daemon" VmRSS) kB"
        last_report=$n
    fi
    sleep 1
done
sleep 1 # let the outbox be published
rss_end=$(status_kb "$daemon" VmRSS)
rss_hwm_end=$(status_kb "$daemon" VmHWM)
cpu_s=$(awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$daemon/stat" 2>/dev/null || echo 0)

stats=$(sql -F ' ' -v w="$window" <<'EOF'
WITH b AS (
    SELECT h.case_id, h.detail->>'deadline' AS name, h.at
      FROM case_history h WHERE h.type = 'deadline_breached'),
f AS (
    SELECT b.*, d.due_at, d.label, extract(epoch FROM b.at - d.due_at) * 1000 AS late_ms
      FROM b JOIN deadlines d ON d.case_id = b.case_id AND d.name = b.name)
SELECT count(*),
       count(DISTINCT (case_id, name)) FILTER (WHERE label = 'window'),
       count(*) FILTER (WHERE label <> 'window'),
       coalesce((SELECT count(*) FROM (SELECT 1 FROM b GROUP BY case_id, name
                                        HAVING count(*) > 1) x), 0),
       count(*) FILTER (WHERE late_ms < 0),
       round(coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY late_ms), 0)::numeric, 1),
       round(coalesce(percentile_cont(0.99) WITHIN GROUP (ORDER BY late_ms), 0)::numeric, 1),
       round(coalesce(max(late_ms), 0)::numeric, 1),
       round(coalesce(min(late_ms), 0)::numeric, 1),
       (SELECT count(*) FROM deadlines WHERE label = 'window' AND status = 'pending'),
       (SELECT count(*) FROM outbox WHERE topic = 'deadline.breached'),
       (SELECT count(*) FROM outbox WHERE topic = 'deadline.breached' AND published_at IS NULL),
       (SELECT count(*) FROM deadlines WHERE next_fire_at IS NOT NULL),
       (SELECT count(*) FROM case_history h WHERE h.type <> 'deadline_breached')
  FROM f;
EOF
)
read -r fired fired_window fired_other double_fired early p50 p99 pmax pmin still_pending \
    outbox_n outbox_unpub left_pending other_hist <<<"$stats"
# The slowest second: where in the window the p99 comes from.
worst=$(sql -F ' ' <<'EOF'
SELECT to_char(date_trunc('second', d.due_at), 'HH24:MI:SS'), count(*),
       round(max(extract(epoch FROM h.at - d.due_at) * 1000)::numeric, 1)
  FROM case_history h JOIN deadlines d
    ON d.case_id = h.case_id AND d.name = h.detail->>'deadline'
 WHERE h.type = 'deadline_breached'
 GROUP BY 1 ORDER BY 3 DESC LIMIT 3;
EOF
)
warns=$(grep -cE ' (WARN|ERROR) ' "$dir/plaintd.log" || true)
stop_rc=0
stop_daemon || stop_rc=$?

# ---- 6. summary ------------------------------------------------------------------------------
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
delta_kb=$((rss_after - rss_before))
heap_bytes=$((8 * deadlines))
cap=1024
while [ "$cap" -lt "$loaded_n" ]; do cap=$((cap * 2)); done
rss_mb_delta=$(mb "$delta_kb")
rss_mb_delta_end=$(mb $((rss_end - rss_before)))
echo
echo "== $deadlines pending deadlines, $window due at $rate/s over ${seconds}s =="
echo "insert (SQL, not plaintd):      ${insert_s}s"
echo "load at start:                  ${load_s}s from exec to 'loaded $loaded_n'" \
    "(${load_after_listen_s}s after 'listening')"
echo "  psql, same SELECT:            ${sql_load_s}s   ratio load/psql $(awk -v a="$load_s" -v b="$sql_load_s" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }')"
echo "  psql, SELECT count(*):        ${count_s}s"
echo "memory (VmRSS):                 before load $(mb "$rss_before") MB, at 'loaded'" \
    "$(mb "$rss_loaded") MB, 2 s later $(mb "$rss_after") MB, after the window $(mb "$rss_end") MB"
echo "  held for the deadlines:       ${rss_mb_delta} MB 2 s after the load" \
    "($(awk -v d="$delta_kb" -v n="$deadlines" 'BEGIN { printf "%.1f", (n > 0 ? d * 1024 / n : 0) }') bytes each)," \
    "${rss_mb_delta_end} MB after the window (freed memory malloc has returned by then)"
echo "  the heap's share (8 B x N):   $(awk -v b="$heap_bytes" 'BEGIN { printf "%.1f", b / 1048576 }') MB" \
    "(array capacity $cap: $(awk -v c="$cap" 'BEGIN { printf "%.1f", c * 8 / 1048576 }') MB)"
echo "  peak (VmHWM):                 $(mb "$rss_hwm") MB at load, $(mb "$rss_hwm_end") MB at the end"
echo "fired:                          $fired breaches, $fired_window of the $window due in the window" \
    "($still_pending still pending), $fired_other not due yet (must be 0)"
echo "  fired twice:                  $double_fired (must be 0); before due_at: $early"
echo "  lateness (history at - due):  p50 ${p50} ms, p99 ${p99} ms, max ${pmax} ms, min ${pmin} ms"
echo "  slowest seconds (due, n, max ms): $(echo "$worst" | paste -sd ';' | sed 's/;/; /g')"
echo "  outbox deadline.breached:     $outbox_n rows, $outbox_unpub unpublished"
echo "  rows left with next_fire_at:  $left_pending (expected $((deadlines - window)));" \
    "other history rows: $other_hist (expected 0)"
echo "  plaintd CPU (user+sys):       ${cpu_s}s over the run; WARN/ERROR log lines: $warns;" \
    "exit status on SIGTERM: $stop_rc"
if awk -v a="$at_loaded" -v b="$t0" 'BEGIN { exit !(a > b) }'; then
    echo "  NOTE: the load ended after the window opened; raise --lead"
fi
if [ "$warns" -gt 0 ]; then
    grep -E ' (WARN|ERROR) ' "$dir/plaintd.log" | head -n 5 | sed 's/^/  log: /'
fi
printf '{"deadlines":%d,"load_s":%s,"sql_load_s":%s,"rss_mb_delta":%s,"fired":%d,"expected":%d,' \
    "$deadlines" "$load_s" "$sql_load_s" "$rss_mb_delta" "$fired" "$window"
printf '"lateness_p50_ms":%s,"lateness_p99_ms":%s,"lateness_max_ms":%s,"double_fired":%d,' \
    "$p50" "$p99" "$pmax" "$double_fired"
printf '"count_s":%s,"heap_mb":%s,"rss_mb_before":%s,"rss_mb_after":%s,"rss_mb_peak":%s,' \
    "$count_s" "$(awk -v b="$heap_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')" \
    "$(mb "$rss_before")" "$(mb "$rss_after")" "$(mb "$rss_hwm")"
printf '"rss_mb_delta_end":%s,"load_after_listen_s":%s,' "$rss_mb_delta_end" "$load_after_listen_s"
printf '"rate":%d,"seconds":%d,"early":%d,"not_due_fired":%d,"insert_s":%s}\n' \
    "$rate" "$seconds" "$early" "$fired_other" "$insert_s"
