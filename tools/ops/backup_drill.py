#!/usr/bin/env python3
"""Backup and restore drill (docs/operations.md): back up, restore into an empty database and
an empty folder, and prove that everything came back.

    python3 tools/ops/backup_drill.py sqlite   --api target/release/kensa-api [--suppliers 1000]
    python3 tools/ops/backup_drill.py postgres --api target/release/kensa-api [--suppliers 1000]
    python3 tools/ops/backup_drill.py postgres --api target/release/kensa-api --s3 http://127.0.0.1:19000
    python3 tools/ops/backup_drill.py sqlite   --api target/release/kensa-api --base http://localhost:8080 --data-dir data

1. Seeds through the HTTP API: a buyer (address verified through the mailed link), N
   suppliers imported from CSV and sent the built-in check sheet (153 items at Lv3); each
   accepts its mailed invitation as a new organization, answers every item, attaches one or
   two PDFs and submits; the buyer accepts every other one. One more supplier keeps its
   assessment open: the WRITER, which saves answers one after the other during the backup.
   Without --base the script starts its own kensa-api on a free port (SQLite in a new
   folder, or a fresh PostgreSQL database kensa_drill_src); with --base it uses a running
   server whose KENSA_DATA_DIR is --data-dir (the README runs it so).
2. Fingerprints the source while only the writer writes: per table the row count and a
   SHA-256 of all rows (rows naming the writer's assessment, organization or user are left
   out and checked separately), and the SHA-256 of every evidence file.
3. Backs up while the writer writes: SQLite with `kensa-api backup --output FILE` (VACUUM
   INTO through the app's connection), PostgreSQL with `pg_dump --format=custom`; then the
   evidence folder (`cp -a`), or with --s3 ENDPOINT the evidence bucket, object by object
   into a backup bucket (what `aws s3 sync` does; boto3). Until one backup overlapped a
   write, it backs up again (at most 10 times).
4. Restores into an EMPTY folder (and for PostgreSQL an empty database kensa_drill_restore;
   with --s3 an empty bucket),
   then proves: every table identical to the source (count and hash), the named tables
   (organizations, assessments, answers, evidence, audit_events) counted in full; every
   evidence file back with its SHA-256, and every evidence row's file present with the
   stored size and SHA-256; the writer's saves in the copy are exactly the first k it made
   (k at least those finished before the backup began, at most those begun before it
   ended), each answer row agreeing with its newest history event: a consistent snapshot.
   SQLite: `PRAGMA integrity_check` and `foreign_key_check` on the copy.
5. Starts kensa-api on the restored database and folder, signs in as the buyer, reads one
   accepted assessment (its answers count) and downloads one evidence file (SHA-256), and
   checks that a token issued by the source still works (sessions came back).

Prints the durations (seed, backup, evidence copy, restore, first /readyz) and the sizes;
exits non-zero on the first broken promise. Standard library only, plus pg_dump,
pg_restore, psql and createdb/dropdb for PostgreSQL. Under CI=true a missing PostgreSQL
fails the run (it always does: this drill never skips).
"""

import argparse
import concurrent.futures
import datetime
import email
import email.policy
import hashlib
import json
import os
import pathlib
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

PASSWORD = "correct-Horse-battery-9"
NAMED = ["organizations", "assessments", "answers", "evidence", "audit_events"]
PG = "postgres://postgres@127.0.0.1:5432"
WRITE_MARK = "drill-write-"


class DrillFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise DrillFailed(message)


def log(message):
    print(message, flush=True)


# ---------------------------------------------------------------- HTTP


