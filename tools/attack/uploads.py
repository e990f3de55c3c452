#!/usr/bin/env python3
"""Reproduces issue 7's upload and template attacks against a Kensa binary and measures
the server while they run: peak resident memory (VmRSS from /proc/<pid>/status, sampled
every 20 ms) and the latency of another user's GET /api/v1/me (every 100 ms).

    python3 tools/attack/uploads.py target/release/kensa-api [--parallel 4] [--only parts,body,...]

Each scenario starts the binary afresh on 127.0.0.1 (a free port) with a temporary
KENSA_DATA_DIR (SQLite, embedded worker), sets up a buyer, a supplier who accepted the
invitation and its assessment, then sends the attack `--parallel` times at once:

  parts      a multipart upload of 20,000 parts (a 16-byte field each, and one small PDF)
  body       a 57 MiB upload: three 19 MiB PDF file parts in one form
  templates  a 7.6 MB template document holding 1.9 million one-character criteria
  file       a legitimate 19 MiB PDF upload (how much memory one accepted upload costs)
  template4  a 3.9 MB template of 975,000 one-character criteria (just under the new
             4 MiB document limit: parsed, then refused)
  download   (not an attack; issue 8) one 19 MiB PDF uploaded first, then downloaded
             `--parallel` times at once by clients reading 1 MiB every 50 ms (about 1 s
             each): what a download holds while it is sent

It prints a markdown table (one row per scenario). Python standard library only; traffic
goes to the loopback address only, and every loop is bounded.
"""

import argparse
import base64
import email
import email.policy
import http.client
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta

