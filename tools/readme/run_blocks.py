#!/usr/bin/env python3
"""Run the README's shell blocks, in order, against a freshly started kensa-api.

    python3 tools/readme/run_blocks.py target/release/kensa-api [--readme README.md] [--port 8080]

Every ```sh / ```bash block of the README is a promise that a newcomer can paste it into a
terminal after `cargo run --release`, top to bottom, on a fresh clone. This script keeps
that promise honest (CI runs it):

- it starts the given kensa-api in a new temporary directory, so `./data` (SQLite file,
  outbox, evidence) is fresh and `data/outbox/` in the blocks means that server's outbox;
  that directory stands in for the repository root: the repository's `tools/` is linked
  into it (blocks run `python3 tools/...`), and `target/release/kensa-api` (and
  `kensa-worker`) are the binaries under test, as `cargo run --release` would have built;
- it runs all blocks in ONE bash session (variables set by one block are seen by the next)
  under `set -euo pipefail`, and stops at the first failing command, printing it with its
  README line and the end of the server's log;
- `curl` fails on HTTP errors (`--fail-with-body`: the problem body is still printed), so a
  401 or 422 stops the run instead of scrolling by;
- `cargo run [...] -- ARGS` runs the binary under test with ARGS (kensa-worker for
  `-p kensa-worker`), which is what `cargo run` would build; other cargo commands fail;
- a block preceded by `<!-- not-run: reason -->` is skipped and listed with its reason. Use
  that sparingly: for blocks that start a second server, need production services, or
  write into the repository.

The server runs with the defaults a newcomer gets (KENSA_* and the service URLs are
removed from its environment), except that `--port` other than 8080 rewrites
`localhost:8080` in the blocks and the bind address.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

FENCE = re.compile(r"^```(\w*)\s*$")
NOT_RUN = re.compile(r"^<!--\s*not-run:\s*(.+?)\s*-->\s*$")
SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "SMTP_URL")


def blocks(readme_path):
    """[(first line number, language, text, not-run reason or None)] for sh/bash blocks."""
    lines = open(readme_path, encoding="utf-8").read().split("\n")
    found, i = [], 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        lang, start = m.group(1), i + 1
        j = start
        while j < len(lines) and not FENCE.match(lines[j]):
            j += 1
        if lang in ("sh", "bash"):
            k = i - 1
            while k >= 0 and not lines[k].strip():
                k -= 1
            reason = NOT_RUN.match(lines[k].strip()) if k >= 0 else None
            found.append((start + 1, lang, "\n".join(lines[start:j]), reason.group(1) if reason else None))
        i = j + 1
    return found


PRELUDE = r"""
set -euo pipefail
set -o errtrace
shopt -s inherit_errexit
trap 'printf "%s\t%s\t%s\n" "$LINENO" "$RUN_BLOCKS_BLOCK" "$BASH_COMMAND" > "$RUN_BLOCKS_FAILURE"' ERR
curl() {
  command curl --fail-with-body "$@" && echo || {
    local rc=$?; echo >&2; echo "run_blocks: curl exited with $rc: curl $*" >&2; return $rc; }
}
cargo() {
  if [[ "${1:-}" != run ]]; then
    echo "run_blocks: only 'cargo run' can run in a README block (got: cargo $*)" >&2
    return 1
  fi
  local bin="$RUN_BLOCKS_API"
  while [[ $# -gt 0 && "$1" != "--" ]]; do
    [[ "$1" == kensa-worker ]] && bin="$RUN_BLOCKS_WORKER"
    shift
  done
  [[ $# -gt 0 ]] && shift
  "$bin" "$@"
}
"""


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


def tail(path, n=30):
    try:
        return "\n".join(open(path, encoding="utf-8", errors="replace").read().splitlines()[-n:])
    except OSError:
        return "(no log)"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("api", help="path of the kensa-api binary to test")
    parser.add_argument("--readme", default=os.path.join(os.path.dirname(__file__), "..", "..", "README.md"))
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args()

    api = os.path.abspath(args.api)
    worker = os.path.join(os.path.dirname(api), "kensa-worker")
    readme = os.path.abspath(args.readme)
    all_blocks = blocks(readme)
    runnable = [b for b in all_blocks if b[3] is None]
    if not runnable:
        sys.exit(f"no runnable ```sh blocks in {readme}")

    work = tempfile.mkdtemp(prefix="kensa-readme-")
    os.symlink(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), os.path.join(work, "tools"))
    os.makedirs(os.path.join(work, "target", "release"))
    for binary in (api, worker):
        os.symlink(binary, os.path.join(work, "target", "release", os.path.basename(binary)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("KENSA_") and k not in SERVICE_VARS}
    server_env = dict(env, KENSA_LOG="warn")
    if args.port != 8080:
        server_env["KENSA_BIND"] = f"127.0.0.1:{args.port}"
    log_path = os.path.join(work, "kensa-api.log")
    log = open(log_path, "w")
    server = subprocess.Popen([api], cwd=work, env=server_env, stdout=log, stderr=subprocess.STDOUT)
    failure_file = os.path.join(work, ".failure")
    try:
        wait_healthy(f"http://127.0.0.1:{args.port}/healthz", server, log_path)
        # `set -v` echoes each line as bash reads it: the log shows every command above its output.
        script, origin = [PRELUDE, "set -v"], {}  # script line -> README line
        line_no = PRELUDE.count("\n") + 2
        for start, _lang, text, _ in runnable:
            if args.port != 8080:
                text = text.replace("localhost:8080", f"localhost:{args.port}")
            script.append(f"RUN_BLOCKS_BLOCK={start}  # README.md:{start}")
            line_no += 1
            for offset, line in enumerate(text.split("\n")):
                origin[line_no] = start + offset
                script.append(line)
                line_no += 1
        script_path = os.path.join(work, "readme.sh")
        with open(script_path, "w", encoding="utf-8") as f:
            f.write("\n".join(script) + "\n")
        run_env = dict(env, RUN_BLOCKS_API=api, RUN_BLOCKS_WORKER=worker, RUN_BLOCKS_FAILURE=failure_file)
        result = subprocess.run(["bash", script_path], cwd=work, env=run_env, timeout=600)
        for start, _lang, _text, reason in all_blocks:
            if reason:
                print(f"README.md:{start}: not run ({reason})")
        if result.returncode != 0:
            where, command = "?", "(unknown)"
            if os.path.exists(failure_file):
                line, block, command = open(failure_file, encoding="utf-8").read().rstrip("\n").split("\t", 2)
                where = origin.get(int(line), f"? (in the block at line {block})")
            print(f"\nREADME command FAILED (exit {result.returncode}) at about README.md:{where}: the last "
                  f"command echoed above (bash reported: {command})", file=sys.stderr)
            print(f"\nlast lines of the kensa-api log:\n{tail(log_path)}", file=sys.stderr)
            return 1
        print(f"README: {len(runnable)} blocks ran without error "
              f"({len(all_blocks) - len(runnable)} marked not-run)")
        return 0
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