class Api:
    def __init__(self, base):
        self.base = base.rstrip("/")

    def call(self, method, path, body=None, token=None, content_type="application/json", raw=False, ok=(200, 201, 204)):
        data, headers = None, {}
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["content-type"] = content_type
        if token:
            headers["authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        for attempt in range(20):
            try:
                with urllib.request.urlopen(request, timeout=600) as response:
                    payload = response.read()
                    if raw:
                        return payload
                    return json.loads(payload) if payload else None
            except urllib.error.HTTPError as e:
                text = e.read()[:500]
                if e.code in (429, 503) and attempt < 19:  # a bound of the server: wait as it says
                    time.sleep(float(e.headers.get("retry-after") or 1))
                    continue
                raise DrillFailed(f"{method} {path}: {e.code} {text!r}") from None
        raise DrillFailed(f"{method} {path}: still refused")

    def upload(self, path, token, file_name, content, item_no):
        boundary = uuid.uuid4().hex
        body = (
            f"--{boundary}\r\ncontent-disposition: form-data; name=\"item_no\"\r\n\r\n{item_no}\r\n"
            f"--{boundary}\r\ncontent-disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n"
            f"content-type: application/pdf\r\n\r\n"
        ).encode() + content + f"\r\n--{boundary}--\r\n".encode()
        return self.call("POST", path, body, token, f"multipart/form-data; boundary={boundary}")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base, server, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if server is not None and server.poll() is not None:
            raise DrillFailed(f"kensa-api exited with {server.returncode} before it was ready")
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise DrillFailed(f"{base}/readyz did not answer 200 within {seconds} s")


class Server:
    """A kensa-api of the drill's own, in `data_dir`, on a free port."""

    def __init__(self, api, data_dir, database_url=None, worker=True, extra=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("KENSA_") and k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL")}
        env.update(KENSA_DATA_DIR=str(data_dir), KENSA_BIND=f"127.0.0.1:{self.port}", KENSA_LOG="warn",
                   KENSA_EMBEDDED_WORKER="true" if worker else "false")
        if database_url:
            env["DATABASE_URL"] = database_url
        env.update(extra or {})
        self.env = env
        pathlib.Path(data_dir).mkdir(parents=True, exist_ok=True)
        self.log_path = pathlib.Path(data_dir).parent / f"kensa-api-{self.port}.log"
        self.started = time.perf_counter()
        self.process = subprocess.Popen([api], env=env, stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        wait_ready(self.base, self.process)
        self.ready_after = time.perf_counter() - self.started

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


# ---------------------------------------------------------------- mail


def mailed_links(outbox, marker, wanted, seconds=600):
    """{address: token} of the `marker<token>` links mailed to the `wanted` addresses."""
    link = re.compile(re.escape(marker) + r"([A-Za-z0-9_-]+)")
    found, seen, deadline = {}, set(), time.time() + seconds
    while time.time() < deadline:
        for path in sorted(pathlib.Path(outbox).glob("*.eml")):
            if path.name in seen:
                continue
            try:
                mail = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                to = str(mail["To"]).lower()
                match = link.search((mail.get_body(("plain",)) or mail).get_content())
            except Exception:
                continue  # still being written
            seen.add(path.name)
            for address in wanted:
                if address in to and match:
                    found[address] = match.group(1)
        if all(a in found for a in wanted):
            return found
        time.sleep(0.2)
    missing = [a for a in wanted if a not in found]
    raise DrillFailed(f"no {marker} mail to {len(missing)} addresses (first {missing[:3]}) in {outbox}")


# ---------------------------------------------------------------- seeding


def pdf(seed, size):
    """A PDF-looking file of `size` bytes whose content depends on `seed`."""
    head = f"%PDF-1.4\n% Kensa drill evidence {seed}\n".encode()
    block = hashlib.sha256(str(seed).encode()).digest()
    body = (block * (size // len(block) + 1))[: max(0, size - len(head) - 6)]
    return head + body + b"\n%%EOF"


def seed(api, outbox, suppliers, run, workers=4):
    """The buyer and its suppliers; returns what the checks need."""
    started = time.perf_counter()
    buyer_email = f"buyer-{run}@drill.example"
    buyer = api.call("POST", "/api/v1/auth/signup", {
        "organization_name": f"Drill Buyer {run}", "name": "Aki Tanaka", "email": buyer_email, "password": PASSWORD})
    token = buyer["access_token"]
    verify = mailed_links(outbox, "/verify/", [buyer_email], 30)[buyer_email]
    api.call("POST", f"/api/v1/auth/verify-email/{verify}")

    contacts = [f"s{i}-{run}@drill.example" for i in range(suppliers)] + [f"writer-{run}@drill.example"]
    rows = ["name,contact_name,contact_email,tier,target_level,tags"]
    rows += [f"Drill Supplier {i} 株式会社,Contact {i},{c},tier{1 + i % 3},3,drill" for i, c in enumerate(contacts)]
    report = api.call("POST", "/api/v1/suppliers/import", "\n".join(rows).encode(), token, "text/csv")
    check(report["created"] == len(contacts), f"import created {report['created']} of {len(contacts)}")
    ids, cursor = [], None
    while True:
        page = api.call("GET", "/api/v1/suppliers?limit=200&tag=drill" + (f"&cursor={cursor}" if cursor else ""), token=token)
        ids += [s["id"] for s in page["data"] if s["contact_email"] in set(contacts)]
        cursor = page["next_cursor"]
        if not cursor:
            break
    templates = api.call("GET", "/api/v1/templates", token=token)["data"]
    template = next(t["id"] for t in templates if t["key"] == "jama-japia")
    due = (datetime.date.today() + datetime.timedelta(days=60)).isoformat()
    api.call("POST", "/api/v1/campaigns", {"name": f"Drill {run}", "template_id": template, "due_date": due,
                                           "supplier_ids": ids}, token)
    invitations = mailed_links(outbox, "/invitations/", contacts)
    log(f"seed: buyer, {len(contacts)} suppliers imported, campaign sent, {len(invitations)} invitations mailed "
        f"({time.perf_counter() - started:.1f} s)")

    statuses = ["implemented", "implemented", "partially_implemented", "not_implemented", "not_applicable"]

    def answer(i):
        contact = contacts[i]
        session = api.call("POST", f"/api/v1/invitations/{invitations[contact]}/accept", {
            "name": f"Sato {i}", "email": contact, "password": PASSWORD, "organization_name": f"Drill Supplier {i} KK"})
        access = session["access_token"]
        assessment = api.call("GET", "/api/v1/assessments?role=supplier", token=access)["data"][0]["id"]
        questions = api.call("GET", f"/api/v1/assessments/{assessment}/questions?limit=200", token=access)["data"]
        answers = []
        for j, q in enumerate(questions):
            status = statuses[(i + j) % len(statuses)]
            a = {"no": q["no"], "status": status, "comment": f"No.{q['no']}: 手順書 rev.{i % 7}, reviewed {j}"}
            if status in ("partially_implemented", "not_implemented"):
                a.update(remediation_plan=f"Plan for No.{q['no']} (FY2027)", remediation_due="2027-03-31")
            if status == "not_applicable":
                a = {"no": q["no"], "status": status, "reason": "No such systems at this site"}
            answers.append(a)
        if contact.startswith("writer-"):
            # Every item answered once, so the writer's saves update rows (and add history).
            api.call("POST", f"/api/v1/assessments/{assessment}/answers", {"answers": answers}, access)
            return {"writer": True, "assessment": assessment, "token": access, "email": contact,
                    "items": [q["no"] for q in questions]}
        api.call("POST", f"/api/v1/assessments/{assessment}/answers", {"answers": answers}, access)
        for k in range(1 + i % 2):
            content = pdf(f"{run}-{i}-{k}", 20_000 + (i * 7919 + k * 104_729) % 180_000)
            api.upload(f"/api/v1/assessments/{assessment}/evidence", access, f"policy-{i}-{k}.pdf", content, questions[k]["no"])
        api.call("POST", f"/api/v1/assessments/{assessment}/submit", token=access)
        if i % 2 == 0:
            api.call("POST", f"/api/v1/assessments/{assessment}/review", {"decision": "accept"}, token)
        return {"writer": False, "assessment": assessment, "accepted": i % 2 == 0}

    done, writer, accepted = 0, None, []
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for result in pool.map(answer, range(len(contacts))):
            done += 1
            if result["writer"]:
                writer = result
            elif result["accepted"]:
                accepted.append(result["assessment"])
            if done % 100 == 0:
                log(f"seed: {done}/{len(contacts)} suppliers answered ({time.perf_counter() - started:.0f} s)")
    me = api.call("GET", "/api/v1/me", token=writer["token"])
    writer["org"] = me["organization"]["id"]
    writer["user"] = me["user"]["id"]
    log(f"seed: {len(contacts)} suppliers accepted and answered, {len(accepted)} accepted by the buyer "
        f"({time.perf_counter() - started:.1f} s)")
    return {"buyer_email": buyer_email, "buyer_token": token, "writer": writer, "accepted": accepted}


# ---------------------------------------------------------------- the writer


class Writer(threading.Thread):
    """Saves one answer after another (a new remark each) until stopped; records when each
    save began and ended, so the snapshot can be placed among them."""

    def __init__(self, api, writer, run):
        super().__init__(daemon=True)
        self.api, self.writer, self.run_id = api, writer, run
        self.saves = []  # (seq, item, began, ended)
        self.stopped = threading.Event()
        self.error = None

    def run(self):
        seq, items = 0, self.writer["items"]
        try:
            while not self.stopped.is_set():
                seq += 1
                item = items[seq % len(items)]
                began = time.monotonic()
                self.api.call("PUT", f"/api/v1/assessments/{self.writer['assessment']}/answers/{item}",
                              {"status": "implemented", "comment": f"{WRITE_MARK}{self.run_id}-{seq:06d}"},
                              self.writer["token"])
                self.saves.append((seq, item, began, time.monotonic()))
        except Exception as e:  # reported by the main thread
            self.error = e

    def wait_for(self, count):
        while len(self.saves) < count:
            check(self.error is None and self.is_alive(), f"the writer stopped: {self.error}")
            time.sleep(0.005)

    def stop(self):
        self.stopped.set()
        self.join(60)
        check(self.error is None, f"the writer failed: {self.error}")


# ---------------------------------------------------------------- databases


def canonical(value):
    if isinstance(value, bytes):
        return value.hex()
    return repr(value)


class SqliteDb:
    def __init__(self, path):
        self.path = pathlib.Path(path)

    def connect(self):
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=30)

    def tables(self):
        with self.connect() as c:
            return sorted(r[0] for r in c.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))

    def digest(self, table, exclude):
        """(rows, sha256 of the sorted rows, rows left out) with rows naming `exclude` left out."""
        tokens = [t.lower() for t in exclude] + [uuid.UUID(t).hex for t in exclude]
        lines = []
        with self.connect() as c:
            for row in c.execute(f'SELECT * FROM "{table}"'):
                lines.append("\x1f".join(canonical(v) for v in row))
        kept = sorted(line for line in lines if not any(t in line.lower() for t in tokens))
        return len(kept), hashlib.sha256("\n".join(kept).encode()).hexdigest(), len(lines) - len(kept)

    def count(self, table):
        with self.connect() as c:
            return c.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]

    def rows(self, sql):
        with self.connect() as c:
            return [tuple(canonical_text(v) for v in r) for r in c.execute(sql)]


def canonical_text(value):
    """SQLite keeps UUIDs as 16-byte blobs: shown as the UUID text PostgreSQL gives."""
    if isinstance(value, bytes) and len(value) == 16:
        return str(uuid.UUID(bytes=value))
    return value if value is None or isinstance(value, str) else str(value)


class PostgresDb:
    def __init__(self, name):
        self.name = name

    def psql(self, sql):
        out = subprocess.run(["psql", f"{PG}/{self.name}", "-X", "-v", "ON_ERROR_STOP=1", "-At", "-F", "\x1f",
                              "-c", sql], check=True, capture_output=True, text=True)
        return [line.split("\x1f") for line in out.stdout.splitlines()]

    def tables(self):
        return sorted(r[0] for r in self.psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))

    def digest(self, table, exclude):
        leave_out = " OR ".join(f"r LIKE '%{uuid.UUID(t)}%'" for t in exclude) or "false"
        (kept, digest, left), = self.psql(
            f"SELECT count(*) FILTER (WHERE NOT ({leave_out})), "
            f"md5(coalesce(string_agg(r, E'\\n' ORDER BY r) FILTER (WHERE NOT ({leave_out})), '')), "
            f"count(*) FILTER (WHERE {leave_out}) "
            f'FROM (SELECT t::text AS r FROM "{table}" t) s')
        return int(kept), digest, int(left)

    def count(self, table):
        return int(self.psql(f'SELECT count(*) FROM "{table}"')[0][0])

    def rows(self, sql):
        return [tuple(None if v == "" else v for v in r) for r in self.psql(sql)]


def fingerprint(db, exclude):
    return {table: db.digest(table, exclude) for table in db.tables()}


def evidence_files(folder):
    """{relative path: (size, sha256)} of every file under `folder`."""
    files, root = {}, pathlib.Path(folder)
    if root.exists():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes()
            files[str(path.relative_to(root))] = (len(data), hashlib.sha256(data).hexdigest())
    return files


def tree_bytes(folder):
    return sum(p.stat().st_size for p in pathlib.Path(folder).rglob("*") if p.is_file())


class Folder:
    """The evidence store of the embedded mode: `$KENSA_DATA_DIR/evidence`."""

    def __init__(self, path):
        self.path = pathlib.Path(path)
        self.env = {}

    def files(self):
        return evidence_files(self.path)

    def copy_to(self, other):
        copy_tree(self.path, other.path)

    def size(self):
        return tree_bytes(self.path)

    def __str__(self):
        return str(self.path)


class Bucket:
    """An S3 evidence bucket (keys as stored, no prefix). boto3, with the drill's own keys."""

    def __init__(self, endpoint, name):
        try:
            import boto3  # only the S3 drill needs it (moto brings it)
        except ImportError:
            raise DrillFailed("--s3 needs boto3: python3 -m pip install boto3") from None

        self.endpoint, self.name = endpoint, name
        self.s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                               aws_access_key_id="kensa-drill", aws_secret_access_key="kensa-drill-secret")
        self.env = {"KENSA_S3_ENDPOINT": endpoint, "KENSA_S3_BUCKET": name,
                    "KENSA_S3_ACCESS_KEY_ID": "kensa-drill", "KENSA_S3_SECRET_ACCESS_KEY": "kensa-drill-secret"}

    def create_empty(self):
        self.s3.create_bucket(Bucket=self.name)
        check(self.keys() == [], f"bucket {self.name} is not empty")
        return self

    def keys(self):
        keys = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.name):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return sorted(keys)

    def files(self):
        files = {}
        for key in self.keys():
            data = self.s3.get_object(Bucket=self.name, Key=key)["Body"].read()
            files[key] = (len(data), hashlib.sha256(data).hexdigest())
        return files

    def copy_to(self, other):
        # Server-side copies, object by object: what `aws s3 sync s3://a s3://b` does.
        for key in self.keys():
            other.s3.copy_object(Bucket=other.name, Key=key, CopySource={"Bucket": self.name, "Key": key})

    def delete(self):
        """Empties and removes the bucket (a drill's copies of evidence must not linger)."""
        for key in self.keys():
            self.s3.delete_object(Bucket=self.name, Key=key)
        self.s3.delete_bucket(Bucket=self.name)

    def size(self):
        total = 0
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.name):
            total += sum(o["Size"] for o in page.get("Contents", []))
        return total

    def __str__(self):
        return f"s3://{self.name} at {self.endpoint}"


