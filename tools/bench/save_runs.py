#!/usr/bin/env python3
"""Repeated wrk runs of one answer-save script, with what each run cost (docs/benchmarks.md).

Runs `wrk -t2 -c8 -d20s --latency -s DIR/SCRIPT` --runs times in a row against a running
kensa-api set up by workflow.py, and prints one Markdown row per run: requests/s, p50/p99/max,
non-2xx answers, and the evidence needed to explain a slow tail:

- bytes written per request: the server's and (with --postgres) every PostgreSQL process's
  `write_bytes` from /proc/PID/io, and PostgreSQL's WAL bytes (pg_stat_wal);
- run-queue wait per request: time the server's threads (and PostgreSQL's processes) were
  runnable but not running, from /proc/PID/task/TID/schedstat: CPU taken by anything else
  on the machine shows up here;
- CPU time per request of the server and of PostgreSQL (utime + stime);
- the machine's load average and the share of both cores that went to anything other than
  the server, PostgreSQL and wrk (/proc/stat minus their own counters).

Only the standard library and wrk. Linux only.
"""

import argparse
import os
import pathlib
import re
import resource
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def pids_named(name):
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


def io_written(pid):
    try:
        for line in pathlib.Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_delay_ns(pid):
    """Nanoseconds the process's threads spent runnable but waiting for a CPU."""
    total = 0
    try:
        for task in pathlib.Path(f"/proc/{pid}/task").iterdir():
            try:
                total += int((task / "schedstat").read_text().split()[1])
            except (OSError, IndexError):
                pass
    except OSError:
        pass
    return total


def cpu_ticks(pid):
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except (OSError, IndexError):
        return 0


def children_ticks():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * TICK)


def machine_ticks():
    fields = pathlib.Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(f) for f in fields]
    idle = values[3] + values[4]
    return sum(values[:8]) - idle


def wal_bytes(url):
    if not url:
        return 0
    out = subprocess.run(["psql", url, "-Atc", "SELECT wal_bytes FROM pg_stat_wal"], capture_output=True, text=True)
    return int(float(out.stdout.strip() or 0))


def snapshot(server, postgres_url):
    pg = pids_named("postgres") if postgres_url else []
    return {
        "server_io": io_written(server),
        "pg_io": sum(io_written(p) for p in pg),
        "wal": wal_bytes(postgres_url),
        "server_wait": run_delay_ns(server),
        "pg_wait": sum(run_delay_ns(p) for p in pg),
        "server_cpu": cpu_ticks(server),
        "pg_cpu": sum(cpu_ticks(p) for p in pg),
        "wrk_cpu": children_ticks(),  # wrk, a finished child of this script
        "machine": machine_ticks(),
        "at": time.monotonic(),
    }


def parse_wrk(text):
    def ms(value):
        number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
        return float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]

    lat = {m.group(1): ms(m.group(2)) for m in re.finditer(r"^\s+(50|75|90|99)%\s+(\S+)", text, re.M)}
    maximum = re.search(r"^\s+Latency\s+\S+\s+\S+\s+(\S+)", text, re.M)
    requests = int(re.search(r"(\d+) requests in", text).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    socket = re.search(r"Socket errors: (.*)", text)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        "p50": lat["50"],
        "p99": lat["99"],
        "max": ms(maximum.group(1)) if maximum else 0.0,
        "requests": requests,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket": socket.group(1) if socket else "",
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", default="http://127.0.0.1:18081")
    parser.add_argument("--wrk-dir", required=True, help="the --out folder of workflow.py")
    parser.add_argument("--script", default="single.lua")
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--duration", default="20s")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--postgres", help="the server's PostgreSQL URL, to count WAL and its processes")
    parser.add_argument("--label", default="")
    args = parser.parse_args()

    print("| run | req/s | p50 ms | p99 ms | max ms | non-2xx | KB written/request (server, PG files, WAL) "
          "| CPU ms/request (server, PG) | run-queue wait µs/request (server, PG) | other CPU % | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    p99s = []
    for run in range(1, args.runs + 1):
        before = snapshot(args.server_pid, args.postgres)
        out = subprocess.run(
            ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}", "--latency",
             "-s", str(pathlib.Path(args.wrk_dir, args.script)), args.base],
            capture_output=True, text=True, check=True).stdout
        after = snapshot(args.server_pid, args.postgres)
        w = parse_wrk(out)
        n = max(w["requests"], 1)
        elapsed = after["at"] - before["at"]
        busy = (after["machine"] - before["machine"]) / TICK
        ticks = lambda key: (after[key] - before[key]) / TICK  # noqa: E731
        ours = ticks("server_cpu") + ticks("pg_cpu") + ticks("wrk_cpu")
        other = max(busy - ours, 0) / (elapsed * os.cpu_count()) * 100
        load = pathlib.Path("/proc/loadavg").read_text().split()[0]
        kb = lambda key: (after[key] - before[key]) / n / 1024  # noqa: E731
        us = lambda key: (after[key] - before[key]) / n / 1000  # noqa: E731
        # A run with refused requests or socket errors measured something else than saves:
        # it counts as failed, whatever its latency.
        failed = w["non2xx"] > 0 or bool(w["socket"])
        p99s.append(float("inf") if failed else w["p99"])
        print(f"| {args.label}{run} | {w['rps']:,.0f} | {w['p50']:.1f} | {w['p99']:.1f} | {w['max']:.0f} "
              f"| {w['non2xx']}{' ' + w['socket'] if w['socket'] else ''} "
              f"| {kb('server_io'):.1f}, {kb('pg_io'):.1f}, {kb('wal'):.1f} "
              f"| {ticks('server_cpu') * 1000 / n:.2f}, {ticks('pg_cpu') * 1000 / n:.2f} "
              f"| {us('server_wait'):.0f}, {us('pg_wait'):.0f} | {other:.0f} | {load} |", flush=True)
    valid = [p for p in p99s if p != float("inf")]
    print(f"\np99 over the {len(valid)} runs without errors: "
          f"min {min(valid, default=0):.1f} ms, max {max(valid, default=0):.1f} ms; "
          f"runs with errors: {len(p99s) - len(valid)}; runs with p99 > 50 ms or errors: {sum(p > 50 for p in p99s)}")
    if len(valid) < len(p99s):
        sys.exit(1)


if __name__ == "__main__":
    main()
