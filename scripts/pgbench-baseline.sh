#!/usr/bin/env bash
# The ceiling plaintd is compared against: pgbench writing the same rows
# (pl_submit: case, counter, history, outbox, with a classification, route
# and three deadlines like the daemon's) straight into PostgreSQL, one event per
# transaction and BATCH events per transaction, at each client count.
#
#   scripts/pgbench-baseline.sh --host SOCKET_DIR [--port 5432] [--db NAME]
#       [--clients "1 16 64"] [--seconds 10] [--batch 100] [--json]
#
# The database gets the schema from sql/ if it lacks it. Output: one line per
# (mode, clients) with events/s; --json prints one JSON object per line.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
host="" port=5432 db=plaint_pgbench clients="1 16 64" seconds=10 batch=100 json=0
while [ $# -gt 0 ]; do
    case "$1" in
        --host) host=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --db) db=$2; shift 2 ;;
        --clients) clients=$2; shift 2 ;;
        --seconds) seconds=$2; shift 2 ;;
        --batch) batch=$2; shift 2 ;;
        --json) json=1; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "pgbench-baseline.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
[ -n "$host" ] || { echo "pgbench-baseline.sh: --host SOCKET_DIR is required" >&2; exit 2; }
bindir=$(pg_config --bindir 2>/dev/null || true)
[ -x "$bindir/pgbench" ] || bindir=/usr/lib/postgresql/15/bin
psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$host" -p "$port" -U postgres)

if ! "${psql[@]}" -d "$db" -Atc "SELECT 1" >/dev/null 2>&1; then
    "${psql[@]}" -d postgres -c "CREATE DATABASE \"$db\"" >/dev/null
fi
if [ "$("${psql[@]}" -d "$db" -Atc "SELECT count(*) FROM pg_proc WHERE proname = 'pl_submit'")" = 0 ]; then
    for f in "$here"/sql/[0-9][0-9][0-9]_*.sql "$here"/sql/functions.sql; do
        "${psql[@]}" -d "$db" -1 -f "$f" >/dev/null
    done
fi
"${psql[@]}" -d "$db" -c "CREATE SEQUENCE IF NOT EXISTS pl_pgbench_seq" >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The same shape of event as `plaint bench` sends (about 450 bytes).
stmt=$(cat <<'SQL'
SELECT * FROM pl_submit(jsonb_build_object(
  'event_id', 'pgb-' || nextval('pl_pgbench_seq'), 'source', 'pgbench',
  'kind', 'complaint', 'channel', 'phone', 'received_at', pl_rfc3339(now()),
  'customer', jsonb_build_object('name', '王先生', 'phone', '13800000000',
                                 'address', '上海市浦东新区张江路 100 号 3 栋 502 室'),
  'content', '上周购买的洗衣机脱水时漏水，地板被泡坏了，请尽快派人上门检查维修。The washer leaks when spinning.',
  'product', jsonb_build_object('spec', 'XQB70-A1', 'order_no', 'PO-2026-0042',
                                'quantity', 1, 'ship_date', '2026-11-01'),
  'region', 'east'),
  '{"rules_version": "0000000000000000000000000000000000000000000000000000000000000000",
    "kind": "complaint", "category": "product_quality", "severity": "high",
    "tags": ["quality_abnormal"], "department": "quality", "assignee": "luo_min",
    "inform": ["rnd", "management_rep", "general_manager"], "strategy": null,
    "candidates": [], "rule": "product_quality",
    "matched_rules": [{"section": "categories", "rule": "product_quality",
                         "why": "keyword 漏水 in content"},
                        {"section": "routing", "rule": "product_quality",
                         "why": "category is product_quality"}]}'::jsonb
  || jsonb_build_object('deadlines', jsonb_build_array(
       jsonb_build_object('name', 'first_report', 'calendar', 'always',
         'due_at', pl_rfc3339(now() + interval '2 hours'),
         'warn_at', jsonb_build_array(pl_rfc3339(now() + interval '96 minutes')),
         'warn_pct', jsonb_build_array(80), 'met_by', jsonb_build_array('report'),
         'chain', '[{"level": 1, "to": ["general_manager"], "after_s": 0}]'::jsonb),
       jsonb_build_object('name', 'site_visit', 'calendar', 'default',
         'due_at', pl_rfc3339(now() + interval '3 days'),
         'warn_at', jsonb_build_array(pl_rfc3339(now() + interval '2 days')),
         'warn_pct', jsonb_build_array(80), 'met_by', jsonb_build_array('visit'),
         'pausable', true,
         'chain', '[{"level": 1, "to": ["regional_head"], "after_s": 0},
                    {"level": 2, "to": ["sales_manager"], "after_s": 14400},
                    {"level": 3, "to": ["vp_marketing"], "after_s": 28800},
                    {"level": 4, "to": ["general_manager"], "after_s": 86400}]'::jsonb),
       jsonb_build_object('name', 'progress_report',
         'due_at', pl_rfc3339(now() + interval '30 minutes'),
         'warn_at', jsonb_build_array(pl_rfc3339(now() + interval '24 minutes')),
         'warn_pct', jsonb_build_array(80), 'every_s', 1800, 'until', 'closed',
         'met_by', jsonb_build_array('note'),
         'chain', '[{"level": 1, "to": ["regional_head"], "after_s": 0},
                    {"level": 2, "to": ["sales_manager"], "after_s": 1800}]'::jsonb))),
  'PB-{year}-{seq}', 6, 'Asia/Shanghai');
SQL
)
echo "$stmt" >"$work/single.sql"
{
    echo "BEGIN;"
    for _ in $(seq "$batch"); do echo "$stmt"; done
    echo "COMMIT;"
} >"$work/batch.sql"

run() { # mode file events_per_txn clients
    local out tps
    out=$("$bindir/pgbench" -n -h "$host" -p "$port" -U postgres -c "$4" -j "$(( $4 < 2 ? 1 : 2 ))" \
        -T "$seconds" -M prepared -f "$2" "$db" 2>&1) || { echo "$out" >&2; return 1; }
    tps=$(echo "$out" | awk '/^tps = / {print $3; exit}')
    local eps
    eps=$(awk -v t="$tps" -v n="$3" 'BEGIN { printf "%.0f", t * n }')
    if [ "$json" = 1 ]; then
        printf '{"mode":"%s","clients":%s,"events_per_txn":%s,"events_per_s":%s}\n' "$1" "$4" "$3" "$eps"
    else
        printf '%-8s clients %-3s events/txn %-4s events/s %s\n' "$1" "$4" "$3" "$eps"
    fi
}
for c in $clients; do
    run single "$work/single.sql" 1 "$c"
    run batch "$work/batch.sql" "$batch" "$c"
done