# ---------------------------------------------------------------- the checks


def compare(source, restored, restore_db):
    differing = []
    for table in sorted(set(source) | set(restored)):
        if source.get(table, (None,))[:2] != restored.get(table, (None,))[:2]:
            differing.append(f"{table}: source {source.get(table)} restored {restored.get(table)}")
    check(not differing, "tables differ:\n  " + "\n  ".join(differing))
    total = sum(v[0] for v in source.values())
    left = sum(v[2] for v in source.values())
    log(f"check: {len(source)} tables identical to the source, {total} rows (count and SHA-256; "
        f"{left} rows of the writer's organization checked below instead)")
    for table in NAMED:
        back = restore_db.count(table)
        check(back == source[table][0] + source[table][2], f"{table}: {back} rows back of {source[table][0] + source[table][2]}")
        log(f"check:   {table:<14} {back:>8} rows back")


def check_evidence(source_files, restored_store, restore_db):
    restored = restored_store.files()
    missing = [k for k in source_files if k not in restored]
    changed = [k for k in source_files if k in restored and restored[k] != source_files[k]]
    check(not missing and not changed, f"evidence files missing {missing[:5]} or changed {changed[:5]}")
    rows = restore_db.rows("SELECT storage_key, size, sha256 FROM evidence")
    bad = [r for r in rows if restored.get(r[0]) != (int(r[1]), r[2])]
    check(not bad, f"{len(bad)} evidence rows without their file as stored (first {bad[:3]})")
    size = sum(v[0] for v in source_files.values())
    log(f"check: {len(source_files)} evidence files back with their SHA-256 ({size / 1e6:.1f} MB); "
        f"{len(rows)} evidence rows each find their file, size and SHA-256")


