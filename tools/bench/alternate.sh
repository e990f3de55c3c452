#!/usr/bin/env bash
# Two builds side by side, runs alternated (docs/benchmarks.md, "Answers laid out by
# assessment"): starts BINARY_A and BINARY_B at once (ports 18081/18082, PostgreSQL databases
# kensa_bench and kensa_bench_b, or two SQLite folders), sets both up alike (1,000 suppliers,
# 64 writers whose assessments are answered item by item), then runs save_runs.py once per
# round on A, then on B, ROUNDS times, so that a drift of the machine hits both alike.
# PostgreSQL's WAL and process counters are the cluster's: they include the idle side's
# background work (little once its set-up mails are out).
#
#   tools/bench/alternate.sh BINARY_A BINARY_B sqlite|postgres [ROUNDS] [SCRIPT]
#
# Take the shared lock around it: flock /tmp/kensa-bench.lock tools/bench/alternate.sh …
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=$3 rounds=${4:-5} script=${5:-single.lua}
KENSA_BENCH_PORT=18081 KENSA_BENCH_DB=kensa_bench
start_server "$1" "$db"
setup 64 single
a=("$base" "$dir" "$pid" "${pg_args[@]}")
KENSA_BENCH_PORT=18082 KENSA_BENCH_DB=kensa_bench_b
start_server "$2" "$db"
setup 64 single
b=("$base" "$dir" "$pid" "${pg_args[@]}")
for round in $(seq 1 "$rounds"); do
  for side in A B; do
    if [ "$side" = A ]; then s=("${a[@]}") bin=$1; else s=("${b[@]}") bin=$2; fi
    echo "### round $round, $side ($bin), $db, $script"
    # A failed run (errors) is reported and the rounds go on; the script fails at the end.
    python3 "$here/save_runs.py" --base "${s[0]}" --wrk-dir "${s[1]}/wrk" --script "$script" --runs 1 \
      --server-pid "${s[2]}" --label "$side$round." "${s[@]:3}" || status=1
  done
done
exit "${status:-0}"
