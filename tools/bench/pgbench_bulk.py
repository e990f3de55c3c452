#!/usr/bin/env python3
"""The bulk save's SQL, captured from PostgreSQL's log and replayed with pgbench.

Against a kensa-api on PostgreSQL set up by workflow.py (its --out folder holds writers.json
and answers.json):

1. turns on `log_min_duration_statement = 0` for a moment (ALTER SYSTEM + reload: the pooled
   connections take it at once), sends one bulk save, turns it off again, and reads the
   statements that request ran on the bench database, with their parameters, from the log;
2. writes them as a pgbench script (parameters inlined as literals, the assessment id made a
   per-client variable so that each pgbench client writes its own assessment, as each wrk
   connection does), saved as bulk_save.sql beside the wrk scripts;
3. runs `pgbench -M prepared -c 8 -j 2 -T 20` on it and prints the transactions per second.

Kensa's own rate for the same requests comes from save_runs.py; pgbench_bulk.sh runs both.
"""

import argparse
import json
import pathlib
import re
import subprocess
import time
import urllib.request

LOG_LINE = re.compile(r"^\S+ \S+ \S+ \[(\d+)\] (\S*)@(\S*) (LOG|DETAIL):\s+(.*)$")


def psql(url, sql):
    return subprocess.run(["psql", url, "-Atqc", sql], capture_output=True, text=True, check=True).stdout.strip()


def log_file(admin):
    directory = psql(admin, "SHOW data_directory")
    current = pathlib.Path(directory, "current_logfiles")
    if current.exists():
        return pathlib.Path(directory, current.read_text().split()[1])
    logs = sorted(pathlib.Path("/var/log/postgresql").glob("postgresql-*-main.log"), key=lambda p: p.stat().st_mtime)
    if not logs:
        raise SystemExit("cannot find PostgreSQL's log file")
    return logs[-1]


def statements(text, database):
    """(pid, sql, parameters) of every statement of `database` in the log text, in order."""
    found, pending = [], None
    lines = text.splitlines()
    for i, line in enumerate(lines):
        match = LOG_LINE.match(line)
        if not match or match.group(3) != database:
            continue
        kind, body = match.group(4), match.group(5)
        if kind == "LOG":
            stmt = re.match(r"duration: [\d.]+ ms\s+(?:execute [^:]*|statement): (.*)", body)
            if not stmt:
                pending = None  # a parse or bind step: its DETAIL is not an execution's
                continue
            sql = [stmt.group(1)]
            for more in lines[i + 1:]:
                if not more.startswith("\t"):
                    break
                sql.append(more.strip())
            pending = [int(match.group(1)), " ".join(sql), {}]
            found.append(pending)
        elif kind == "DETAIL" and pending is not None and body.startswith("parameters:"):
            params = body[len("parameters:"):]
            for more in lines[i + 1:]:
                if not more.startswith("\t"):
                    break
                params += " " + more.strip()
            for number, value in re.findall(r"\$(\d+) = (NULL|'(?:[^']|'')*')", params):
                pending[2][int(number)] = value
    return found


def the_request(captured, assessment):
    """The statements of the request alone: those of the connections that touched the
    assessment, from the first such statement to the last (the embedded worker's polls run
    on other connections at the same time)."""
    touching = [i for i, (_, _, params) in enumerate(captured) if f"'{assessment}'" in params.values()]
    if not touching:
        raise SystemExit("no captured statement names the assessment")
    pids = {captured[i][0] for i in touching}
    first, last = touching[0], touching[-1]
    # The transaction's BEGIN comes just before its first statement, its COMMIT just after.
    while first > 0 and captured[first - 1][0] in pids and captured[first - 1][1] == "BEGIN":
        first -= 1
    while last + 1 < len(captured) and captured[last + 1][0] in pids and captured[last + 1][1] in ("COMMIT", "ROLLBACK"):
        last += 1
    return [(sql, params) for pid, sql, params in captured[first:last + 1] if pid in pids]


def literal(value):
    """A logged parameter as an SQL literal pgbench leaves alone: pgbench reads `:name` as a
    variable anywhere in the text, so a colon (times, JSON) is written as E'\\072'."""
    if ":" not in value or value == "NULL":
        return value
    return "E" + value.replace("\\", "\\\\").replace(":", "\\072")


def inline(sql, params):
    return re.sub(r"\$(\d+)\b", lambda m: literal(params[int(m.group(1))]) if int(m.group(1)) in params
                  else m.group(0), sql)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:18081")
    parser.add_argument("--wrk-dir", required=True)
    parser.add_argument("--database", default="kensa_bench")
    parser.add_argument("--admin", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    out = pathlib.Path(args.wrk_dir)
    writers = json.loads((out / "writers.json").read_text())
    body = (out / "answers.json").read_bytes()
    url = args.admin.rsplit("/", 1)[0] + "/" + args.database

    log = log_file(args.admin)
    start = log.stat().st_size
    psql(args.admin, "ALTER SYSTEM SET log_min_duration_statement = 0")
    psql(args.admin, "SELECT pg_reload_conf()")
    time.sleep(0.5)  # the reload reaches every backend by signal, not synchronously
    try:
        first = writers[0]
        request = urllib.request.Request(args.base + first["path"], data=body, method="POST", headers={
            "content-type": "application/json", "authorization": f"Bearer {first['token']}"})
        with urllib.request.urlopen(request) as response:
            response.read()
        time.sleep(0.5)
    finally:
        psql(args.admin, "ALTER SYSTEM RESET log_min_duration_statement")
        psql(args.admin, "SELECT pg_reload_conf()")
    with log.open("rb") as f:
        f.seek(start)
        text = f.read().decode("utf-8", "replace")
    assessment = first["path"].split("/")[4]
    captured = the_request(statements(text, args.database), assessment)

    # Each pgbench client writes its own writer's assessment.
    psql(url, "DROP TABLE IF EXISTS bench_writers")
    psql(url, "CREATE TABLE bench_writers (n int PRIMARY KEY, aid uuid NOT NULL)")
    values = ",".join(f"({i}, '{w['path'].split('/')[4]}')" for i, w in enumerate(writers))
    psql(url, f"INSERT INTO bench_writers VALUES {values}")
    script = [f"SELECT aid AS kensa_assessment FROM bench_writers WHERE n = :client_id % {len(writers)} \\gset"]
    for sql, params in captured:
        line = inline(sql, params).replace(f"'{assessment}'", ":kensa_assessment")
        script.append(line + ";")
    (out / "bulk_save.sql").write_text("\n".join(script) + "\n")
    print(f"pgbench script: {out / 'bulk_save.sql'}")
    pathlib.Path("/tmp/kensa-bulk_save.sql").write_text("\n".join(script) + "\n")
    print(f"captured {len(captured)} statements of one bulk save:")
    for sql, _ in captured:
        print("  " + (sql if len(sql) < 140 else sql[:137] + "..."))
    run = subprocess.run(
        ["pgbench", "-n", "-M", "prepared", "-c", "8", "-j", "2", "-T", str(args.seconds), "-f",
         str(out / "bulk_save.sql"), url], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(run.stdout + run.stderr)
    tps = re.search(r"tps = ([\d.]+)", run.stdout).group(1)
    latency = re.search(r"latency average = ([\d.]+) ms", run.stdout).group(1)
    print(f"pgbench: {float(tps):,.0f} transactions/s, latency average {latency} ms")


if __name__ == "__main__":
    main()