def check_writes(restore_db, writer, saves, backup_began, backup_ended):
    """The writer's saves in the copy are a prefix, each answer agreeing with its event."""
    assessment = writer["assessment"]
    events = restore_db.rows(
        f"SELECT item_no, new_value FROM assessment_events WHERE kind = 'answer_changed'"
        f" AND {uuid_match(restore_db, 'assessment_id', assessment)}")
    seqs, newest = set(), {}
    for item, value in events:
        match = re.search(re.escape(WRITE_MARK) + r"[0-9a-f]+-(\d+)", value or "")
        if match:
            seq = int(match.group(1))
            seqs.add(seq)
            if seq > newest.get(int(item), (0, None))[0]:
                newest[int(item)] = (seq, match.group(0))
    k = max(seqs, default=0)
    check(seqs == set(range(1, k + 1)), f"the copy holds saves {sorted(seqs)[:20]}…, not the first {k}: not a snapshot")
    done_before = sum(1 for s in saves if s[3] <= backup_began)
    begun_before_end = sum(1 for s in saves if s[2] <= backup_ended)
    check(done_before <= k <= begun_before_end,
          f"the copy holds the first {k} saves; {done_before} had finished before the backup began and "
          f"{begun_before_end} had begun before it ended")
    answers = dict((int(item), comment) for item, comment in restore_db.rows(
        f"SELECT item_no, comment FROM answers WHERE {uuid_match(restore_db, 'assessment_id', assessment)}"))
    wrong = [item for item, (_, mark) in newest.items() if mark not in (answers.get(item) or "")]
    check(not wrong, f"answers of items {wrong[:10]} disagree with their newest history event in the copy")
    return k, done_before, begun_before_end


