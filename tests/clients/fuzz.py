#!/usr/bin/env python3
"""schemathesis over every operation of `openapi/openapi.json`, against the kensa-api that
`serve.py` started (KENSA_URL), with the checks an integrator relies on:
status-code, content-type and response-schema conformance, and no 5xx.

    python3 tests/clients/serve.py -- tests/clients/.venv/bin/python tests/clients/fuzz.py

- It tests a copy of the document **without the `default` responses**: `default` is there
  for generators, but it would let any status pass; here every status must be declared.
- Protected operations get the Bearer token of an organization signed up for the run (an
  owner: every role check passes, so the handlers' own answers are reached).
- Examples are bounded per operation (`--max-examples`, 25 by default) so the run takes a
  few minutes on 2 cores; `--max-examples 200` for a deeper local run.

What it cannot reach, and why (docs/integrations.md repeats this):
- operations on an existing resource (`{id}`, `{evidence_id}`) see random UUIDs, so they
  answer 404 (declared and checked) and their success bodies are checked by the client
  flows (flow.py, flow.ts) instead;
- the invitation routes (`{token}`) need a token that only arrives by mail: random tokens
  answer 404, checked here; acceptance is driven by the flows;
- `/metrics` is not served on the public port in this configuration: 404, checked here.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CHECKS = "status_code_conformance,content_type_conformance,response_schema_conformance,not_a_server_error"


def strict_copy(spec_path, out_path):
    """The document with every `default` response removed."""
    doc = json.load(open(spec_path, encoding="utf-8"))
    for item in doc["paths"].values():
        for op in item.values():
            if isinstance(op, dict):
                op.get("responses", {}).pop("default", None)
    json.dump(doc, open(out_path, "w", encoding="utf-8"))


def owner_token(base):
    body = json.dumps({"organization_name": "Fuzz KK", "name": "Fuzz Owner", "email": "owner@fuzz.example",
                       "password": "correct-Horse-battery-9"}).encode()
    request = urllib.request.Request(f"{base}/api/v1/auth/signup", data=body, method="POST",
                                     headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.load(r)["access_token"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default=os.path.join(ROOT, "openapi", "openapi.json"))
    parser.add_argument("--max-examples", type=int, default=25)
    args, extra = parser.parse_known_args()
    base = os.environ.get("KENSA_URL", "http://localhost:8080")
    work = tempfile.mkdtemp(prefix="kensa-fuzz-")
    strict = os.path.join(work, "openapi-strict.json")
    strict_copy(args.spec, strict)
    token = owner_token(base)
    schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    command = [
        schemathesis, "run", strict, "--url", base,
        "--header", f"Authorization: Bearer {token}",
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(args.max_examples),
        "--workers", "2",
        "--seed", "1",
        "--request-timeout", "30",
        "--no-color",
        *extra,
    ]
    return subprocess.run(command, cwd=work).returncode


if __name__ == "__main__":
    sys.exit(main())
