#!/usr/bin/env python3
"""What an Idempotency-Key costs (see docs/benchmarks.md), against a running kensa-api
(default http://127.0.0.1:18081) whose KENSA_DATA_DIR is --data-dir (the invitation mails
are read from its outbox).

1. Signs up a buyer and imports --suppliers suppliers from a CSV.
2. Times POST /api/v1/campaigns for all of them --runs times, alternating without and with
   an Idempotency-Key (a new one each time), waiting between runs until the embedded worker
   has mailed the previous campaign's invitations; prints the median of each.
3. Lets --writers suppliers accept (one organization each) and writes two wrk scripts that
   save answers (POST .../answers with one answer, each connection its own assessment),
   one without and one with a fresh Idempotency-Key per request, and prints the commands.

Only the standard library; loopback only.
"""

import argparse
import datetime
import pathlib
import statistics
import sys
import time
import uuid

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from workflow import PASSWORD, call, outbox_token  # noqa: E402


def mails(data_dir):
    return len(list(pathlib.Path(data_dir, "outbox").glob("*.eml")))


def wait_for_mails(data_dir, count):
    deadline = time.time() + 600
    while mails(data_dir) < count and time.time() < deadline:
        time.sleep(0.2)


def keyed_call(base, path, body, token, key):
    import json
    import urllib.request

    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    if key:
        headers["idempotency-key"] = key
    req = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST", headers=headers)
    with urllib.request.urlopen(req, timeout=600) as resp:
        return json.loads(resp.read())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:18081")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--suppliers", type=int, default=500)
    parser.add_argument("--runs", type=int, default=10, help="campaigns, half of them with a key")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--out", default="/tmp/kensa-bench-idem")
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    run = uuid.uuid4().hex[:8]
    token = call(args.base, "POST", "/api/v1/auth/signup", {
        "organization_name": f"Bench Buyer {run}", "name": "Buyer", "email": f"buyer-{run}@bench.example",
        "password": PASSWORD})["access_token"]
    rows = ["name,contact_email,target_level"]
    rows += [f"Supplier {i},s{i}-{run}@bench.example,1" for i in range(args.suppliers + args.writers)]
    call(args.base, "POST", "/api/v1/suppliers/import", "\n".join(rows).encode(), token, "text/csv")
    ids, cursor = [], None
    while True:
        page = call(args.base, "GET", "/api/v1/suppliers?limit=200" + (f"&cursor={cursor}" if cursor else ""), token=token)
        ids += [(s["id"], s["contact_email"]) for s in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    writers = [i for i, e in ids if any(e.startswith(f"s{n}-") for n in range(args.suppliers, args.suppliers + args.writers))]
    targets = [i for i, _ in ids if i not in writers]
    template = next(t["id"] for t in call(args.base, "GET", "/api/v1/templates", token=token)["data"] if t["key"] == "jama-japia")
    due = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()

    times = {False: [], True: []}
    for n in range(args.runs):
        with_key = n % 2 == 1
        expected = mails(args.data_dir) + len(targets)
        body = {"name": f"Bench {n}", "template_id": template, "due_date": due, "supplier_ids": targets}
        started = time.perf_counter()
        keyed_call(args.base, "/api/v1/campaigns", body, token, str(uuid.uuid4()) if with_key else None)
        times[with_key].append(time.perf_counter() - started)
        wait_for_mails(args.data_dir, expected)
    for with_key in (False, True):
        t = times[with_key]
        print(f"campaign of {len(targets)} suppliers {'with' if with_key else 'without'} Idempotency-Key: "
              f"median {statistics.median(t) * 1000:.0f} ms (runs: {', '.join(f'{x * 1000:.0f}' for x in t)})")

    expected = mails(args.data_dir) + len(writers)
    call(args.base, "POST", "/api/v1/campaigns",
         {"name": "Writers", "template_id": template, "due_date": due, "supplier_ids": writers}, token)
    wait_for_mails(args.data_dir, expected)
    paths, tokens = [], []
    for n in range(args.suppliers, args.suppliers + args.writers):
        invite = outbox_token(args.data_dir, f"s{n}-{run}@")
        supplier = call(args.base, "POST", f"/api/v1/invitations/{invite}/accept", {
            "name": "Sato", "email": f"sato{n}-{run}@bench.example", "password": PASSWORD,
            "organization_name": f"Bench Supplier {n}"})
        access = supplier["access_token"]
        assessment = call(args.base, "GET", "/api/v1/assessments?role=supplier", token=access)["data"][0]["id"]
        paths.append(f"/api/v1/assessments/{assessment}/answers")
        tokens.append(access)
    questions = call(args.base, "GET", paths[0].replace("/answers", "/questions"), token=tokens[0])["data"]
    numbers = [q["no"] for q in questions]
    for with_key in (False, True):
        key = ('  headers["Idempotency-Key"] = string.format("%d-%d-%d", id, counter, math.random(1e9))\n'
               if with_key else "")
        lua = (
            "local paths = {" + ",".join(f'"{p}"' for p in paths) + "}\n"
            "local tokens = {" + ",".join(f'"{t}"' for t in tokens) + "}\n"
            "local nos = {" + ",".join(str(n) for n in numbers) + "}\n"
            "local threads = 0\n"
            "function setup(thread)\n  threads = threads + 1\n  thread:set(\"id\", threads)\nend\n"
            "function init(args)\n  counter = 0\n  math.randomseed(os.time() + id)\nend\n"
            "function request()\n  counter = counter + 1\n"
            "  local headers = {}\n"
            "  headers[\"Content-Type\"] = \"application/json\"\n"
            "  headers[\"Authorization\"] = \"Bearer \" .. tokens[id]\n"
            + key +
            "  local body = string.format('{\"answers\":[{\"no\":%d,\"status\":\"implemented\",\"comment\":\"bench %d\"}]}', nos[1 + counter % #nos], counter)\n"
            "  return wrk.format(\"POST\", paths[id], headers, body)\nend\n"
            "function response(status, headers, body)\n  if status ~= 200 then print(status, body) end\nend\n"
        )
        name = "answers-key.lua" if with_key else "answers.lua"
        (out / name).write_text(lua)
        print(f"wrk -t{args.writers} -c{args.writers} -d20s --latency -s {out / name} {args.base}")


if __name__ == "__main__":
    main()