def uuid_match(db, column, value):
    if isinstance(db, SqliteDb):
        return f"{column} = X'{uuid.UUID(value).hex}'"
    return f"{column} = '{value}'"


def read_back(base, seeded, sample_files, restore_db):
    api = Api(base)
    token = api.call("POST", "/api/v1/auth/login", {"email": seeded["buyer_email"], "password": PASSWORD})["access_token"]
    me = api.call("GET", "/api/v1/me", token=seeded["buyer_token"])
    check(me["user"]["email"] == seeded["buyer_email"], "a token issued before the backup was refused")
    assessment = seeded["accepted"][0] if seeded["accepted"] else seeded["writer"]["assessment"]
    got = api.call("GET", f"/api/v1/assessments/{assessment}", token=token)
    questions = api.call("GET", f"/api/v1/assessments/{assessment}/questions?limit=200", token=token)["data"]
    answered = sum(1 for q in questions if q.get("answer"))
    stored = int(restore_db.rows(f"SELECT count(*) FROM answers WHERE {uuid_match(restore_db, 'assessment_id', assessment)}")[0][0])
    check(answered == stored == len(questions), f"{answered} answers served, {stored} stored, {len(questions)} items")
    evidence = api.call("GET", f"/api/v1/assessments/{assessment}/evidence", token=token)["data"]
    check(evidence, f"assessment {assessment} lists no evidence after the restore")
    body = api.call("GET", f"/api/v1/assessments/{assessment}/evidence/{evidence[0]['id']}", token=token, raw=True)
    digest = hashlib.sha256(body).hexdigest()
    expected = [v[1] for k, v in sample_files.items() if k.endswith(evidence[0]["id"])]
    check(expected == [digest], f"the downloaded file's SHA-256 {digest} is not the source's {expected}")
    log(f"check: the restored server serves assessment {assessment} ({got['status']}, {answered} of "
        f"{len(questions)} items answered) and its evidence {evidence[0]['file_name']} (SHA-256 {digest[:12]}…, "
        f"as before the backup); the buyer signs in, and a token issued before the backup still works")


