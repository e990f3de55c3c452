#!/usr/bin/env bash
# Vendors GraphiQL's page assets into crates/api/assets/graphiql/ from the npm registry, at
# the pinned versions below (production builds), so that GET /graphql works offline and
# loads nothing from another origin. To upgrade: change a version, run this, update
# ASSETS in crates/api/src/graphql/assets.rs (the file names carry the versions), and
# check the page in a browser (or with tools/graphiql/render_check.js). GraphiQL 4+ ships no
# UMD build and React 19 none either.
set -euo pipefail
GRAPHIQL=3.8.3
REACT=18.3.1
cd "$(dirname "$0")/../.."
out=crates/api/assets/graphiql
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "graphiql@$GRAPHIQL" "react@$REACT" "react-dom@$REACT" >/dev/null)
for pkg in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
  mkdir -p "$work/$pkg" && tar xzf "$work/$pkg.tgz" -C "$work/$pkg"
done
rm -f "$out"/graphiql-*.min.* "$out"/react-*.production.min.js
# The source-map comments are dropped: the maps are not vendored, so a browser's developer
# tools would ask for files that do not exist.
strip() { grep -v 'sourceMappingURL=' "$1" > "$2"; }
strip "$work/graphiql-$GRAPHIQL/package/graphiql.min.js" "$out/graphiql-$GRAPHIQL.min.js"
strip "$work/graphiql-$GRAPHIQL/package/graphiql.min.css" "$out/graphiql-$GRAPHIQL.min.css"
strip "$work/react-$REACT/package/umd/react.production.min.js" "$out/react-$REACT.production.min.js"
strip "$work/react-dom-$REACT/package/umd/react-dom.production.min.js" "$out/react-dom-$REACT.production.min.js"
{
  echo "GraphiQL $GRAPHIQL, React $REACT and ReactDOM $REACT, vendored by tools/graphiql/vendor.sh"
  echo "from the npm registry (MIT licensed; their licenses follow)."
  for pkg in "graphiql-$GRAPHIQL" "react-$REACT" "react-dom-$REACT"; do
    echo; echo "== $pkg"; cat "$work/$pkg/package/LICENSE"
  done
} > "$out/LICENSES.txt"
ls -l "$out"
