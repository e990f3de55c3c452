#!/usr/bin/env bash
# Runs every fuzz target in turn (one core, idle priority) for SECONDS each (default 600),
# from its committed seeds, with its dictionary and input bound; logs to fuzz/logs/.
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
mkdir -p logs
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do chrt -i 0 cargo fuzz build "$t"; done
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    dict=()
    [ -f "dict/$t.dict" ] && dict=(-dict="dict/$t.dict")
    chrt -i 0 cargo fuzz run "$t" "corpus/$t" "seeds/$t" -- \
        "${dict[@]}" -max_len="${max_len[$t]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 2>&1 | tee "logs/$t.log" | grep -E "^#[0-9]+.*(DONE|pulse)|ERROR|SUMMARY|stat::" || true
done
