#!/usr/bin/env bash
# The cost of forgetting someone in the audit trails (issue 18; see docs/benchmarks.md): an
# organization is erased in a database whose other organizations' trails hold N events
# (default 1,000,000), one in a hundred of which names it (what a buyer's trail records of
# its suppliers). The erasure reads every event of every trail for its id and its people's
# (a LIKE over the details), redacts the ones that name it and records which in each chain.
# Times `kensa-worker run-once` at the erasure's due time (the sweep hands it to its job and
# the job runs) and reports the worker's peak memory.
#
#   tools/bench/erasure.sh sqlite [N]      # needs sqlite3
#   tools/bench/erasure.sh postgres [N]    # needs psql and PostgreSQL at $PGURL
#
# Binaries: $BIN_DIR (default target/release: cargo build --release). The seeded events are
# not a valid chain (their hashes are made up): only the erasure's time is measured here.
set -euo pipefail
backend=${1:-sqlite} n=${2:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
bin_dir=${BIN_DIR:-$here/../../target/release}
pgurl=${PGURL:-postgres://postgres@127.0.0.1:5432}
port=18095 base="http://127.0.0.1:18095"
dir=$(mktemp -d /tmp/kensa-erasure.XXXXXX)
export KENSA_DATA_DIR="$dir/data" KENSA_BIND="127.0.0.1:$port" KENSA_LOG=warn KENSA_EMBEDDED_WORKER=false
export KENSA_ERASURE_GRACE_DAYS=1
if [[ $backend == postgres ]]; then
  psql "$pgurl/postgres" -qc "DROP DATABASE IF EXISTS kensa_bench_erasure" -c "CREATE DATABASE kensa_bench_erasure"
  export DATABASE_URL="$pgurl/kensa_bench_erasure"
fi
json() { python3 -c "import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split('.'): v = v[int(k)] if k.isdigit() else v[k]
print(v)" "$1"; }

echo "== $backend, $n events in other trails, 1 in 100 naming the erased organization ($(date -u +%F), $(git -C "$here" rev-parse --short HEAD))"
"$bin_dir/kensa-api" > "$dir/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do curl -sf "$base/healthz" > /dev/null && break; sleep 0.05; done
password="correct-Horse-battery-9"
curl -sf -X POST "$base/api/v1/auth/signup" -H 'content-type: application/json' \
  -d "{\"organization_name\":\"Bench Supplier\",\"name\":\"Bench\",\"email\":\"bench@example.com\",\"password\":\"$password\"}" > "$dir/signup.json"
org=$(json organization.id < "$dir/signup.json")
token=$(json access_token < "$dir/signup.json")
curl -sf -X DELETE "$base/api/v1/organization" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d "{\"password\":\"$password\"}" > "$dir/erasure.json"
erase_at=$(json erase_at < "$dir/erasure.json")
kill "$pid"; wait "$pid" 2>/dev/null || true

t0=$(date +%s.%N)
if [[ $backend == postgres ]]; then
  psql "$DATABASE_URL" -q -v org="$org" -v n="$n" <<'SQL'
INSERT INTO audit_events (id, organization_id, actor_user_id, action, target_type, target_id, details, created_at, seq, prev_hash, hash)
SELECT gen_random_uuid(), ('00000000-0000-4000-8000-' || lpad(to_hex(i % 1000), 12, '0'))::uuid, NULL,
       'share.viewed', 'share', i::text,
       CASE WHEN i % 100 = 0 THEN jsonb_build_object('by_organization_id', :'org') ELSE jsonb_build_object('n', i) END,
       now(), i / 1000 + 1, repeat('0', 64), repeat('f', 64)
FROM generate_series(0, :n - 1) AS i;
INSERT INTO audit_chain_heads (chain, seq, hash, started_at)
SELECT organization_id::text, MAX(seq), repeat('f', 64), now() FROM audit_events
WHERE action = 'share.viewed' GROUP BY organization_id;
ANALYZE audit_events;
SQL
else
  sqlite3 "$dir/data/kensa.db" <<SQL
CREATE TEMP TABLE orgs (k INTEGER PRIMARY KEY, id BLOB);
WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n + 1 < 1000)
INSERT INTO orgs SELECT n, randomblob(16) FROM i;
WITH RECURSIVE i(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n + 1 < $n)
INSERT INTO audit_events (id, organization_id, actor_user_id, action, target_type, target_id, details, created_at, seq, prev_hash, hash)
SELECT randomblob(16), (SELECT id FROM orgs WHERE k = n % 1000), NULL, 'share.viewed', 'share', CAST(n AS TEXT),
       CASE WHEN n % 100 = 0 THEN '{"by_organization_id":"$org"}' ELSE '{"n":' || n || '}' END,
       '2026-11-29T00:00:00.000000+00:00', n / 1000 + 1, printf('%064d', 0), printf('%064d', 1)
FROM i;
-- Each made-up chain has its head (a chain without one refuses new events).
INSERT INTO audit_chain_heads (chain, seq, hash, started_at)
SELECT lower(substr(hex(id), 1, 8) || '-' || substr(hex(id), 9, 4) || '-' || substr(hex(id), 13, 4) || '-' ||
             substr(hex(id), 17, 4) || '-' || substr(hex(id), 21, 12)),
       (SELECT MAX(seq) FROM audit_events e WHERE e.organization_id = orgs.id), printf('%064d', 1),
       '2026-11-29T00:00:00.000000+00:00'
FROM orgs;
SQL
fi
echo "seeded in $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s"
at=$(python3 -c "import datetime,sys; t=datetime.datetime.fromisoformat(sys.argv[1].replace('Z','+00:00')); print((t+datetime.timedelta(minutes=1)).strftime('%Y-%m-%dT%H:%M:%SZ'))" "$erase_at")
t0=$(date +%s.%N)
/usr/bin/time -f "%M" -o "$dir/rss" "$bin_dir/kensa-worker" run-once --now "$at" > "$dir/worker.log" 2>&1
echo "erasure run: $(python3 -c "print(round($(date +%s.%N) - $t0, 2))") s, worker peak RSS $(( $(cat "$dir/rss") / 1024 )) MiB"
if [[ $backend == postgres ]]; then
  q() { psql "$DATABASE_URL" -Atc "$1"; }
else
  q() { sqlite3 "$dir/data/kensa.db" "$1"; }
fi
echo "erasure: $(q "SELECT status FROM organization_erasures"), events redacted: $(q "SELECT COUNT(*) FROM audit_events WHERE redacted_at IS NOT NULL"), redaction records: $(q "SELECT COUNT(*) FROM audit_events WHERE action = 'audit.redacted'")"
[[ ${KEEP:-0} == 1 ]] && echo "kept: $dir" || rm -rf "$dir"
