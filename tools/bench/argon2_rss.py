#!/usr/bin/env python3
"""Peak memory of the server while argon2 hashes (issue 8, item 7: threads or a semaphore).

Starts the given kensa-api binary on a fresh SQLite data directory, signs up N users one
after the other, then sends rounds of N sign-ins at once (one connection each, every user
its own account) and, separately, rounds of N sign-ups at once. Before each round the
process's peak (`VmHWM`) is reset through /proc/PID/clear_refs (Linux, needs the right to
write it), so each row is that round's own peak. Prints a markdown table.

    python3 tools/bench/argon2_rss.py target/debug/kensa-api [--users 32] [--rounds 3]

Python standard library only.
"""

import argparse
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter

PASSWORD = "correct-Horse-battery-9"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(port, path, body):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    # Each request from an address of its own (the server trusts 127.0.0.1 as a proxy), so
    # the per-address sign-in throttle does not answer for argon2.
    client = f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250 + 1}"
    headers = {"Content-Type": "application/json", "X-Forwarded-For": client}
    try:
        conn.request("POST", path, body=json.dumps(body).encode(), headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field}")


def mib(kib):
    return f"{kib / 1024:.1f}"


def signup_body():
    email = f"user-{uuid.uuid4().hex}@example.com"
    return {"organization_name": "Bench KK", "name": "Bench", "email": email, "password": PASSWORD}


def burst(port, requests):
    """Sends every (path, body) at once, one thread each; returns the answers and the time."""
    answers = [None] * len(requests)
    gate = threading.Barrier(len(requests))

    def one(i, path, body):
        gate.wait()
        answers[i] = post(port, path, body)

    threads = [threading.Thread(target=one, args=(i, p, b)) for i, (p, b) in enumerate(requests)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers, time.perf_counter() - started


def round_row(pid, port, label, requests):
    with open(f"/proc/{pid}/clear_refs", "w") as f:
        f.write("5")  # resets VmHWM to the current RSS
    before = status_kib(pid, "VmRSS")
    answers, elapsed = burst(port, requests)
    time.sleep(0.5)
    counts = ", ".join(f"{code}: {n}" for code, n in sorted(Counter(answers).items()))
    return f"| {label} | {counts} | {elapsed:.2f} s | {mib(before)} | **{mib(status_kib(pid, 'VmHWM'))}** | {mib(status_kib(pid, 'VmRSS'))} |"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binary")
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="kensa-argon2-")
    port = free_port()
    env = dict(os.environ)
    env.update(
        KENSA_DATA_DIR=data_dir,
        KENSA_BIND=f"127.0.0.1:{port}",
        KENSA_LOG="warn",
        KENSA_EMBEDDED_WORKER="false",
        KENSA_SIGNUPS_PER_ADDRESS_PER_HOUR="100000",
        KENSA_SIGNUPS_PER_HOUR="100000",
        KENSA_TRUSTED_PROXIES="127.0.0.1",
    )
    server = subprocess.Popen([os.path.abspath(args.binary)], env=env, cwd=data_dir, stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        time.sleep(0.5)
        idle = status_kib(server.pid, "VmRSS")
        users = []
        for _ in range(args.users):
            body = signup_body()
            status = post(port, "/api/v1/auth/signup", body)
            if status != 201:
                sys.exit(f"sign-up answered {status}")
            users.append(body["email"])
        time.sleep(0.5)
        print(f"server `{args.binary}`, {os.cpu_count()} cores; idle {mib(idle)} MiB; after {args.users} sign-ups one by one: "
              f"VmRSS {mib(status_kib(server.pid, 'VmRSS'))} MiB, VmHWM {mib(status_kib(server.pid, 'VmHWM'))} MiB, "
              f"{len(os.listdir(f'/proc/{server.pid}/task'))} threads")
        print()
        print("| round | answers | time | RSS before (MiB) | peak (MiB) | RSS after (MiB) |")
        print("|---|---|---|---|---|---|")
        logins = [("/api/v1/auth/login", {"email": e, "password": PASSWORD}) for e in users]
        for r in range(args.rounds):
            print(round_row(server.pid, port, f"{args.users} sign-ins at once, #{r + 1}", logins))
        for r in range(args.rounds):
            signups = [("/api/v1/auth/signup", signup_body()) for _ in range(args.users)]
            print(round_row(server.pid, port, f"{args.users} sign-ups at once, #{r + 1}", signups))
        print()
        print(f"threads at the end: {len(os.listdir(f'/proc/{server.pid}/task'))}")
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
