#!/usr/bin/env python3
"""Sign-up flood from one address while a legitimate user signs in (issue 7, item 4).

Starts the given kensa-api binary on a fresh SQLite data directory, signs up one
legitimate owner, then sends N sign-ups (default 600) from 127.0.0.1 over C concurrent
connections while that owner signs in again and again. Prints a markdown table: how the
sign-ups were answered, how long the flood took, sign-in latency before and during it, and
the server's peak RSS.

    python3 tools/attack/signup.py target/release/kensa-api [--requests 600] [--concurrency 32]

A distributed flood (each sign-up from another address) can be simulated against a build
that trusts a proxy at 127.0.0.1:

    python3 tools/attack/signup.py target/release/kensa-api --addresses 600 \
        --env KENSA_TRUSTED_PROXIES=127.0.0.1

Python standard library only.
"""

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

PASSWORD = "correct-Horse-battery-9"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(conn, path, body, forwarded_for=None):
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    started = time.perf_counter()
    conn.request("POST", path, body=data, headers=headers)
    response = conn.getresponse()
    response.read()
    return response.status, time.perf_counter() - started


def signup_body(prefix):
    email = f"{prefix}-{uuid.uuid4().hex}@example.com"
    return {"organization_name": f"{prefix} KK", "name": prefix, "email": email, "password": PASSWORD}


def peak_rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def wait_ready(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"the server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    sys.exit("the server did not become ready")


def pct(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", help="path to the kensa-api binary to attack")
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--addresses", type=int, default=0,
                        help="send X-Forwarded-For from this many distinct addresses (0: none)")
    parser.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                        help="extra environment for the server (repeatable)")
    args = parser.parse_args()

    port = free_port()
    data_dir = tempfile.mkdtemp(prefix="kensa-attack-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENSA_") and k not in ("DATABASE_URL", "REDIS_URL", "SMTP_URL")}
    env.update({"KENSA_DATA_DIR": data_dir, "KENSA_BIND": f"127.0.0.1:{port}", "KENSA_LOG": "error"})
    env.update(dict(item.split("=", 1) for item in args.env))
    proc = subprocess.Popen([os.path.abspath(args.binary)], env=env, cwd=data_dir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        owner = signup_body("owner")
        status, _ = post(conn, "/api/v1/auth/signup", owner)
        if status != 201:
            sys.exit(f"the legitimate sign-up answered {status}")
        login = {"email": owner["email"], "password": PASSWORD}
        idle = [post(conn, "/api/v1/auth/login", login)[1] for _ in range(5)]

        statuses = {}
        lock = threading.Lock()
        remaining = [args.requests]

        def flood():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            while True:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                    n = remaining[0]
                source = None
                if args.addresses:
                    source = f"198.18.{(n % args.addresses) // 256}.{(n % args.addresses) % 256}"
                try:
                    status, _ = post(c, "/api/v1/auth/signup", signup_body("flood"), source)
                except OSError:
                    status = "error"
                    c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1

        during, login_statuses = [], {}
        done = threading.Event()

        def sign_in_meanwhile():
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            while not done.is_set():
                status, elapsed = post(c, "/api/v1/auth/login", login)
                during.append(elapsed)
                login_statuses[status] = login_statuses.get(status, 0) + 1
                time.sleep(0.2)

        threads = [threading.Thread(target=flood) for _ in range(args.concurrency)]
        watcher = threading.Thread(target=sign_in_meanwhile)
        started = time.perf_counter()
        watcher.start()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        flood_secs = time.perf_counter() - started
        done.set()
        watcher.join()
        rss = peak_rss_mib(proc.pid)

        ms = lambda s: f"{s * 1000:.0f} ms"
        answered = ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0])))
        logins = ", ".join(f"{k}: {v}" for k, v in sorted(login_statuses.items(), key=lambda kv: str(kv[0])))
        print(f"| measure | `{os.path.basename(args.binary)}` |")
        print("|---|---|")
        sources = f"{args.addresses} addresses" if args.addresses else "one address"
        print(f"| sign-ups sent ({sources}, {args.concurrency} connections) | {args.requests} |")
        print(f"| sign-up answers | {answered} |")
        print(f"| flood duration | {flood_secs:.1f} s |")
        print(f"| sign-in latency, idle (median of 5) | {ms(statistics.median(idle))} |")
        print(f"| sign-in latency during the flood, median / p95 / max | {ms(pct(during, 0.5))} / {ms(pct(during, 0.95))} / {ms(max(during) if during else float('nan'))} |")
        print(f"| sign-in answers during the flood | {logins} |")
        print(f"| server peak RSS (VmHWM) | {rss:.0f} MiB |")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


if __name__ == "__main__":
    main()
