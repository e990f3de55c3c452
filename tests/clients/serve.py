#!/usr/bin/env python3
"""Run a command against a freshly started kensa-api.

    python3 tests/clients/serve.py [--api target/debug/kensa-api] -- COMMAND [ARGS...]

Starts the binary in a new temporary directory (so `./data` - SQLite file, outbox, evidence
- is fresh), on a free port of 127.0.0.1, with the defaults a newcomer gets (KENSA_* and the
service URLs removed from its environment, as `tools/readme/run_blocks.py` does). Waits for
`/healthz`, runs COMMAND with

    KENSA_URL     the server's base URL (http://127.0.0.1:PORT)
    KENSA_OUTBOX  its mail outbox (.eml files), where invitation links arrive

and stops the server. Exits with COMMAND's status; on failure prints the end of the
server's log.
"""

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "SMTP_URL")
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path, n=40):
    try:
        return "\n".join(open(path, encoding="utf-8", errors="replace").read().splitlines()[-n:])
    except OSError:
        return "(no log)"


def wait_healthy(url, server, log_path, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if server.poll() is not None:
            sys.exit(f"kensa-api exited with {server.returncode} before answering:\n{tail(log_path)}")
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    sys.exit(f"kensa-api did not answer {url} within {seconds} s:\n{tail(log_path)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    parser.add_argument("--api", default=os.path.join(target, "debug", "kensa-api"))
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command given")

    work = tempfile.mkdtemp(prefix="kensa-clients-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENSA_") and k not in SERVICE_VARS}
    server_env = dict(env, KENSA_LOG="warn", KENSA_BIND=f"127.0.0.1:{port}",
                      KENSA_PUBLIC_URL=f"http://127.0.0.1:{port}")
    log_path = os.path.join(work, "kensa-api.log")
    log = open(log_path, "w")
    server = subprocess.Popen([os.path.abspath(args.api)], cwd=work, env=server_env, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(f"{base}/healthz", server, log_path)
        run_env = dict(os.environ, KENSA_URL=base, KENSA_OUTBOX=os.path.join(work, "data", "outbox"))
        result = subprocess.run(command, env=run_env)
        if result.returncode != 0:
            print(f"\n{' '.join(command)} exited with {result.returncode}; last lines of the kensa-api log:\n"
                  f"{tail(log_path)}", file=sys.stderr)
        return result.returncode
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