# ---------------------------------------------------------------- the drill


def run_backups(args, writer, backup_once):
    """Backs up while the writer saves, until one backup overlapped at least one save."""
    for attempt in range(1, 11):
        writer.wait_for(len(writer.saves) + 3)
        began = time.monotonic()
        result = backup_once(attempt)
        ended = time.monotonic()
        writer.wait_for(len(writer.saves) + 3)
        overlapped = [s for s in writer.saves if s[2] < ended and s[3] > began]
        if overlapped:
            return result, began, ended, len(overlapped), attempt
        log(f"backup {attempt}: no save overlapped it ({(ended - began) * 1000:.0f} ms); again")
    raise DrillFailed("10 backups in a row overlapped no save: the writer is not writing")


def drill(args):
    run = uuid.uuid4().hex[:8]
    work = pathlib.Path(args.work or tempfile.mkdtemp(prefix=f"kensa-drill-{args.mode}-"))
    work.mkdir(parents=True, exist_ok=True)
    api_bin = str(pathlib.Path(args.api).resolve())
    check(os.access(api_bin, os.X_OK), f"no kensa-api at {args.api} (build it: cargo build --release)")
    servers = []
    try:
        if args.mode == "postgres":
            need_postgres()
            reset_database("kensa_drill_src")
            reset_database("kensa_drill_restore")
        # The source.
        if args.base:
            check(args.mode == "sqlite", "--base is for the SQLite drill (a running server's --data-dir)")
            source_dir = pathlib.Path(args.data_dir).resolve()
            check(not args.s3, "--s3 starts its own server: leave out --base")
            source_store = None
            api = Api(args.base)
            source_env = None
        else:
            source_dir = work / "source"
            source_store = Bucket(args.s3, f"kensa-drill-src-{run}").create_empty() if args.s3 else None
            server = Server(api_bin, source_dir, f"{PG}/kensa_drill_src" if args.mode == "postgres" else None, extra={
                "KENSA_SIGNUPS_PER_ADDRESS_PER_HOUR": "1000000", "KENSA_SIGNUPS_PER_HOUR": "1000000",
                "KENSA_WORKER_CONCURRENCY": "16", **(source_store.env if source_store else {})})
            servers.append(server)
            api = Api(server.base)
            source_env = server.env
        source_db = SqliteDb(source_dir / "kensa.db") if args.mode == "sqlite" else PostgresDb("kensa_drill_src")
        source_store = source_store or Folder(source_dir / "evidence")
        log(f"drill: {args.mode}, source {api.base} with data in {source_dir}, evidence in {source_store}; "
            f"work folder {work}")

        started = time.perf_counter()
        seeded = seed(api, source_dir / "outbox", args.suppliers, run)
        log(f"seed: done in {time.perf_counter() - started:.1f} s")
        writer_info = seeded["writer"]
        exclude = [writer_info["assessment"], writer_info["org"], writer_info["user"]]
        settle(source_db)

        # Access tokens live 15 minutes; seeding at scale takes longer.
        seeded["buyer_token"] = api.call("POST", "/api/v1/auth/login", {
            "email": seeded["buyer_email"], "password": PASSWORD})["access_token"]
        writer_info["token"] = api.call("POST", "/api/v1/auth/login", {
            "email": writer_info["email"], "password": PASSWORD})["access_token"]
        writer = Writer(api, writer_info, run)
        writer.start()
        writer.wait_for(3)
        source_before = fingerprint(source_db, exclude)
        files_before = source_store.files()

        backup_dir = work / "backup"
        if args.mode == "sqlite":
            env = dict(source_env or clean_env(), KENSA_DATA_DIR=str(source_dir))

            def backup_once(attempt):
                out = backup_dir / f"kensa-{attempt}.db"
                backup_dir.mkdir(parents=True, exist_ok=True)
                began = time.perf_counter()
                done = subprocess.run([api_bin, "backup", "--output", str(out)], env=env, capture_output=True, text=True)
                check(done.returncode == 0, f"kensa-api backup failed: {done.stderr.strip()}")
                return out, time.perf_counter() - began, done.stdout.strip()
        else:
            def backup_once(attempt):
                out = backup_dir / f"kensa-{attempt}.dump"
                backup_dir.mkdir(parents=True, exist_ok=True)
                began = time.perf_counter()
                subprocess.run(["pg_dump", "--format=custom", "--file", str(out), f"{PG}/kensa_drill_src"], check=True)
                return out, time.perf_counter() - began, ""

        (db_backup, backup_seconds, said), began, ended, overlapped, attempts = run_backups(args, writer, backup_once)
        evidence_began = time.perf_counter()
        backup_store = Bucket(args.s3, f"kensa-drill-backup-{run}").create_empty() if args.s3 else Folder(backup_dir / "evidence")
        source_store.copy_to(backup_store)
        evidence_seconds = time.perf_counter() - evidence_began
        # The signing key (KENSA_JWT_SECRET in production; here the generated file).
        if (source_dir / "jwt-secret").exists():
            shutil.copy2(source_dir / "jwt-secret", backup_dir / "jwt-secret")
        writer.stop()
        saves = list(writer.saves)
        source_after = fingerprint(source_db, exclude)
        log(f"backup: {db_backup.name} {db_backup.stat().st_size / 1e6:.1f} MB in {backup_seconds:.2f} s"
            f" (attempt {attempts}, {overlapped} saves overlapped it; {len(saves)} saves in all)"
            + (f"\nbackup:   kensa-api said: {said}" if said else ""))
        log(f"backup: evidence {backup_store.size() / 1e6:.1f} MB copied to {backup_store} in {evidence_seconds:.2f} s")
        if args.mode == "postgres":
            size = source_db.psql("SELECT pg_size_pretty(pg_database_size(current_database()))")[0][0]
            log(f"backup: the source database holds {size} (pg_database_size)")

        # Restore into an empty folder (and database).
        restore_dir = work / "restore"
        check(not restore_dir.exists(), f"{restore_dir} is not empty")
        restore_began = time.perf_counter()
        restore_dir.mkdir(mode=0o700)
        if args.mode == "sqlite":
            shutil.copyfile(db_backup, restore_dir / "kensa.db")
            os.chmod(restore_dir / "kensa.db", 0o600)
            restore_db = SqliteDb(restore_dir / "kensa.db")
            restore_url = None
        else:
            check(PostgresDb("kensa_drill_restore").tables() == [], "kensa_drill_restore is not empty")
            subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", "--jobs=2", "--dbname",
                            f"{PG}/kensa_drill_restore", str(db_backup)], check=True)
            restore_db = PostgresDb("kensa_drill_restore")
            restore_url = f"{PG}/kensa_drill_restore"
        db_restore_seconds = time.perf_counter() - restore_began
        if (backup_dir / "jwt-secret").exists():
            shutil.copy2(backup_dir / "jwt-secret", restore_dir / "jwt-secret")
        restore_store = Bucket(args.s3, f"kensa-drill-restore-{run}").create_empty() if args.s3 else Folder(restore_dir / "evidence")
        backup_store.copy_to(restore_store)
        restore_seconds = time.perf_counter() - restore_began
        log(f"restore: database in {db_restore_seconds:.2f} s, with the evidence {restore_seconds:.2f} s")

        if args.mode == "sqlite":
            with restore_db.connect() as c:
                verdict = [r[0] for r in c.execute("PRAGMA integrity_check")]
                check(verdict == ["ok"], f"integrity_check: {verdict[:5]}")
                broken = c.execute("PRAGMA foreign_key_check").fetchall()
                check(not broken, f"foreign_key_check: {broken[:5]}")
            log("check: the copy opens; integrity_check ok, foreign_key_check empty")
        restored = fingerprint(restore_db, exclude)
        changed = [t for t in source_before if source_before[t][:2] != source_after.get(t, (None,))[:2]]
        if changed:
            # Something besides the writer (the worker, a scan) changed these tables during the
            # drill: the copy must hold one of the two states.
            for table in changed:
                check(restored.get(table, (None,))[:2] in (source_before[table][:2], source_after[table][:2]),
                      f"{table} changed during the drill and the copy holds neither state")
                log(f"check: {table} changed during the drill (not by the writer); the copy holds "
                    f"{'the state before' if restored[table][:2] == source_before[table][:2] else 'the state after'}")
                restored[table] = source_before[table]
        compare(source_before, restored, restore_db)
        check_evidence(files_before, restore_store, restore_db)
        k, done_before, begun = check_writes(restore_db, writer_info, saves, began, ended)
        log(f"check: the copy holds exactly the writer's first {k} saves ({done_before} had finished before the "
            f"backup began, {begun} had begun before it ended), each answer as its newest event says")

        serve_began = time.perf_counter()
        restored_server = Server(api_bin, restore_dir, restore_url, worker=False, extra=restore_store.env)
        servers.append(restored_server)
        log(f"restore: the restored server answered /readyz after {time.perf_counter() - serve_began:.2f} s "
            f"(time to recover: {restore_seconds + time.perf_counter() - serve_began:.1f} s)")
        read_back(restored_server.base, seeded, files_before, restore_db)
        log(f"drill {args.mode}: PASSED ({len(seeded['accepted'])} accepted of {args.suppliers} suppliers; "
            f"work folder {work})")
        if not args.keep:
            for s in servers:
                s.stop()
            servers.clear()
            shutil.rmtree(work, ignore_errors=True)
            for store in (source_store, backup_store, restore_store):
                if isinstance(store, Bucket):
                    store.delete()
            if args.mode == "postgres":
                for name in ("kensa_drill_src", "kensa_drill_restore"):
                    PostgresDb("postgres").psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        for s in servers:
            s.stop()


