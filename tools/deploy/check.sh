#!/usr/bin/env bash
# The deploy files, checked without a cluster or a Docker engine (.ci/run runs this):
#   kubernetes-validate  every manifest against the Kubernetes 1.37 schemas, strictly
#   checkov              the manifests, the kustomization, the Dockerfile and the compose file
#   hadolint             the Dockerfile
#   check.py             the kustomization lists every manifest, images go by its digest, every
#                        resource is in its namespace, and every variable the manifests and the
#                        compose file set is one kensa-api knows (KENSA_API=path/to/kensa-api)
# Zero failures; a check that cannot apply is skipped inline with its reason. The tools are
# installed from PyPI, pinned (requirements.txt), into a venv under target/ on first use.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${CARGO_TARGET_DIR:-target}/deploy-check-venv"
if ! "$venv/bin/python" -c "import checkov" 2>/dev/null \
    || ! cmp -s tools/deploy/requirements.txt "$venv/requirements.txt"; then
  echo "installing the scanners into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r tools/deploy/requirements.txt
  cp tools/deploy/requirements.txt "$venv/requirements.txt"
fi
manifests=$(ls deploy/k8s/*.yaml | grep -v kustomization.yaml)

echo "-- kubernetes-validate (1.37, strict)"
# shellcheck disable=SC2086
"$venv/bin/kubernetes-validate" --strict --quiet -k 1.37.0 $manifests

echo "-- hadolint"
"$venv/bin/hadolint" deploy/Dockerfile

echo "-- checkov"
# --skip-download: no Prisma Cloud account (and no network but the package registries here).
export LOG_LEVEL=ERROR
"$venv/bin/checkov" --quiet --compact --skip-download -d deploy
"$venv/bin/checkov" --quiet --compact --skip-download -f docker-compose.yml

echo "-- kustomization, images, namespaces, variables"
"$venv/bin/python" tools/deploy/check.py --api "${KENSA_API:-${CARGO_TARGET_DIR:-target}/debug/kensa-api}"
