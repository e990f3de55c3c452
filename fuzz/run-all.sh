#!/usr/bin/env bash
# Runs every fuzz target in turn (one core, idle priority) for SECONDS each (default 600),
# from its corpus and committed seeds, with its dictionary and input bound; logs to logs/.
# Builds once first (SKIP_BUILD=1 to run what is built), then runs the built binaries, so
# editing the sources during a run does not rebuild under it.
# Usage: fuzz/run-all.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-600}
shift || true
declare -A max_len=(
    [supplier_csv]=65536 [template_json]=65536 [json_body]=8192 [list_query]=2048
    [small_inputs]=4096 [evidence_upload]=4096 [graphql_request]=16384
)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(supplier_csv template_json json_body list_query small_inputs evidence_upload graphql_request)
export RUSTC_BOOTSTRAP=1
[ "${SKIP_BUILD:-}" = 1 ] || chrt -i 0 cargo fuzz build
bin="${CARGO_TARGET_DIR:-target}/x86_64-unknown-linux-gnu/release"
mkdir -p logs
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    dict=()
    [ -f "dict/$t.dict" ] && dict=(-dict="dict/$t.dict")
    chrt -i 0 "$bin/$t" "corpus/$t" "seeds/$t" "${dict[@]}" -artifact_prefix="artifacts/$t/" \
        -max_len="${max_len[$t]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 > "logs/$t.log" 2>&1 || echo "$t: stopped with a finding, see logs/$t.log and artifacts/$t/"
    grep -E "^#[0-9]+.*DONE|^stat::(number_of_executed_units|average_exec_per_sec)|SUMMARY|panicked" "logs/$t.log" | sed "s/^/$t: /" || true
done
