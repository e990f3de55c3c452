#!/usr/bin/env bash
# Mail throughput (issue 11; see docs/benchmarks.md): N supplier invitations queued as one
# campaign through the API (tools/bench/worker_drain.py queue: sign-up, CSV import, campaign,
# no worker running), then delivered by `kensa-worker run-once` into an SMTP sink on
# loopback. Prints each run's time and messages/s, counted by the sink.
#
#   tools/bench/mail.sh [N] [CONCURRENCY] [SINK] [DB]
#     N            invitations (default 5000)
#     CONCURRENCY  KENSA_WORKER_CONCURRENCY, which also sizes the SMTP pool (default 16)
#     SINK         aiosmtpd (default: aiosmtpd's SMTP server with a counting handler,
#                  tools/bench/aiosmtpd_sink.py) or fast (tools/bench/smtp_sink.py, which
#                  parses nothing; use it to see whether Python is the bottleneck)
#     DB           sqlite (default) or postgres (needs psql; $PGURL is an administrator's URL)
#
# The binaries come from $BIN (default target/release: `cargo build --release -p kensa-worker
# -p kensa-server`); $RUNS (default 3) drains as many fresh copies of the one queue.
# Needs python3 (and `pip install aiosmtpd` for the default sink). Loopback only.
set -euo pipefail
n=${1:-5000} concurrency=${2:-16} sink=${3:-aiosmtpd} db=${4:-sqlite}
here=$(cd "$(dirname "$0")" && pwd)
bin=${BIN:-$here/../../target/release}
runs=${RUNS:-3}
pgurl=${PGURL:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d /tmp/kensa-mail-bench.XXXXXX)
pg=()
[[ $db == postgres ]] && pg=(--pg "$pgurl")

sink_pid=
stop_sink() {
  if [[ -n $sink_pid ]]; then
    kill "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
    sink_pid=
  fi
}
trap 'stop_sink; rm -rf "$work"' EXIT

echo "== queue: $n invitations ($db)"
python3 "$here/worker_drain.py" queue --api "$bin/kensa-api" --dir "$work/q" --jobs "$n" "${pg[@]}"

for run in $(seq 1 "$runs"); do
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  case $sink in
    aiosmtpd) python3 -u "$here/aiosmtpd_sink.py" "$port" > "$work/sink.log" 2>&1 & ;;
    fast) python3 -u "$here/smtp_sink.py" "$port" 0 > "$work/sink.log" 2>&1 & ;;
    *) echo "unknown sink $sink (aiosmtpd or fast)" >&2; exit 2 ;;
  esac
  sink_pid=$!
  for _ in $(seq 1 100); do grep -q listening "$work/sink.log" 2>/dev/null && break; sleep 0.1; done
  grep -q listening "$work/sink.log" || { cat "$work/sink.log" >&2; exit 1; }

  drained=$(python3 "$here/worker_drain.py" drain --worker "$bin/kensa-worker" --queue "$work/q" \
    --concurrency "$concurrency" --smtp-url "smtp://127.0.0.1:$port" "${pg[@]}")
  # The sink's CPU time (utime + stime): close to the drain's wall time means the sink, one
  # Python process, was the bottleneck.
  sink_cpu=$(awk -v hz="$(getconf CLK_TCK)" '{ printf "%.1f", ($14 + $15) / hz }' "/proc/$sink_pid/stat")
  stop_sink
  received=$(grep -o 'received [0-9]*' "$work/sink.log" | tail -n1 | cut -d' ' -f2 || true)
  if [[ -z $received ]]; then
    echo "the sink reported no count:" >&2
    cat "$work/sink.log" >&2
    exit 1
  fi
  seconds=$(sed -n 's/^drained in \([0-9.]*\) s.*/\1/p' <<< "$drained")
  rate=$(python3 -c "print(round($received / $seconds))")
  echo "run $run: $drained"
  echo "run $run: $received messages received by the $sink sink in $seconds s: $rate messages/s" \
       "(concurrency $concurrency, $db, sink CPU ${sink_cpu} s, $(date -u +%Y-%m-%dT%H:%MZ))"
done
