#!/usr/bin/env python3
"""What the scanners cannot know about Kensa's deploy files (tools/deploy/check.sh runs it):

- deploy/k8s/kustomization.yaml lists every manifest of the folder, and nothing else;
- every resource names the kustomization's namespace (never `default`);
- every container and init container runs the kustomization's image by its digest, so
  `kubectl apply -f` and `kubectl apply -k` run the same bytes;
- every probe names a port its container declares;
- every variable the ConfigMap and the compose file set is one `kensa-api --help` lists (the
  binary refuses unknown KENSA_* variables at start, and ignores other typos), and every
  *_FILE path of the ConfigMap lies under the secrets mount of each Deployment;
- every metric an alert of deploy/prometheus/alerts.yaml reads is one the code exports, and
  deploy/README.md explains every alert.

    check.py --api target/debug/kensa-api

Exits 1 naming each problem. Needs PyYAML (checkov's venv has it).
"""

import argparse
import pathlib
import re
import subprocess
import sys

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"


def documents(path):
    with open(path, encoding="utf-8") as f:
        return [d for d in yaml.safe_load_all(f) if d]


def pod_specs(doc):
    spec = doc.get("spec", {})
    if doc.get("kind") in ("Deployment", "StatefulSet", "DaemonSet", "Job"):
        yield spec["template"]["spec"]
    elif doc.get("kind") == "CronJob":
        yield spec["jobTemplate"]["spec"]["template"]["spec"]


def known_variables(api):
    help_text = subprocess.run([api, "--help"], capture_output=True, text=True, check=True).stdout
    section = help_text.split("Environment", 1)[-1]
    return set(re.findall(r"^\s{2}([A-Z][A-Z0-9_]+)\s", section, re.MULTILINE))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--api", required=True, help="a kensa-api binary (for its --help)")
    args = parser.parse_args()
    problems = []

    kustomization = documents(K8S / "kustomization.yaml")[0]
    listed = set(kustomization["resources"])
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    for name in sorted(present - listed):
        problems.append(f"kustomization.yaml does not list {name}")
    for name in sorted(listed - present):
        problems.append(f"kustomization.yaml lists {name}, which does not exist")

    namespace = kustomization["namespace"]
    (image,) = kustomization["images"]
    pinned = f"{image['name']}@{image['digest']}"
    if not re.fullmatch(r"sha256:[0-9a-f]{64}", image["digest"]):
        problems.append(f"kustomization.yaml: {image['digest']!r} is not a sha256 digest")
    if image.get("newTag"):
        problems.append("kustomization.yaml: the image goes by digest, not newTag")

    variables = known_variables(args.api)
    secret_mounts = {}
    file_paths = {}
    for name in sorted(present):
        for doc in documents(K8S / name):
            kind, meta = doc.get("kind"), doc.get("metadata", {})
            where = f"{name}: {kind}/{meta.get('name')}"
            if kind != "Namespace" and meta.get("namespace") != namespace:
                problems.append(f"{where} is not in namespace {namespace}")
            if kind == "ConfigMap":
                for key, value in doc.get("data", {}).items():
                    if key not in variables:
                        problems.append(f"{where} sets {key}, which kensa-api does not know")
                    if key.endswith("_FILE"):
                        file_paths[key] = value
            for pod in pod_specs(doc):
                if pod.get("automountServiceAccountToken") is not False:
                    problems.append(f"{where} mounts a service account token")
                mounts = set()
                for container in pod.get("initContainers", []) + pod.get("containers", []):
                    cname = f"{where} container {container['name']}"
                    if container["image"] != pinned:
                        problems.append(f"{cname} runs {container['image']}, not {pinned}")
                    ports = {p.get("name") for p in container.get("ports", [])}
                    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                        port = container.get(probe, {}).get("httpGet", {}).get("port")
                        if isinstance(port, str) and port not in ports:
                            problems.append(f"{cname} {probe} names port {port!r}, which it does not declare")
                    for env in container.get("env", []):
                        if env["name"] not in variables:
                            problems.append(f"{cname} sets {env['name']}, which kensa-api does not know")
                    secret_volumes = {
                        v["name"] for v in pod.get("volumes", []) if "secret" in v
                    }
                    mounts |= {
                        m["mountPath"] for m in container.get("volumeMounts", []) if m["name"] in secret_volumes
                    }
                secret_mounts[where] = mounts
    for where, mounts in secret_mounts.items():
        for key, path in file_paths.items():
            if not any(path.startswith(m.rstrip("/") + "/") for m in mounts):
                problems.append(f"{where}: {key}={path} is not under a mounted Secret ({sorted(mounts)})")

    compose = documents(ROOT / "docker-compose.yml")[0]
    for key in compose.get("x-kensa-env", {}):
        if key not in variables:
            problems.append(f"docker-compose.yml x-kensa-env sets {key}, which kensa-api does not know")

    alerts = documents(ROOT / "deploy" / "prometheus" / "alerts.yaml")[0]
    # The code without its comments: a metric named only in a comment is not exported.
    source = "\n".join(
        re.sub(r"^\s*//.*$", "", p.read_text(encoding="utf-8"), flags=re.MULTILINE)
        for p in (ROOT / "crates").rglob("*.rs")
    )
    runbook = (ROOT / "deploy" / "README.md").read_text(encoding="utf-8")
    for group in alerts["groups"]:
        for rule in group["rules"]:
            for metric in set(re.findall(r"\bkensa_[a-z_]+", rule["expr"])):
                base = re.sub(r"_(bucket|count|sum)$", "", metric)
                if f'"{base}"' not in source and f"{base}{{" not in source and f"{base} " not in source:
                    problems.append(f"alert {rule['alert']} reads {metric}, which the code does not export")
            if f"`{rule['alert']}`" not in runbook:
                problems.append(f"alert {rule['alert']} is not explained in deploy/README.md")

    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"deploy files consistent: {len(present)} manifests, image {pinned}, {len(file_paths)} secret files")


if __name__ == "__main__":
    main()
