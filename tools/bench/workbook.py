#!/usr/bin/env python3
"""Export and import times of a 153-item check-sheet workbook (see docs/benchmarks.md).

Against a running kensa-api (default http://127.0.0.1:18081) whose KENSA_DATA_DIR is
--data-dir (the invitation mail is read from its outbox): signs up a buyer, sends the check
sheet at level 3 (153 items) to one supplier, accepts as that supplier, then --runs times:
downloads the workbook (timed), fills every answer cell, a remark on every row and a
remediation plan and date where the answer falls short with openpyxl (not timed), and
uploads it (timed: read, checked cell by cell, 153 answers saved as one change). Each
upload moves the version on, so each run downloads again. Prints p50/p95/max of both and
the sizes.

    python3 -m pip install openpyxl
    python3 tools/bench/workbook.py --data-dir /tmp/kensa-bench-data --runs 30
"""

import argparse
import datetime
import io
import json
import pathlib
import statistics
import sys
import time
import urllib.request
import uuid

import openpyxl

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from workflow import PASSWORD, call, outbox_token, wait_for  # noqa: E402

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def raw(base, method, path, token, body=None, content_type=None):
    headers = {"authorization": f"Bearer {token}"}
    if content_type:
        headers["content-type"] = content_type
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=600) as resp:
        return resp.read()


def fill(workbook_bytes, run):
    book = openpyxl.load_workbook(io.BytesIO(workbook_bytes))
    sheet = book[book.sheetnames[1]]
    header = {cell.value: cell.column_letter for cell in sheet[1] if cell.value}
    labels = ["実施している", "一部実施している", "実施していない"]
    for row in range(2, sheet.max_row + 1):
        if sheet[f"A{row}"].value is None:
            continue
        label = labels[(row + run) % 3]
        sheet[f"{header['回答']}{row}"] = label
        sheet[f"{header['備考']}{row}"] = f"run {run}: 規程第3版 (2026-04) に規定"
        # A plan and date only where the answer falls short (the API's rule): cleared where
        # an earlier run's answer had them.
        short = label != "実施している"
        sheet[f"{header['対策計画']}{row}"] = "FY2027 に手順を整備し教育する" if short else None
        sheet[f"{header['対策期日']}{row}"] = datetime.date(2027, 3, 31) if short else None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def summary(name, seconds):
    ms = sorted(s * 1000 for s in seconds)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * (len(ms) - 1))))]
    print(f"{name}: p50 {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms over {len(ms)} runs")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:18081")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    run = uuid.uuid4().hex[:8]
    buyer = call(args.base, "POST", "/api/v1/auth/signup", {
        "organization_name": f"Bench Buyer {run}", "name": "Buyer", "email": f"buyer-{run}@bench.example", "password": PASSWORD})
    token = buyer["access_token"]
    verify = wait_for(lambda: outbox_token(args.data_dir, f"buyer-{run}@", "/verify/"), "the verification mail")
    call(args.base, "POST", f"/api/v1/auth/verify-email/{verify}")
    supplier = call(args.base, "POST", "/api/v1/suppliers", {
        "name": "Workbook Supplier", "contact_name": "Sato", "contact_email": f"wb-{run}@bench.example", "target_level": 3}, token)
    template = next(t["id"] for t in call(args.base, "GET", "/api/v1/templates", token=token)["data"] if t["key"] == "jama-japia")
    due = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    call(args.base, "POST", "/api/v1/campaigns",
         {"name": "Bench", "template_id": template, "due_date": due, "supplier_ids": [supplier["id"]]}, token)
    invite = wait_for(lambda: outbox_token(args.data_dir, f"wb-{run}@"), "the invitation mail")
    access = call(args.base, "POST", f"/api/v1/invitations/{invite}/accept", {
        "name": "Sato", "email": f"sato-{run}@bench.example", "password": PASSWORD,
        "organization_name": "Workbook Supplier KK"})["access_token"]
    assessment = call(args.base, "GET", "/api/v1/assessments?role=supplier", token=access)["data"][0]["id"]
    path = f"/api/v1/assessments/{assessment}/workbook"

    exports, imports, sizes = [], [], None
    for i in range(args.runs):
        started = time.perf_counter()
        blank = raw(args.base, "GET", path, access)
        exports.append(time.perf_counter() - started)
        filled = fill(blank, i)
        started = time.perf_counter()
        saved = json.loads(raw(args.base, "PUT", path, access, filled, XLSX))
        imports.append(time.perf_counter() - started)
        assert len(saved["answers"]) == 153, len(saved["answers"])
        sizes = (len(blank), len(filled))
    print(f"153 items; downloaded {sizes[0]:,} bytes, uploaded (openpyxl's copy) {sizes[1]:,} bytes")
    summary("export GET …/workbook", exports)
    summary("import PUT …/workbook (153 answers saved)", imports)


if __name__ == "__main__":
    main()
