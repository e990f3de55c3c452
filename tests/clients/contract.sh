#!/usr/bin/env bash
# The OpenAPI contract, checked the way an integrator meets it (run by .ci/run):
#
#   lint        Redocly CLI on a freshly generated document: 0 errors (redocly.yaml)
#   python      openapi-python-client generates a client with no error and no warning;
#               flow.py drives the whole flow with it against a started kensa-api
#   typescript  openapi-typescript types; flow.ts type-checks with `tsc --noEmit`, then runs
#   graphql     the same flow over GraphQL (graphql_flow.py)
#   browser     GraphiQL rendered by headless Chromium with no CSP violation (graphiql_browser.py)
#   fuzz        schemathesis over every operation: status code, content type and response
#               schema conform, no 5xx (fuzz.py)
#
#   tests/clients/contract.sh [lint|python|typescript|graphql|browser|fuzz]...   (all by default)
#
# The tools are pinned (package.json + package-lock.json, requirements.txt) and installed
# on first use into tests/clients/node_modules and tests/clients/.venv (both ignored by git).
# The server is target/debug/kensa-api ($CARGO_TARGET_DIR honoured), built by the caller.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$HERE"
GEN="$HERE/generated"
VENV="$HERE/.venv"
export PATH="$VENV/bin:$HERE/node_modules/.bin:$PATH"

install_tools() {
  if [[ ! -x node_modules/.bin/redocly || ! -x node_modules/.bin/tsc || package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "-- installing the Node tools (npm ci)"
    npm ci --no-audit --no-fund --loglevel=error
  fi
  if [[ ! -x "$VENV/bin/openapi-python-client" || requirements.txt -nt "$VENV/.installed" ]]; then
    echo "-- installing the Python tools (venv)"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements.txt
    touch "$VENV/.installed"
  fi
}

fresh_spec() {
  # The document the code generates now, not the committed one (the drift test compares those).
  mkdir -p "$GEN"
  (cd "$ROOT" && cargo run --quiet -p kensa-api --bin kensa-export-schemas -- "$GEN" >/dev/null)
  SPEC="$GEN/openapi.json"
}

serve() { python3 "$HERE/serve.py" -- "$@"; }

check_lint() {
  echo "== contract: Redocly lint"
  redocly lint "$SPEC" --config redocly.yaml --format=summary 2>&1 | grep -v '[║╔╚]' | sed '/^\s*$/d'
}

check_python() {
  echo "== contract: openapi-python-client, then flow.py with the generated client"
  rm -rf "$GEN/kensa_client"
  local out
  out=$(openapi-python-client generate --path "$SPEC" --output-path "$GEN/kensa_client" --meta none \
    --config openapi-python-client.yaml 2>&1) || { echo "$out"; return 1; }
  echo "$out"
  if grep -qiE "warning|error" <<<"$out"; then
    echo "openapi-python-client reported warnings or errors" >&2
    return 1
  fi
  serve "$VENV/bin/python" flow.py
}

check_typescript() {
  echo "== contract: openapi-typescript, tsc --noEmit, then flow.ts with openapi-fetch"
  openapi-typescript "$SPEC" -o "$GEN/kensa.d.ts" 2>&1 | sed '/^\s*$/d'
  tsc --noEmit -p tsconfig.json
  echo "tsc --noEmit: 0 errors ($(tsc --version))"
  rm -rf "$GEN/ts-build"
  tsc -p tsconfig.json
  serve node "$GEN/ts-build/flow.js"
}

check_graphql() {
  echo "== contract: the same flow over GraphQL (graphql_flow.py, standard library only)"
  serve python3 graphql_flow.py
}

check_browser() {
  echo "== contract: GraphiQL in headless Chromium, offline, under its CSP (graphiql_browser.py)"
  serve python3 graphiql_browser.py
}

check_fuzz() {
  echo "== contract: schemathesis"
  serve "$VENV/bin/python" fuzz.py --spec "$SPEC" --max-examples "${FUZZ_EXAMPLES:-25}"
}

install_tools
fresh_spec
checks=("$@")
[[ ${#checks[@]} -eq 0 ]] && checks=(lint python typescript graphql browser fuzz)
for check in "${checks[@]}"; do
  case "$check" in
    lint) check_lint ;;
    python) check_python ;;
    typescript) check_typescript ;;
    graphql) check_graphql ;;
    browser) check_browser ;;
    fuzz) check_fuzz ;;
    *) echo "unknown check: $check (lint, python, typescript, graphql, browser, fuzz)" >&2; exit 2 ;;
  esac
done
