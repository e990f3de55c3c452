# Shared by the answer-save benchmarks: start a release kensa-api (embedded worker on) on a
# fresh SQLite file or a fresh PostgreSQL database `kensa_bench`, set it up with workflow.py,
# and stop it on exit. Source it, then: start_server BINARY sqlite|postgres; setup WRITERS BUILD_UP.
# Sets: dir (scratch folder), pid, base, pg_url, pg_args (for save_runs.py). Port and database
# come from KENSA_BENCH_PORT (18081) and KENSA_BENCH_DB (kensa_bench) when start_server runs,
# so a script can start two servers side by side (alternate.sh); each is stopped on exit.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pg_admin="postgres://postgres@127.0.0.1:5432/postgres"
cleanup=""

start_server() {
  local bin db=$2 bench_db=${KENSA_BENCH_DB:-kensa_bench}
  bin=$(realpath "$1")
  port=${KENSA_BENCH_PORT:-18081}
  base="http://127.0.0.1:$port"
  pg_url="postgres://postgres@127.0.0.1:5432/$bench_db"
  dir=$(mktemp -d /tmp/kensa-bench.XXXXXX)
  # Every writer accepts its invitation as a new organization from this one address.
  local env_vars=(KENSA_BIND="127.0.0.1:$port" KENSA_DATA_DIR="$dir/data" KENSA_LOG=warn
    KENSA_SIGNUPS_PER_ADDRESS_PER_HOUR=1000)
  pg_args=()
  if [ "$db" = postgres ]; then
    psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $bench_db" -c "CREATE DATABASE $bench_db"
    env_vars+=(DATABASE_URL="$pg_url")
    pg_args=(--postgres "$pg_url")
  fi
  (cd "$dir" && exec env -u KENSA_BENCH_PORT -u KENSA_BENCH_DB "${env_vars[@]}" "$bin" > "$dir/server.log" 2>&1) &
  pid=$!
  cleanup="kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf '$dir'; $cleanup"
  # shellcheck disable=SC2064 # expanded now: this server's pid and folder
  trap "$cleanup" EXIT
  for _ in $(seq 1 100); do curl -sf "$base/healthz" > /dev/null && return 0; sleep 0.1; done
  echo "the server did not start:" >&2; cat "$dir/server.log" >&2; return 1
}

setup() {
  python3 "$here/workflow.py" --base "$base" --data-dir "$dir/data" --suppliers 1000 --writers "$1" \
    --build-up "$2" --out "$dir/wrk" --pid "$pid" | grep -v '^wrk '
}
