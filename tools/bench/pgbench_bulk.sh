#!/usr/bin/env bash
# The bulk save against its physical limit on PostgreSQL (docs/benchmarks.md, "Against the
# physical limit"): Kensa's rate for 8 connections saving 153 answers each, then the same
# SQL statements, captured from PostgreSQL's log, replayed by pgbench at the same concurrency.
#
#   tools/bench/pgbench_bulk.sh BINARY [RUNS]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
runs=${2:-3}
start_server "$1" postgres
setup 8 bulk
echo "### Kensa: bulk save, 8 connections"
python3 "$here/save_runs.py" --base "$base" --wrk-dir "$dir/wrk" --script bulk.lua --runs "$runs" \
  --server-pid "$pid" "${pg_args[@]}"
echo "### pgbench: the same statements, 8 clients"
for _ in $(seq 1 "$runs"); do
  python3 "$here/pgbench_bulk.py" --base "$base" --wrk-dir "$dir/wrk" --database "${KENSA_BENCH_DB:-kensa_bench}"
done
