#!/usr/bin/env bash
# Answer saves on assessments built up one way or the other, on SQLite or PostgreSQL
# (docs/benchmarks.md, "Answers laid out by assessment" and "Tail latency").
#
#   tools/bench/answers_layout.sh BINARY sqlite|postgres bulk|single [RUNS] [SCRIPTS]
#
# Starts BINARY (a release kensa-api, embedded worker on) on a fresh SQLite file or a fresh
# PostgreSQL database `kensa_bench`, sets up 1,000 suppliers and 64 accepting writers with
# workflow.py, answers the writers' assessments first (`bulk`: 153 answers in one request
# each; `single`: item by item, round-robin over the 64 assessments, as suppliers answer over
# weeks), then runs save_runs.py RUNS times (default 3) for each wrk script in SCRIPTS
# (default "bulk.lua single.lua"; `single.lua:10` runs that one 10 times), wrk -t2 -c8 -d20s.
# Needs wrk and, for postgres, psql.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
db=$2 build_up=$3 runs=${4:-3} scripts=${5:-"bulk.lua single.lua"}
start_server "$1" "$db"
setup 64 "$build_up"
set_up_lines=$(wc -l < "$dir/server.log")
for entry in $scripts; do
  script=${entry%%:*} n=$runs
  [ "$script" != "$entry" ] && n=${entry#*:}
  echo "### $db, built up by $build_up saves, $script ($1)"
  python3 "$here/save_runs.py" --base "$base" --wrk-dir "$dir/wrk" --script "$script" --runs "$n" \
    --server-pid "$pid" "${pg_args[@]}"
done
echo "server log lines at warn or above: $set_up_lines during set-up, $(($(wc -l < "$dir/server.log") - set_up_lines)) during the runs"
tail -n +"$((set_up_lines + 1))" "$dir/server.log" | grep -m5 'slow write' || true
