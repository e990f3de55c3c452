#!/usr/bin/env python3
"""Benchmark set-up for the questionnaire workflow (see docs/benchmarks.md).

Against a running kensa-api (default http://127.0.0.1:18081, whose KENSA_DATA_DIR is given
with --data-dir so the invitation mail can be read from the outbox):

1. signs up a buyer, verifies its address with the mailed link, imports N suppliers from a
   CSV (target level 3),
2. times POST /api/v1/campaigns for all of them,
3. accepts --writers invitations, each as a new supplier organization,
4. with --build-up, answers those assessments first: `bulk` saves each one's 153 answers in
   one request, `single` saves them one item at a time, round-robin over the assessments, the
   way suppliers answer over weeks (each assessment's answers are then written between
   everyone else's),
5. writes the bulk body of all 153 answers and wrk Lua scripts (bulk.lua, single.lua) in
   which the requests go round-robin over the writers' assessments (so any -t/-c works), and
   prints the wrk commands.

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
    """One request; raises on a non-2xx answer."""
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


def outbox_token(data_dir, to, marker="/invitations/"):
    for path in sorted(pathlib.Path(data_dir, "outbox").glob("*.eml")):
        msg = email.message_from_bytes(path.read_bytes())
        if to not in (msg["To"] or ""):
            continue
        for part in msg.walk():
            payload = part.get_payload(decode=True)
            if payload:
                match = re.search(re.escape(marker) + r"([A-Za-z0-9_-]+)", payload.decode("utf-8", "replace"))
                if match:
                    return match.group(1)
    return None


def wait_for(probe, what, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        found = probe()
        if found:
            return found
        time.sleep(0.2)  # the embedded worker is mailing
    raise SystemExit(f"timed out waiting for {what}")


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
    parser.add_argument("--build-up", choices=["none", "bulk", "single"], default="none",
                        help="answer the writers' assessments before the wrk runs, in one request each or item by item")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    run = uuid.uuid4().hex[:8]
    buyer = call(args.base, "POST", "/api/v1/auth/signup", {
        "organization_name": f"Bench Buyer {run}", "name": "Buyer", "email": f"buyer-{run}@bench.example", "password": PASSWORD})
    token = buyer["access_token"]
    # An unverified organization mails no one: follow the link the embedded worker mailed.
    verify = wait_for(lambda: outbox_token(args.data_dir, f"buyer-{run}@", "/verify/"), "the verification mail")
    call(args.base, "POST", f"/api/v1/auth/verify-email/{verify}")

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

    # Each writer is its own supplier organization answering its own assessment.
    writers, body = [], None
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
        writers.append((f"/api/v1/assessments/{assessment}/answers", access))
    build_up(args, writers, json.loads(body)["answers"])
    (out / "answers.json").write_text(body)
    for name, lua in wrk_scripts(writers, body).items():
        (out / name).write_text(lua)
        print(f"wrk -t2 -c8 -d20s --latency -s {out / name} {args.base}")
    (out / "writers.json").write_text(json.dumps([{"path": p, "token": t} for p, t in writers]))


def build_up(args, writers, answers):
    """Answers every writer's assessment before the runs, in one request each or item by item."""
    started = time.perf_counter()
    if args.build_up == "bulk":
        for path, access in writers:
            call(args.base, "POST", path, {"answers": answers}, access)
    elif args.build_up == "single":
        for answer in answers:
            item = {k: v for k, v in answer.items() if k != "no"}
            for path, access in writers:
                call(args.base, "PUT", f"{path}/{answer['no']}", item, access, "application/json")
    else:
        return
    print(f"built up {len(writers)} assessments ({args.build_up}): {time.perf_counter() - started:.1f} s")


def wrk_scripts(writers, body):
    """wrk Lua scripts that save the whole answer set (bulk.lua) or one answer (single.lua),
    each request to the next writer's assessment in turn; threads start at different writers."""
    head = (
        "local paths = {" + ",".join(f'"{p}"' for p, _ in writers) + "}\n"
        "local tokens = {" + ",".join(f'"{t}"' for _, t in writers) + "}\n"
        "local threads = 0\n"
        "function setup(thread)\n  thread:set(\"first\", threads)\n  threads = threads + 1\nend\n"
        "local n = 0\n"
        "function init(args)\n  n = first * 7\nend\n"
    )
    def script(method, suffix, payload):
        return head + (
            f"local body = [[{payload}]]\n"
            "function request()\n"
            "  n = n + 1\n"
            "  local i = (n % #paths) + 1\n"
            f"  return wrk.format(\"{method}\", paths[i]{suffix}, "
            "{[\"Content-Type\"] = \"application/json\", [\"Authorization\"] = \"Bearer \" .. tokens[i]}, body)\n"
            "end\n"
        )
    return {
        "bulk.lua": script("POST", "", body),
        "single.lua": script("PUT", ' .. "/1"', '{"status":"implemented","comment":"bench"}'),
    }


if __name__ == "__main__":
    main()
