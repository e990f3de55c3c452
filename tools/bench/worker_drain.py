#!/usr/bin/env python3
"""How long the worker takes to drain a queue of supplier invitations (see docs/benchmarks.md).

    worker_drain.py queue --api BIN --worker WORKER_BIN --dir DIR [--jobs 5000]
        starts BIN (kensa-api) on SQLite in DIR without a worker, signs up a buyer, verifies
        its address with the link WORKER_BIN mails (an unverified organization mails no one),
        imports N suppliers and sends them one campaign (N invitation jobs), stops it;
    worker_drain.py drain --worker BIN --queue DIR [--migrate-with API_BIN]
                          [--concurrency N] [--smtp-url URL]
        copies DIR (so one queue serves every run), migrates the copy with API_BIN when given
        (a queue made by an older binary), times `BIN run-once`, reads its peak resident
        memory (the child's ru_maxrss) and counts the jobs by status.

Without --smtp-url the mails go to the copy's outbox. With --pg URL (an administrator's URL,
e.g. postgres://postgres@127.0.0.1:5432/postgres) the queue lives in PostgreSQL: a database
named after DIR, copied per run with CREATE DATABASE … TEMPLATE (needs psql). Only the
standard library; loopback only.
"""

import argparse
import datetime
import json
import os
import pathlib
import resource
import shutil
import socket
import sqlite3
import subprocess
import time
import urllib.request
import uuid

from workflow import outbox_token

PASSWORD = "correct-Horse-battery-9"
SECRET = "bench-secret-bench-secret-bench-secret-0123"


def env_for(data_dir, **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENSA_") and k not in ("DATABASE_URL", "SMTP_URL")}
    env.update({"KENSA_DATA_DIR": str(data_dir), "KENSA_LOG": "warn", "KENSA_JWT_SECRET": SECRET})
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def call(base, method, path, body=None, token=None, content_type="application/json"):
    data, headers = None, {}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["content-type"] = content_type
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(req, timeout=600) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def psql(admin_url, sql):
    return subprocess.run(["psql", admin_url, "-qAt", "-c", sql], check=True, capture_output=True, text=True).stdout


def pg_url(admin_url, name):
    return admin_url.rsplit("/", 1)[0] + "/" + name


def db_name(path):
    return "kensa_bench_" + "".join(c if c.isalnum() else "_" for c in pathlib.Path(path).name)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def queue(args):
    data_dir = pathlib.Path(args.dir)
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database_url = None
    if args.pg:
        name = db_name(data_dir)
        psql(args.pg, f"DROP DATABASE IF EXISTS {name}")
        psql(args.pg, f"CREATE DATABASE {name}")
        database_url = pg_url(args.pg, name)
    env = env_for(data_dir, KENSA_BIND=f"127.0.0.1:{port}", KENSA_EMBEDDED_WORKER="false",
                  KENSA_SIGNUPS_PER_ADDRESS_PER_HOUR="1000", DATABASE_URL=database_url)
    with open(data_dir.with_suffix(".api.log"), "w") as log:
        server = subprocess.Popen([args.api, "serve"], env=env, stdout=log, stderr=log)
    try:
        for _ in range(300):
            try:
                call(base, "GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        run = uuid.uuid4().hex[:8]
        token = call(base, "POST", "/api/v1/auth/signup", {
            "organization_name": f"Bench {run}", "name": "Buyer", "email": f"buyer-{run}@bench.example",
            "password": PASSWORD})["access_token"]
        subprocess.run([args.worker, "run-once"], env=env, check=True, capture_output=True)
        verify = outbox_token(data_dir, f"buyer-{run}@", "/verify/")
        call(base, "POST", f"/api/v1/auth/verify-email/{verify}")
        rows = ["name,contact_name,contact_email,tier,target_level,tags"]
        rows += [f"Supplier {i},Contact {i},s{i}-{run}@bench.example,tier1,3,bench" for i in range(args.jobs)]
        call(base, "POST", "/api/v1/suppliers/import", "\n".join(rows).encode(), token, "text/csv")
        ids, cursor = [], None
        while True:
            page = call(base, "GET", "/api/v1/suppliers?limit=200" + (f"&cursor={cursor}" if cursor else ""), token=token)
            ids += [s["id"] for s in page["data"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        templates = call(base, "GET", "/api/v1/templates", token=token)["data"]
        template = next(t["id"] for t in templates if t["key"] == "jama-japia")
        due = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
        campaign = call(base, "POST", "/api/v1/campaigns",
                        {"name": "Bench", "template_id": template, "due_date": due, "supplier_ids": ids}, token)
        print(f"queued {campaign['assessment_count']} invitation jobs in {data_dir}")
    finally:
        server.terminate()
        server.wait()


def drain(args):
    source = pathlib.Path(args.queue)
    run_dir = source.with_name(source.name + ".run")
    shutil.rmtree(run_dir, ignore_errors=True)
    shutil.copytree(source, run_dir)
    database_url = None
    if args.pg:
        name = db_name(run_dir)
        psql(args.pg, f"DROP DATABASE IF EXISTS {name}")
        psql(args.pg, f"CREATE DATABASE {name} TEMPLATE {db_name(source)}")
        database_url = pg_url(args.pg, name)
    if args.migrate_with:
        env = env_for(run_dir, DATABASE_URL=database_url)
        subprocess.run([args.migrate_with, "migrate"], env=env, check=True, capture_output=True)
    env = env_for(run_dir, KENSA_WORKER_CONCURRENCY=args.concurrency, SMTP_URL=args.smtp_url, DATABASE_URL=database_url)
    started = time.perf_counter()
    worker = subprocess.Popen([args.worker, "run-once"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    stdout, stderr = worker.communicate()
    # communicate() reaped the child; its rusage is in RUSAGE_CHILDREN, the only child so far
    # unless --migrate-with ran before (then the larger of the two).
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    elapsed = time.perf_counter() - started
    if worker.returncode != 0:
        raise SystemExit(f"the worker failed: {stderr}")
    count = "SELECT status, COUNT(*) FROM jobs GROUP BY status"
    if args.pg:
        lines = psql(database_url, count).split()
        statuses = {status: int(n) for status, n in (line.split("|") for line in lines)}
    else:
        with sqlite3.connect(run_dir / "kensa.db") as db:
            statuses = dict(db.execute(count).fetchall())
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    print(f"drained in {elapsed:.1f} s ({stdout.strip()}; jobs {statuses}; peak RSS {peak_mib:.1f} MiB; "
          f"load average {load})")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    q = sub.add_parser("queue")
    q.add_argument("--api", required=True)
    q.add_argument("--worker", required=True)
    q.add_argument("--dir", required=True)
    q.add_argument("--jobs", type=int, default=5000)
    q.add_argument("--pg")
    d = sub.add_parser("drain")
    d.add_argument("--worker", required=True)
    d.add_argument("--queue", required=True)
    d.add_argument("--migrate-with")
    d.add_argument("--concurrency")
    d.add_argument("--smtp-url")
    d.add_argument("--pg")
    args = parser.parse_args()
    queue(args) if args.command == "queue" else drain(args)


if __name__ == "__main__":
    main()