PASSWORD = "attack-Password-123"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="kensa-attack-")
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KENSA_") and k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL")}
        env.update({
            "KENSA_DATA_DIR": self.dir,
            "KENSA_BIND": f"127.0.0.1:{self.port}",
            "KENSA_PUBLIC_URL": f"http://127.0.0.1:{self.port}",
            "KENSA_JWT_SECRET": secrets.token_hex(32),
            "KENSA_LOG": "error",
        })
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen([binary], env=env, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        for _ in range(600):
            try:
                if self.request("GET", "/healthz")[0] == 200:
                    return
            except OSError:
                pass
            if self.proc.poll() is not None:
                raise SystemExit(f"the server exited: see {self.dir}/server.log")
            time.sleep(0.1)
        raise SystemExit("the server did not answer /healthz within 60 s")

    def request(self, method, path, body=None, token=None, headers=None, timeout=600):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = dict(headers or {})
        if token:
            h["Authorization"] = f"Bearer {token}"
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        try:
            conn.request(method, path, body=body, headers=h)
            response = conn.getresponse()
            data = response.read()
            return response.status, data
        except (BrokenPipeError, ConnectionResetError):
            # The server answered early (e.g. 413) and closed while the body was being sent.
            try:
                response = conn.getresponse()
                return response.status, response.read()
            except Exception:
                return "closed", b""
        finally:
            conn.close()

    def json(self, method, path, body=None, token=None):
        status, data = self.request(method, path, body, token)
        try:
            return status, json.loads(data or b"null")
        except ValueError:
            return status, None

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def invitation_token(server, address):
    outbox = os.path.join(server.dir, "outbox")
    for _ in range(300):
        if os.path.isdir(outbox):
            for name in os.listdir(outbox):
                with open(os.path.join(outbox, name), "rb") as f:
                    message = email.message_from_bytes(f.read(), policy=email.policy.default)
                if address.lower() not in str(message.get("To", "")).lower():
                    continue
                for part in message.walk():
                    if part.get_content_maintype() == "text":
                        found = re.search(r"/invitations/([A-Za-z0-9_-]+)", part.get_content())
                        if found:
                            return found.group(1)
        time.sleep(0.1)
    raise SystemExit(f"no invitation mail to {address} within 30 s")


def setup(server):
    """A buyer, a supplier who accepted, and the assessment: (buyer token, supplier token, assessment)."""
    tag = secrets.token_hex(4)
    status, buyer = server.json("POST", "/api/v1/auth/signup", {
        "organization_name": "Attack Buyer", "name": "Buyer", "email": f"buyer-{tag}@example.com", "password": PASSWORD})
    assert status == 201, (status, buyer)
    token = buyer["access_token"]
    contact = f"supplier-{tag}@example.com"
    status, supplier = server.json("POST", "/api/v1/suppliers", {"name": "Parts Co", "contact_email": contact}, token)
    assert status == 201, (status, supplier)
    _, templates = server.json("GET", "/api/v1/templates", token=token)
    template = next(t["id"] for t in templates["data"] if t["key"] == "jama-japia")
    due = (date.today() + timedelta(days=30)).isoformat()
    status, campaign = server.json("POST", "/api/v1/campaigns", {
        "name": "Attack", "template_id": template, "due_date": due, "supplier_ids": [supplier["id"]]}, token)
    assert status == 201, (status, campaign)
    invite = invitation_token(server, contact)
    status, accepted = server.json("POST", f"/api/v1/invitations/{invite}/accept", {
        "name": "Supplier", "email": f"respondent-{tag}@example.com", "password": PASSWORD,
        "organization_name": "Parts Co KK"})
    assert status in (200, 201), (status, accepted)
    return token, accepted["access_token"], campaign["assessments"][0]["id"]


def multipart(parts):
    boundary = "attack" + secrets.token_hex(8)
    chunks = []
    for name, filename, content_type, data in parts:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"'
        if filename:
            head += f'; filename="{filename}"'
        head += "\r\n"
        if content_type:
            head += f"Content-Type: {content_type}\r\n"
        chunks += [head.encode(), b"\r\n", data, b"\r\n"]
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(chunks)


def pdf(size):
    return b"%PDF-1.4\n" + b" " * (size - 9)


def attack_parts(server, buyer, supplier, assessment, index):
    parts = [("file", "policy.pdf", "application/pdf", pdf(1024))]
    parts += [(f"x{i}", None, None, b"a" * 16) for i in range(20_000)]
    content_type, body = multipart(parts)
    return server.request("POST", f"/api/v1/assessments/{assessment}/evidence", body, supplier,
                          {"Content-Type": content_type})[0]


def attack_body(server, buyer, supplier, assessment, index):
    content_type, body = multipart([("file", f"part{i}.pdf", "application/pdf", pdf(19 * 1024 * 1024)) for i in range(3)])
    return server.request("POST", f"/api/v1/assessments/{assessment}/evidence", body, supplier,
                          {"Content-Type": content_type})[0]


def attack_file(server, buyer, supplier, assessment, index):
    content_type, body = multipart([("file", f"policy{index}.pdf", "application/pdf", pdf(19 * 1024 * 1024))])
    return server.request("POST", f"/api/v1/assessments/{assessment}/evidence", body, supplier,
                          {"Content-Type": content_type})[0]


def attack_templates(server, buyer, supplier, assessment, index, count=1_900_000):
    criteria = '","'.join(["a"] * count)
    body = (
        '{"key":"attack-%d-%s","name":"Attack","guideline_version":"1","categories":[{"number":1,"name":"C",'
        '"sections":[{"code":"1","items":[{"no":1,"level":1,"question":"Q","criteria":["%s"]}]}]}]}'
        % (index, secrets.token_hex(4), criteria)
    ).encode()
    return server.request("POST", "/api/v1/templates", body, buyer, {"Content-Type": "application/json"})[0]


def attack_download(server, buyer, supplier, assessment, index, evidence=None):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    try:
        conn.request("GET", f"/api/v1/assessments/{assessment}/evidence/{evidence}",
                     headers={"Authorization": f"Bearer {buyer}"})
        response = conn.getresponse()
        received = 0
        while chunk := response.read(1024 * 1024):
            received += len(chunk)
            time.sleep(0.05)
        return response.status if received == 19 * 1024 * 1024 else f"{response.status} ({received} bytes)"
    finally:
        conn.close()


def prepare_download(server, buyer, supplier, assessment):
    content_type, body = multipart([("file", "big.pdf", "application/pdf", pdf(19 * 1024 * 1024))])
    status, data = server.request("POST", f"/api/v1/assessments/{assessment}/evidence", body, supplier,
                                  {"Content-Type": content_type})
    assert status == 201, (status, data)
    return json.loads(data)["id"]


PREPARE = {"download": prepare_download}

SCENARIOS = {
    "parts": ("20,000-part multipart upload", attack_parts),
    "body": ("57 MiB upload (three 19 MiB parts)", attack_body),
    "templates": ("7.6 MB template, 1.9 M one-character criteria", attack_templates),
    "file": ("one 19 MiB upload", attack_file),
    "template4": ("3.9 MB template, 975,000 criteria", lambda *a: attack_templates(*a, count=975_000)),
    "download": ("one 19 MiB download (slow reader)", attack_download),
}


def run(binary, key, parallel):
    label, attack = SCENARIOS[key]
    server = Server(binary)
    try:
        buyer, supplier, assessment = setup(server)
        extra = {"evidence": PREPARE[key](server, buyer, supplier, assessment)} if key in PREPARE else {}
        # A second user whose /me is timed during the attack.
        status, watcher = server.json("POST", "/api/v1/auth/signup", {
            "organization_name": "Bystander", "name": "B", "email": f"b-{secrets.token_hex(4)}@example.com", "password": PASSWORD})
        assert status == 201, (status, watcher)
        time.sleep(1)
        before = server.rss_kib()
        stop = threading.Event()
        peak = [before]
        latencies = []

        def sample_rss():
            while not stop.is_set():
                try:
                    peak[0] = max(peak[0], server.rss_kib())
                except OSError:
                    return
                time.sleep(0.02)

        def time_me():
            while not stop.is_set():
                started = time.monotonic()
                server.request("GET", "/api/v1/me", token=watcher["access_token"], timeout=120)
                latencies.append(time.monotonic() - started)
                time.sleep(0.1)

        statuses = []
        threads = [threading.Thread(target=sample_rss), threading.Thread(target=time_me)]
        for t in threads:
            t.start()
        started = time.monotonic()
        workers = [threading.Thread(target=lambda i=i: statuses.append(attack(server, buyer, supplier, assessment, i, **extra)))
                   for i in range(parallel)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.monotonic() - started
        stop.set()
        for t in threads:
            t.join()
        after = server.rss_kib()
        return {
            "scenario": f"{label} × {parallel}",
            "statuses": ", ".join(str(s) for s in sorted(statuses, key=str)),
            "seconds": elapsed,
            "rss_before": before / 1024,
            "rss_peak": peak[0] / 1024,
            "rss_after": after / 1024,
            "me_p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
            "me_max": max(latencies) * 1000 if latencies else float("nan"),
        }
    finally:
        server.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary", help="path to kensa-api (a release build)")
    parser.add_argument("--parallel", type=int, default=4, help="attack requests sent at once (default 4)")
    parser.add_argument("--only", default="parts,body,templates,file,template4", help="comma-separated scenarios")
    args = parser.parse_args()
    rows = [run(os.path.abspath(args.binary), key.strip(), args.parallel) for key in args.only.split(",")]
    print(f"binary: {args.binary}  date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n")
    print("| attack | answers | duration | RSS before | peak RSS | RSS after | /me p50 | /me max |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['scenario']} | {r['statuses']} | {r['seconds']:.1f} s | {r['rss_before']:.0f} MiB | "
              f"{r['rss_peak']:.0f} MiB | {r['rss_after']:.0f} MiB | {r['me_p50']:.0f} ms | {r['me_max']:.0f} ms |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