def settle(db, seconds=300):
    """Waits until the worker has sent what the seeding queued (mails), so that it changes
    little during the drill: no job due, or the same number waiting (later retries) for 5 s."""
    deadline, last, same = time.time() + seconds, None, 0
    while time.time() < deadline:
        waiting = int(db.rows("SELECT count(*) FROM jobs WHERE status IN ('pending', 'running')")[0][0])
        same = same + 1 if waiting == last else 0
        if waiting == 0 or same >= 25:
            return
        last = waiting
        time.sleep(0.2)
    log("seed: the worker still has jobs to do; the drill goes on (the tables it changes are checked as such)")


def copy_tree(src, dst):
    pathlib.Path(dst).parent.mkdir(parents=True, exist_ok=True)
    if pathlib.Path(src).exists():
        subprocess.run(["cp", "-a", str(src), str(dst)], check=True)
    else:
        pathlib.Path(dst).mkdir(mode=0o700)


def clean_env():
    return {k: v for k, v in os.environ.items()
            if not k.startswith("KENSA_") and k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL")}


def need_postgres():
    for program in ("pg_dump", "pg_restore", "psql"):
        check(shutil.which(program), f"{program} is not installed (PostgreSQL client programs)")
    ready = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]) if shutil.which("pg_isready") else None
    check(ready is not None and ready.returncode == 0, "no PostgreSQL at 127.0.0.1:5432 (this drill fails, never skips)")


