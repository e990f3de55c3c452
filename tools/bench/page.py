#!/usr/bin/env python3
"""Render time and size of the 153-item check-sheet page (issue 12; docs/benchmarks.md).

Starts `kensa-api` (embedded worker, SQLite in a temporary directory, or PostgreSQL with
`--postgres`), makes a buyer and a supplier with a Lv3 assessment (all 153 items), answers
every item through the API, signs both in through the sign-in page, then fetches
`/assessments/{id}` N times in a row for each side and reports the median and p95 of the
whole request (server render + transfer on loopback) and the page's size.

    python3 tools/bench/page.py [--bin target/release/kensa-api] [--n 200] [--postgres]
"""

import argparse
import glob
import http.cookiejar
import json
import os
import re
import statistics
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

PASSWORD = "correct-Horse-battery-9"


def call(opener, base, method, path, body=None, token=None, form=None):
    headers = {}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with opener.open(req) as r:
        raw = r.read()
        return r.status, raw


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def browser():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())


def sign_in(base, email):
    opener = browser()
    _, page = call(opener, base, "GET", "/sign-in")
    token = re.search(rb'name="_csrf" value="([^"]+)"', page).group(1).decode()
    try:
        call(opener, base, "POST", "/sign-in", form={"_csrf": token, "email": email, "password": PASSWORD})
    except urllib.error.HTTPError as e:  # 303 surfaces as an error without redirects
        if e.code != 303:
            raise
    return opener


def measure(opener, base, path, n):
    times, size = [], 0
    for _ in range(n):
        t0 = time.perf_counter()
        status, raw = call(opener, base, "GET", path)
        times.append((time.perf_counter() - t0) * 1000)
        assert status == 200
        size = len(raw)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], size


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/kensa-api")
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--postgres", action="store_true")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="kensa-page-")
    port = 18097
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, KENSA_DATA_DIR=tmp, KENSA_BIND=f"127.0.0.1:{port}", KENSA_LOG="warn",
               KENSA_PUBLIC_URL=base)
    if args.postgres:
        subprocess.run(["psql", "postgres://postgres@127.0.0.1:5432/postgres", "-qc",
                        "DROP DATABASE IF EXISTS kensa_bench_page"], check=True)
        subprocess.run(["psql", "postgres://postgres@127.0.0.1:5432/postgres", "-qc",
                        "CREATE DATABASE kensa_bench_page"], check=True)
        env["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/kensa_bench_page"
    server = subprocess.Popen([args.bin], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        plain = urllib.request.build_opener()
        for _ in range(600):
            try:
                call(plain, base, "GET", "/healthz")
                break
            except Exception:
                time.sleep(0.05)
        _, raw = call(plain, base, "POST", "/api/v1/auth/signup",
                      {"organization_name": "Bench Motors", "name": "Bench", "email": "buyer@bench.example",
                       "password": PASSWORD})
        buyer = json.loads(raw)["access_token"]
        _, raw = call(plain, base, "GET", "/api/v1/templates", token=buyer)
        template = next(t["id"] for t in json.loads(raw)["data"] if t["key"] == "jama-japia")
        _, raw = call(plain, base, "POST", "/api/v1/suppliers",
                      {"name": "Bench Parts", "contact_name": "Sato", "contact_email": "sato@parts.example",
                       "target_level": 3}, token=buyer)
        supplier_id = json.loads(raw)["id"]
        _, raw = call(plain, base, "POST", "/api/v1/campaigns",
                      {"name": "Bench", "template_id": template, "due_date": "2099-12-31",
                       "supplier_ids": [supplier_id], "target_level": 3}, token=buyer)
        assessment = json.loads(raw)["assessments"][0]["id"]
        link = None
        for _ in range(600):
            for path in glob.glob(os.path.join(tmp, "outbox", "*.eml")):
                found = re.search(r"/invitations/([A-Za-z0-9_-]+)", open(path, encoding="utf-8", errors="replace").read())
                if found:
                    link = found.group(1)
            if link:
                break
            time.sleep(0.05)
        _, raw = call(plain, base, "POST", f"/api/v1/invitations/{link}/accept",
                      {"name": "Sato", "email": "sato@parts.example", "password": PASSWORD,
                       "organization_name": "Bench Parts KK"})
        supplier = json.loads(raw)["access_token"]
        _, raw = call(plain, base, "GET", f"/api/v1/assessments/{assessment}/questions", token=supplier)
        numbers = [q["no"] for q in json.loads(raw)["data"]]
        answers = [{"no": n, "status": "partially_implemented", "comment": "Remark " * 10,
                    "remediation_plan": "Plan " * 10, "remediation_due": "2099-01-31"} for n in numbers]
        call(plain, base, "POST", f"/api/v1/assessments/{assessment}/answers", {"answers": answers}, token=supplier)
        path = f"/assessments/{assessment}"
        print(f"{len(numbers)} items; {args.n} requests per side; backend "
              f"{'postgres' if args.postgres else 'sqlite'}")
        for side, email in (("supplier (forms)", "sato@parts.example"), ("buyer (read-only)", "buyer@bench.example")):
            opener = sign_in(base, email)
            measure(opener, base, path, 10)  # warm-up
            median, p95, size = measure(opener, base, path, args.n)
            print(f"  {side:18} median {median:6.1f} ms  p95 {p95:6.1f} ms  size {size / 1024:7.1f} KiB")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
