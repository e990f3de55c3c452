#!/usr/bin/env python3
"""Benchmark set-up for the questionnaire workflow (see docs/benchmarks.md).

Against a running kensa-api (default http://127.0.0.1:18081, whose KENSA_DATA_DIR is given
with --data-dir so the invitation mail can be read from the outbox):

1. signs up a buyer, imports N suppliers from a CSV (target level 3),
2. times POST /api/v1/campaigns for all of them,
3. accepts one invitation as a new supplier organization,
4. writes the bulk body of all 153 answers and a wrk Lua script, and prints the wrk command
   that saves the full answer set repeatedly.

Only the standard library; loopback only.
"""

import argparse
import base64
import datetime
import email
import json
import pathlib
import re
import time
import urllib.request
import uuid

PASSWORD = "correct-Horse-battery-9"


def call(base, method, path, body=None, token=None, content_type="application/json"):
    data = None
    headers = {}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["content-type"] = content_type
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=600) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def outbox_token(data_dir, to):
    for path in sorted(pathlib.Path(data_dir, "outbox").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes())
        if to not in (msg["To"] or ""):
            continue
        for part in msg.walk():
            payload = part.get_payload(decode=True)
            if payload:
                match = re.search(r"/invitations/([A-Za-z0-9_-]+)", payload.decode("utf-8", "replace"))
                if match:
                    return match.group(1)
    return None


def rss(pid):
    if not pid:
        return ""
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return f" (server RSS {int(line.split()[1]) / 1024:.1f} MiB)"
    return ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:18081")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--suppliers", type=int, default=5000)
    parser.add_argument("--out", default="/tmp/kensa-bench")
    parser.add_argument("--writers", type=int, default=8, help="suppliers that accept, one per wrk connection")
    parser.add_argument("--pid", type=int, help="server process, to report its memory")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    run = uuid.uuid4().hex[:8]
    buyer = call(args.base, "POST", "/api/v1/auth/signup", {
        "organization_name": f"Bench Buyer {run}", "name": "Buyer", "email": f"buyer-{run}@bench.example", "password": PASSWORD})
    token = buyer["access_token"]

    rows = ["name,contact_name,contact_email,tier,target_level,tags"]
    rows += [f"Supplier {i},Contact {i},s{i}-{run}@bench.example,tier{1 + i % 3},3,bench" for i in range(args.suppliers)]
    started = time.perf_counter()
    report = call(args.base, "POST", "/api/v1/suppliers/import", "\n".join(rows).encode(), token, "text/csv")
    print(f"import {args.suppliers} suppliers: {time.perf_counter() - started:.2f} s ({report['created']} created){rss(args.pid)}")

    ids, cursor = [], None
    while True:
        page = call(args.base, "GET", "/api/v1/suppliers?limit=200" + (f"&cursor={cursor}" if cursor else ""), token=token)
        ids += [s["id"] for s in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    template = next(t["id"] for t in call(args.base, "GET", "/api/v1/templates", token=token)["data"] if t["key"] == "jama-japia")
    due = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    started = time.perf_counter()
    campaign = call(args.base, "POST", "/api/v1/campaigns",
                    {"name": "Bench", "template_id": template, "due_date": due, "supplier_ids": ids}, token)
    print(f"campaign for {len(ids)} suppliers: {time.perf_counter() - started:.2f} s ({campaign['assessment_count']} assessments){rss(args.pid)}")

    deadline = time.time() + 300
    while len(list(pathlib.Path(args.data_dir, "outbox").glob("*.eml"))) < len(ids) and time.time() < deadline:
        time.sleep(0.5)  # the embedded worker is mailing the invitations
    print(f"outbox: {len(list(pathlib.Path(args.data_dir, 'outbox').glob('*.eml')))} mails{rss(args.pid)}")

    # Each wrk connection writes its own supplier's assessment, as real suppliers do.
    paths, tokens, body = [], [], None
    for i in range(args.writers):
        invite = outbox_token(args.data_dir, f"s{i}-{run}@")
        if invite is None:
            raise SystemExit(f"no invitation mail for supplier {i}")
        supplier = call(args.base, "POST", f"/api/v1/invitations/{invite}/accept", {
            "name": "Sato", "email": f"sato{i}-{run}@bench.example", "password": PASSWORD,
            "organization_name": f"Bench Supplier {i}"})
        access = supplier["access_token"]
        assessment = call(args.base, "GET", "/api/v1/assessments?role=supplier", token=access)["data"][0]["id"]
        if body is None:
            questions = call(args.base, "GET", f"/api/v1/assessments/{assessment}/questions", token=access)["data"]
            statuses = ["implemented", "partially_implemented", "not_implemented"]
            answers = [{"no": q["no"], "status": statuses[j % 3], "comment": "bench"} for j, q in enumerate(questions)]
            body = json.dumps({"answers": answers})
            print(f"{len(answers)} answers per request")
        paths.append(f"/api/v1/assessments/{assessment}/answers")
        tokens.append(access)
    (out / "answers.json").write_text(body)
    lua = (
        "local paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
        "local tokens = {" + ",".join(f'"{t}"' for t in tokens) + "}\n"
        "local counter = 0\n"
        "function setup(thread)\n  counter = counter + 1\n  thread:set(\"id\", counter)\nend\n"
        "function init(args)\n  wrk.method = \"POST\"\n"
        f"  wrk.body = [[{body}]]\n"
        "  wrk.headers[\"Content-Type\"] = \"application/json\"\n"
        "  wrk.headers[\"Authorization\"] = \"Bearer \" .. tokens[id]\n"
        "  wrk.path = paths[id]\nend\n"
        "function request()\n  return wrk.format(nil, wrk.path)\nend\n"
    )
    (out / "bulk.lua").write_text(lua)
    # The same connections saving one answer each (PUT …/answers/1).
    single = lua.replace(f"  wrk.body = [[{body}]]\n", '  wrk.body = [[{"status":"implemented","comment":"bench"}]]\n')
    single = single.replace('wrk.method = \"POST\"', 'wrk.method = \"PUT\"').replace("wrk.path = paths[id]", 'wrk.path = paths[id] .. "/1"')
    (out / "single.lua").write_text(single)
    print(f"wrk -t{args.writers} -c{args.writers} -d20s --latency -s {out / 'bulk.lua'} {args.base}")
    print(f"wrk -t{args.writers} -c{args.writers} -d20s --latency -s {out / 'single.lua'} {args.base}")


if __name__ == "__main__":
    main()