def reset_database(name):
    check(name.startswith("kensa_drill_"), "the drill drops only its own databases")
    admin = PostgresDb("postgres")
    admin.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.psql(f'CREATE DATABASE "{name}"')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["sqlite", "postgres"])
    parser.add_argument("--api", default="target/release/kensa-api", help="the kensa-api binary [%(default)s]")
    parser.add_argument("--suppliers", type=int, default=3, help="suppliers that answer and submit [%(default)s]")
    parser.add_argument("--base", help="a running kensa-api (SQLite) to drill instead of starting one")
    parser.add_argument("--data-dir", default="data", help="its KENSA_DATA_DIR, with --base [%(default)s]")
    parser.add_argument("--work", help="folder for the backup and the restore [a new temporary one]")
    parser.add_argument("--keep", action="store_true", help="keep the work folder and leave nothing running")
    parser.add_argument("--s3", metavar="ENDPOINT",
                        help="keep the evidence in S3 buckets at this endpoint (e.g. moto: http://127.0.0.1:19000)")
    args = parser.parse_args()
    if args.suppliers < 1:
        parser.error("--suppliers must be at least 1")
    try:
        drill(args)
    except DrillFailed as e:
        print(f"drill {args.mode}: FAILED: {e}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as e:
        print(f"drill {args.mode}: FAILED: {' '.join(map(str, e.cmd))} exited with {e.returncode}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
