#!/usr/bin/env python3
"""schemathesis over every operation of `openapi/openapi.json`, against the kensa-api that
`serve.py` started (KENSA_URL), with the checks an integrator relies on:
status-code, content-type and response-schema conformance, and no 5xx.

    python3 tests/clients/serve.py -- tests/clients/.venv/bin/python tests/clients/fuzz.py

- It tests a copy of the document **without the `default` responses**: `default` is there
  for generators, but it would let any status pass; here every status must be declared.
- Protected operations get the Bearer token of an organization signed up for the run (an
  owner: every role check passes, so the handlers' own answers are reached). Before the run
  that organization gets two suppliers, a campaign to them (so two assessments) and a
  colleague invitation, and the copy's `{id}` and `{token}` parameters get the ids and the
  mailed tokens as examples: the examples phase reaches real resources, so their success
  answers are checked too, not only the 404s of random ids.
- Examples are bounded per operation (`--max-examples`, 25 by default) so the run takes a
  few minutes on 2 cores; `--max-examples 200` for a deeper local run.

What it cannot reach, and why (docs/integrations.md repeats this):
- the supplier side of an assessment (answers, submit, evidence upload): the examples are
  the buyer's, so those answer 403 (declared and checked); the client flows (flow.py,
  flow.ts) drive them;
- evidence downloads and supplier claims: none exist in the run (random ids answer 404);
- `/metrics` is not served on the public port in this configuration: 404, checked here.
"""

import argparse
import datetime
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
CHECKS = "status_code_conformance,content_type_conformance,response_schema_conformance,not_a_server_error"


def strict_copy(spec_path, out_path, examples):
    """The document with every `default` response removed, and `examples[(path prefix,
    parameter)]` as the example of that path parameter."""
    doc = json.load(open(spec_path, encoding="utf-8"))
    for path, item in doc["paths"].items():
        for op in item.values():
            if not isinstance(op, dict):
                continue
            op.get("responses", {}).pop("default", None)
            for param in op.get("parameters", []):
                for (prefix, name), value in examples.items():
                    if param.get("in") == "path" and param["name"] == name and path.startswith(prefix):
                        param["example"] = value
    json.dump(doc, open(out_path, "w", encoding="utf-8"))


def call(base, method, path, body=None, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base}{path}", data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.load(r)


def mail_token(outbox, to, link):
    pattern = re.compile(re.escape(link) + r"([A-Za-z0-9_-]+)")
    for _ in range(100):
        for name in glob.glob(os.path.join(outbox, "*.eml")):
            text = open(name, encoding="utf-8", errors="replace").read()
            found = pattern.search(text)
            if to in text and found:
                return found.group(1)
        time.sleep(0.1)
    sys.exit(f"no {link} mail to {to} in {outbox}")


def seed(base, outbox):
    """An owner's token, and path-parameter examples naming what the organization holds."""
    session = call(base, "POST", "/api/v1/auth/signup", {
        "organization_name": "Fuzz KK", "name": "Fuzz Owner", "email": "owner@fuzz.example",
        "password": "correct-Horse-battery-9"})
    token = session["access_token"]
    # The owner follows the link mailed at sign-up: until then the organization mails no one.
    link = mail_token(outbox, "owner@fuzz.example", "/verify/")
    verify = urllib.request.Request(f"{base}/api/v1/auth/verify-email/{link}", data=b"", method="POST")
    urllib.request.urlopen(verify, timeout=30).close()
    builtin = next(t["id"] for t in call(base, "GET", "/api/v1/templates", token=token)["data"] if t["builtin"])
    suppliers = [call(base, "POST", "/api/v1/suppliers", {"name": f"Supplier {n}", "contact_email": f"s{n}@fuzz-supplier.example"},
                      token)["id"] for n in (1, 2)]
    due = str(datetime.date.today() + datetime.timedelta(days=30))
    campaign = call(base, "POST", "/api/v1/campaigns", {"name": "Fuzz", "template_id": builtin, "due_date": due,
                                                      "supplier_ids": suppliers, "target_level": 1}, token)
    assessments = [a["id"] for a in call(base, "GET", f"/api/v1/campaigns/{campaign['id']}", token=token)["assessments"]]
    call(base, "POST", "/api/v1/users/invitations", {"email": "colleague@fuzz.example", "role": "viewer"}, token)
    examples = {
        ("/api/v1/suppliers/", "id"): suppliers[1],
        ("/api/v1/campaigns/", "id"): campaign["id"],
        ("/api/v1/assessments/", "id"): assessments[0],
        ("/api/v1/templates/", "id"): builtin,
        ("/api/v1/users/", "id"): session["user"]["id"],
        ("/api/v1/invitations/", "token"): mail_token(outbox, "s1@fuzz-supplier.example", "/invitations/"),
        ("/api/v1/user-invitations/", "token"): mail_token(outbox, "colleague@fuzz.example", "/join/"),
    }
    return token, examples


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--spec", default=os.path.join(ROOT, "openapi", "openapi.json"))
    parser.add_argument("--max-examples", type=int, default=25)
    args, extra = parser.parse_known_args()
    base = os.environ.get("KENSA_URL", "http://localhost:8080")
    work = tempfile.mkdtemp(prefix="kensa-fuzz-")
    strict = os.path.join(work, "openapi-strict.json")
    token, examples = seed(base, os.environ.get("KENSA_OUTBOX", "data/outbox"))
    strict_copy(args.spec, strict, examples)
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
    # fuzz_hooks.py works around a CPython 3.11.7 bug in hypothesis' lambda descriptions.
    env = dict(os.environ, SCHEMATHESIS_HOOKS="fuzz_hooks")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [HERE, os.environ.get("PYTHONPATH")]))
    return subprocess.run(command, cwd=work, env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
