#!/usr/bin/env python3
"""Two replicas of each process, and a soak (issue 14; figures in docs/benchmarks.md).

    replicas.py run  --api BIN --worker BIN [--rate 150] [--duration 60] [--campaign 2000] [--kills 3]
    replicas.py soak --api BIN --worker BIN [--minutes 30] [--rate 150] [--csv docs/soak.csv] [--png docs/soak.png]

Both start, on ONE PostgreSQL database of their own (`--db`, dropped and created; never
`test` or `postgres`) and the local Redis (`--redis`, keys under a prefix of this run):

- kensa-api processes (`KENSA_ENV=production`, `KENSA_EMBEDDED_WORKER=false`) behind
  haproxy (round robin, health checks on /healthz, an admin socket to drain a server);
- `kensa-worker run` processes, mailing over SMTP (`SMTP_URL`) into a recording sink (this
  file's `sink` command: it accepts everything and writes each message's recipient,
  Message-ID and links to a JSON-lines file; the harness reads the invitation and
  verification links from it);
- wrk as the load generator, one connection per thread so that each response is matched to
  its request: a mixed workload at a fixed offered rate (`--rate` requests/s over
  `--connections`, paced in wrk's `delay()`; a connection that falls behind sends at once,
  so an overloaded server shows as achieved < offered). Per cycle of ten requests: four
  single answer saves (PUT …/answers/{no}), one bulk save of the whole checklist (153
  answers), two supplier lists, two assessment lists (limit 50) and one comparison page.
  Each connection writes its own supplier's assessment, as real suppliers do.

Set-up goes through the API only: buyers sign up and verify their address with the mailed
/verify/ link (an unverified organization mails no one), import suppliers from CSV, send a
campaign; 24 suppliers accept their invitation (16 writers, 8 that answer and submit, so that
the comparison has snapshots).

`run` measures, in this order:
1. 1 api + 1 worker: the mixed workload for `--duration` s while a campaign of `--campaign`
   suppliers is mailed; CPU-seconds per process group (from /proc/PID/stat utime+stime;
   PostgreSQL: the backends of this database and the server's own processes) per 1,000
   requests;
2. 2 api + 2 workers: the same, with another campaign of the same size;
3. faults: the mixed workload again while a third campaign is mailed; each time the sink has
   received another 1/(kills+1) of it, one worker (alternately) gets SIGKILL and is restarted
   at once; meanwhile each API process in turn is drained at haproxy, sent SIGTERM, restarted
   and re-enabled. Then it waits until every job is done (a killed worker's jobs come back
   when their lease ends, 5 minutes after the claim) and counts the mails per recipient
   and per Message-ID: expected exactly one each;
4. a fourth campaign, no load: at a tenth of it mailed, one worker gets SIGTERM (as a deploy
   does); how long it takes to exit, and that every mail still goes out exactly once.

`soak` runs one api + one worker: set-up, then the mixed workload in 5-minute wrk runs for
`--minutes`, a campaign of `--soak-campaign` suppliers at the start of each window, VmRSS of
both processes every minute; writes a CSV (one row a minute; the window's requests, errors
and percentiles on its last minute) and a small PNG chart.

Python standard library (matplotlib only for the chart), wrk, haproxy, psql; loopback only.
Take the shared lock around it: `flock /tmp/kensa-bench.lock python3 tools/bench/replicas.py …`.
"""

import argparse
import asyncio
import datetime
import email
import email.policy
import json
import os
import pathlib
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

PASSWORD = "correct-Horse-battery-9"
SECRET = "replicas-bench-secret-replicas-bench-secret-0123456"
CLK_TCK = os.sysconf("SC_CLK_TCK")
LINK = re.compile(r"/(invitations|verify)/([A-Za-z0-9_-]+)")
GROUPS = ("api", "worker", "postgres", "redis", "haproxy", "wrk", "sink")


# ---------------------------------------------------------------- the recording SMTP sink


def sink(port, path):
    """Accepts every message; appends {"rcpt", "id", "links"} per message to `path`."""
    out = open(path, "a", buffering=1)
    count = 0

    async def handle(reader, writer):
        nonlocal count
        rcpt = []
        writer.write(b"220 sink ESMTP\r\n")
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                break
            cmd = line[:4].upper()
            if cmd == b"EHLO":
                writer.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif cmd == b"RCPT":
                rcpt.append(line.decode("ascii", "replace").split(":", 1)[1].strip().strip("<>").lower())
                writer.write(b"250 ok\r\n")
            elif cmd == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                chunks = []
                while (data := await reader.readline()) not in (b".\r\n", b""):
                    chunks.append(data[1:] if data.startswith(b"..") else data)
                if not data:
                    break  # the client went away mid-message (a killed worker): not accepted
                msg = email.message_from_bytes(b"".join(chunks), policy=email.policy.default)
                try:
                    text = (msg.get_body(("plain",)) or msg).get_content()
                except Exception:  # noqa: BLE001 - a sink records what it can
                    text = ""
                links = [f"/{kind}/{token}" for kind, token in LINK.findall(text)]
                count += 1
                # Recorded before the 250: what a relay has accepted once it has the final dot.
                out.write(json.dumps({"rcpt": rcpt, "id": msg["Message-ID"], "links": links}) + "\n")
                rcpt = []
                writer.write(b"250 queued\r\n")
            elif cmd == b"RSET":
                rcpt = []
                writer.write(b"250 ok\r\n")
            elif cmd == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        loop.add_signal_handler(signal.SIGINT, stop.set)
        await stop.wait()
        server.close()
        print(f"received {count}", flush=True)

    asyncio.run(main())


class Mailbox:
    """Reads the sink's file as it grows."""

    def __init__(self, path):
        self.path, self.offset, self.mails = path, 0, []
        self.lock = threading.Lock()

    def poll(self):
        with self.lock:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
            end = data.rfind(b"\n") + 1
            self.offset += end
            self.mails += [json.loads(line) for line in data[:end].splitlines() if line]
            return list(self.mails)

    def link(self, to, kind, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for mail in reversed(self.poll()):
                if to.lower() in mail["rcpt"]:
                    for link in mail["links"]:
                        if link.startswith(f"/{kind}/"):
                            return link.rsplit("/", 1)[1]
            time.sleep(0.1)
        raise SystemExit(f"no /{kind}/ link mailed to {to} within {timeout} s")

    def count(self, marker):
        return sum(1 for m in self.poll() if any(r.startswith(marker) for r in m["rcpt"]))


# ---------------------------------------------------------------- HTTP helpers


def call(base, method, path, body=None, token=None, content_type="application/json", expect=None):
    data, headers = None, {}
    if body is not None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers["content-type"] = content_type
    if token:
        headers["authorization"] = f"Bearer {token}"
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=600) as resp:
            raw = resp.read()
            return json.loads(raw) if raw and resp.headers.get_content_type().endswith("json") else None
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path}: {e.code} {e.read()[:500]!r}") from None


def wait_http(url, proc=None, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"{proc.args[0]} exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{url} did not answer within {seconds} s")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def psql(url, sql):
    return subprocess.run(["psql", url, "-qAt", "-c", sql], check=True, capture_output=True, text=True).stdout


# ---------------------------------------------------------------- CPU and memory


def ticks(pid):
    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime, stime (whole thread group)
    except (OSError, IndexError):
        return None


def rss_mib(pid):
    try:
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def procs_named(comm):
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == comm:
                    yield int(entry.name), (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                pass


def postgres_pids(db):
    """The backends of `db` and the server's own processes (not other databases' backends)."""
    pids = []
    for pid, cmdline in procs_named("postgres"):
        client = "(" in cmdline or "autovacuum worker" in cmdline
        if not client or f" {db} " in cmdline + " ":
            pids.append(pid)
    return pids


# ---------------------------------------------------------------- the processes


class Cluster:
    def __init__(self, args, work):
        self.args, self.work = args, work
        self.lb_port, self.sink_port = free_port(), free_port()
        self.api_ports = {1: free_port(), 2: free_port()}
        self.base = f"http://127.0.0.1:{self.lb_port}"
        self.apis, self.workers, self.procs = {}, {}, []
        # CPU ticks of processes stopped or killed on purpose, from wait4 (exact to the end).
        self.final = {"api": {}, "worker": {}}
        self.run = uuid.uuid4().hex[:8]
        if args.db in ("test", "postgres", "template0", "template1"):
            raise SystemExit(f"refusing to use database {args.db!r}")
        self.db_url = args.pg.rsplit("/", 1)[0] + "/" + args.db
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("KENSA_") and k not in ("DATABASE_URL", "SMTP_URL", "REDIS_URL")}
        env.update({
            "DATABASE_URL": self.db_url, "REDIS_URL": args.redis, "KENSA_REDIS_PREFIX": f"replicas-{self.run}",
            "SMTP_URL": f"smtp://127.0.0.1:{self.sink_port}", "KENSA_ENV": "production", "KENSA_JWT_SECRET": SECRET,
            "KENSA_EMBEDDED_WORKER": "false", "KENSA_LOG": "warn", "KENSA_PUBLIC_URL": self.base,
            "KENSA_SIGNUPS_PER_ADDRESS_PER_HOUR": "1000", "KENSA_SIGNUPS_PER_HOUR": "10000",
        })
        self.env = env
        self.mailbox = Mailbox(work / "sink.jsonl")

    def spawn(self, argv, log, env=None):
        with open(self.work / log, "a") as f:
            proc = subprocess.Popen(argv, env=env or self.env, stdout=f, stderr=subprocess.STDOUT, cwd=self.work)
        self.procs.append(proc)
        return proc

    def start(self, apis=1, workers=1):
        psql(self.args.pg, f"DROP DATABASE IF EXISTS {self.args.db} WITH (FORCE)")
        psql(self.args.pg, f"CREATE DATABASE {self.args.db}")
        (self.work / "sink.jsonl").touch()
        self.sink = self.spawn([sys.executable, __file__, "sink", str(self.sink_port), str(self.work / "sink.jsonl")], "sink.log")
        cfg = self.work / "haproxy.cfg"
        self.sock = self.work / "haproxy.sock"
        cfg.write_text(f"""global
    maxconn 2000
    nbthread 1
    stats socket {self.sock} mode 600 level admin
defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
frontend fe
    bind 127.0.0.1:{self.lb_port}
    default_backend api
backend api
    balance roundrobin
    option httpchk GET /healthz
    server api1 127.0.0.1:{self.api_ports[1]} check inter 500ms fall 2 rise 1
    server api2 127.0.0.1:{self.api_ports[2]} check inter 500ms fall 2 rise 1 disabled
""")
        self.haproxy = self.spawn(["haproxy", "-f", str(cfg), "-db"], "haproxy.log")
        for i in range(1, apis + 1):
            self.start_api(i)
        for i in range(1, workers + 1):
            self.start_worker(i)
        wait_http(self.base + "/healthz")

    def start_api(self, i):
        env = dict(self.env, KENSA_BIND=f"127.0.0.1:{self.api_ports[i]}", KENSA_DATA_DIR=str(self.work / f"api{i}"))
        self.apis[i] = self.spawn([self.args.api, "serve"], f"api{i}.log", env)
        wait_http(f"http://127.0.0.1:{self.api_ports[i]}/healthz", self.apis[i])
        if i == 2:
            self.lb(f"set server api/api{i} state ready")

    def start_worker(self, i):
        env = dict(self.env, KENSA_DATA_DIR=str(self.work / f"worker{i}"))
        self.workers[i] = self.spawn([self.args.worker, "run"], f"worker{i}.log", env)

    def stop(self, proc, group, sig=signal.SIGTERM):
        """Signals a process of `group` and reaps it, keeping its CPU time for `cpu()`."""
        proc.send_signal(sig)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        self.final[group][proc.pid] = round((usage.ru_utime + usage.ru_stime) * CLK_TCK)

    def lb(self, command):
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(self.sock))
            s.sendall(command.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks).decode()

    def lb_server(self, name):
        lines = self.lb("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        for line in lines[1:]:
            row = dict(zip(header, line.split(",")))
            if row.get("pxname") == "api" and row.get("svname") == name:
                return row
        return {}

    def restart_api(self, i):
        """Drain at haproxy, SIGTERM (actix finishes in-flight requests), restart, re-enable."""
        t0 = time.perf_counter()
        self.lb(f"set server api/api{i} state drain")
        while int(self.lb_server(f"api{i}").get("scur") or 0) > 0 and time.perf_counter() - t0 < 30:
            time.sleep(0.02)
        drained = time.perf_counter() - t0
        self.stop(self.apis[i], "api")
        stopped = time.perf_counter() - t0
        env = dict(self.env, KENSA_BIND=f"127.0.0.1:{self.api_ports[i]}", KENSA_DATA_DIR=str(self.work / f"api{i}"))
        self.apis[i] = self.spawn([self.args.api, "serve"], f"api{i}.log", env)
        wait_http(f"http://127.0.0.1:{self.api_ports[i]}/healthz", self.apis[i])
        while self.lb_server(f"api{i}").get("status") not in ("DRAIN", "UP"):
            time.sleep(0.05)
        self.lb(f"set server api/api{i} state ready")
        return {"api": i, "drained_s": round(drained, 2), "stopped_s": round(stopped, 2),
                "back_s": round(time.perf_counter() - t0, 2)}

    def cpu(self):
        groups = {
            "api": [p.pid for p in self.apis.values()],
            "worker": [p.pid for p in self.workers.values()],
            "postgres": postgres_pids(self.args.db),
            "redis": [pid for pid, _ in procs_named("redis-server")],
            "haproxy": [self.haproxy.pid],
            "sink": [self.sink.pid],
        }
        now = {g: {pid: t for pid in pids if (t := ticks(pid)) is not None} for g, pids in groups.items()}
        for group, final in self.final.items():
            now[group].update(final)
        return now

    def close(self):
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()

    def jobs_open(self):
        out = psql(self.db_url, "SELECT COUNT(*) FROM jobs WHERE status IN ('pending', 'running')")
        return int(out.strip() or 0)


def cpu_delta(before, after):
    return {g: sum(t - before.get(g, {}).get(pid, 0) for pid, t in after[g].items()) / CLK_TCK for g in after}


# ---------------------------------------------------------------- data set-up through the API


class Session:
    """An access token (15 minutes) and the refresh token that renews it."""

    def __init__(self, answer):
        self.token, self.refresh = answer["access_token"], answer["refresh_token"]

    def renew(self, c):
        answer = call(c.base, "POST", "/api/v1/auth/refresh", {"refresh_token": self.refresh})
        self.token, self.refresh = answer["access_token"], answer["refresh_token"]


def signup(c, name, email_address):
    session = Session(call(c.base, "POST", "/api/v1/auth/signup", {
        "organization_name": name, "name": "Buyer", "email": email_address, "password": PASSWORD,
        "locale": "en"}))
    call(c.base, "POST", f"/api/v1/auth/verify-email/{c.mailbox.link(email_address, 'verify')}")
    return session


def import_suppliers(c, token, marker, n):
    rows = ["name,contact_name,contact_email,tier,target_level,tags"]
    rows += [f"Supplier {marker} {i},Contact {i},{marker}-{i}-{c.run}@bench.example,tier{1 + i % 3},3,bench"
             for i in range(n)]
    call(c.base, "POST", "/api/v1/suppliers/import", "\n".join(rows).encode(), token, "text/csv")
    ids, cursor = [], None
    while True:
        page = call(c.base, "GET", "/api/v1/suppliers?limit=200" + (f"&cursor={cursor}" if cursor else ""), token=token)
        ids += [s["id"] for s in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids


def template_id(c, token):
    return next(t["id"] for t in call(c.base, "GET", "/api/v1/templates", token=token)["data"] if t["key"] == "jama-japia")


def campaign(c, buyer, ids, name):
    buyer.session.renew(c)  # access tokens live 15 minutes
    token = buyer.token
    due = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
    return call(c.base, "POST", "/api/v1/campaigns",
                {"name": name, "template_id": template_id(c, token), "due_date": due, "supplier_ids": ids}, token)


class Buyer:
    def __init__(self, c, marker, suppliers):
        self.marker = marker
        self.session = signup(c, f"Replicas {marker} {c.run}", f"buyer-{marker}-{c.run}@bench.example")
        self.ids = import_suppliers(c, self.session.token, marker, suppliers)

    @property
    def token(self):
        return self.session.token


def setup_main(c, connections):
    """The buyer the workload reads as, and one supplier (assessment) per wrk connection."""
    main = Buyer(c, "main", 200)
    campaign(c, main, main.ids, "Main")
    writers, bulk, nos = [], None, None
    for i in range(connections + 8):
        invite = c.mailbox.link(f"main-{i}-{c.run}@bench.example", "invitations")
        session = Session(call(c.base, "POST", f"/api/v1/invitations/{invite}/accept", {
            "name": "Sato", "email": f"sato{i}-{c.run}@bench.example", "password": PASSWORD,
            "organization_name": f"Replicas Supplier {i} {c.run}"}))
        access = session.token
        assessment = call(c.base, "GET", "/api/v1/assessments?role=supplier", token=access)["data"][0]["id"]
        if bulk is None:
            questions = call(c.base, "GET", f"/api/v1/assessments/{assessment}/questions?limit=200", token=access)["data"]
            statuses = ["implemented", "partially_implemented", "not_implemented"]
            nos = [q["no"] for q in questions]
            bulk = json.dumps({"answers": [{"no": q["no"], "status": statuses[j % 3], "comment": "bench"}
                                           for j, q in enumerate(questions)]})
        path = f"/api/v1/assessments/{assessment}/answers"
        call(c.base, "POST", path, bulk.encode(), access)
        if i < connections:
            writers.append((path, session))
        else:
            call(c.base, "POST", f"/api/v1/assessments/{assessment}/submit", token=access)
    return main, writers, bulk, nos


# ---------------------------------------------------------------- the workload (wrk + Lua)

LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } kensa_timespec;
int clock_gettime(int clk, kensa_timespec *ts);
]]
local ts = ffi.new("kensa_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local writers = {WRITERS}
local buyer = "BUYER"
local nos = {NOS}
local bulk = [==[BULK]==]
local single = '{"status":"implemented","comment":"bench"}'
local out_path = "OUT"
local interval = INTERVAL
local mix = {"single", "suppliers", "single", "assessments", "single", "suppliers", "single", "assessments", "bulk", "comparison"}

local threads = {}
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  me = writers[((id - 1) % #writers) + 1]
  n = id
  q = id
  next_at = now_ms() + (id - 1) * interval / #writers
  kind = "none"
  started = 0
  -- One line per response, in this thread's own file (buffered; wrk's exit flushes it):
  -- wrk cannot copy nested tables out of a thread reliably.
  log = io.open(out_path .. "." .. id, "w")
  log:setvbuf("full", 65536)
  wh = {["Authorization"] = "Bearer " .. me[2], ["Content-Type"] = "application/json"}
  bh = {["Authorization"] = "Bearer " .. buyer}
end

function delay()
  local now = now_ms()
  next_at = next_at + interval
  if next_at < now then next_at = now end
  return math.floor(next_at - now)
end

function request()
  kind = mix[(n % #mix) + 1]
  n = n + 1
  started = now_ms()
  if kind == "single" then
    q = (q % #nos) + 1
    return wrk.format("PUT", me[1] .. "/" .. nos[q], wh, single)
  elseif kind == "bulk" then
    return wrk.format("POST", me[1], wh, bulk)
  elseif kind == "suppliers" then
    return wrk.format("GET", "/api/v1/suppliers?limit=50", bh)
  elseif kind == "assessments" then
    return wrk.format("GET", "/api/v1/assessments?limit=50", bh)
  else
    return wrk.format("GET", "/api/v1/comparison?limit=50", bh)
  end
end

function response(status, headers, body)
  log:write(kind, " ", status, " ", string.format("%.2f", now_ms() - started), "\n")
end

function done(summary, latency, requests)
  local f = io.open(out_path, "w")
  local e = summary.errors
  f:write(string.format("summary %d %d %d %d %d %d %d %d\n", summary.duration, summary.requests,
    e.connect, e.read, e.write, e.status, e.timeout, counter))
  f:close()
end
"""


def write_lua(c, path, out, main, writers, bulk, nos, rate, connections):
    """The workload's script, with access tokens renewed for the next 15 minutes."""
    for session in [main.session] + [w for _, w in writers]:
        session.renew(c)
    lua = (LUA.replace("WRITERS", ",".join(f'{{"{p}", "{w.token}"}}' for p, w in writers))
           .replace("BUYER", main.token).replace("NOS", ",".join(f'"{n}"' for n in nos))
           .replace("BULK", bulk).replace("OUT", str(out))
           .replace("INTERVAL", f"{1000.0 * connections / rate:.3f}"))
    path.write_text(lua)


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(p / 100 * len(values) + 0.5)) - 1))]


def read_wrk(out):
    result, codes, lat = {}, {}, {}
    threads = 0
    for line in pathlib.Path(out).read_text().splitlines():
        d, n, conn, rd, wr, st, to, threads = map(int, line.split()[1:])
        result.update(duration=d / 1e6, requests=n, socket_errors=conn + rd + wr + to,
                      errors_detail={"connect": conn, "read": rd, "write": wr, "timeout": to, "status>=400": st})
    for t in range(1, threads + 1):
        part = pathlib.Path(f"{out}.{t}")
        for line in part.read_text().splitlines():
            kind, status, ms = line.split()
            codes[f"{kind}:{status}"] = codes.get(f"{kind}:{status}", 0) + 1
            lat.setdefault(kind, []).append(float(ms))
        part.unlink()
    every = [v for vals in lat.values() for v in vals]
    result["codes"] = codes
    result["all"] = {p: pct(every, p) for p in (50, 90, 99, 99.9)}
    result["per_kind"] = {k: {"n": len(v), "p50": pct(v, 50), "p99": pct(v, 99)} for k, v in lat.items()}
    bad = {k: v for k, v in codes.items() if not k.split(":")[1].startswith("2")}
    result["non2xx"] = bad
    result["unexpected"] = sum(v for k, v in bad.items() if not k.endswith(":409")) + result["socket_errors"]
    result["rps"] = result["requests"] / result["duration"]
    return result


class Load:
    """wrk in the background, its own CPU time (from wait4) when it ends."""

    def __init__(self, c, lua, out, seconds, connections):
        self.out = out
        argv = ["wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(lua), c.base]
        self.log = open(c.work / "wrk.log", "a")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        c.procs.append(self.proc)

    def wait(self):
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.returncode = os.waitstatus_to_exitcode(status)
        self.cpu = usage.ru_utime + usage.ru_stime
        if self.proc.returncode != 0:
            raise SystemExit(f"wrk exited with {self.proc.returncode}")
        return read_wrk(self.out)


# ---------------------------------------------------------------- `run`


def wait_mailed(c, marker, n, timeout):
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if c.mailbox.count(f"{marker}-") >= n and c.jobs_open() == 0:
            return time.perf_counter() - t0
        time.sleep(0.5)
    return None


def mail_check(c, marker, n):
    mails = [m for m in c.mailbox.poll() if any(r.startswith(f"{marker}-") for r in m["rcpt"])]
    per_rcpt, per_id, links = {}, {}, {}
    for m in mails:
        for r in m["rcpt"]:
            per_rcpt[r] = per_rcpt.get(r, 0) + 1
            links.setdefault(r, set()).add(tuple(m["links"]))
        per_id[m["id"]] = per_id.get(m["id"], 0) + 1
    expected = {f"{marker}-{i}-{c.run}@bench.example" for i in range(n)}
    dup_rcpt = {r: k for r, k in per_rcpt.items() if k > 1}
    return {"messages": len(mails), "recipients": len(per_rcpt), "lost": len(expected - set(per_rcpt)),
            "duplicate_recipients": len(dup_rcpt), "extra_messages": sum(k - 1 for k in dup_rcpt.values()),
            "duplicate_message_ids": sum(k - 1 for k in per_id.values() if k > 1),
            # A copy resent after a crash is the same message (Message-ID from the job) with the
            # same link (token from the job): a recipient with two different links means the
            # retry killed the first copy's link.
            "extra_copies_as_distinct_messages": len(per_id) - len(per_rcpt),
            "recipients_with_differing_links": sum(1 for v in links.values() if len(v) > 1)}


def phase(c, name, buyer, lua_args, seconds, connections, campaign_size, faults=None):
    out = c.work / f"wrk-{name}.txt"
    lua = c.work / f"mixed-{name}.lua"
    write_lua(c, lua, out, *lua_args)
    before = c.cpu()
    started = time.perf_counter()
    load = Load(c, lua, out, seconds, connections)
    time.sleep(3)
    campaign(c, buyer, buyer.ids[:campaign_size], f"Campaign {name}")
    queued = time.perf_counter()
    mailed_at = []

    def watch():
        while c.mailbox.count(f"{buyer.marker}-") < campaign_size and load.proc.returncode is None:
            time.sleep(0.1)
        mailed_at.append(time.perf_counter() - queued)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    events = faults(c, buyer.marker, campaign_size) if faults else []
    result = load.wait()
    after = c.cpu()
    window = time.perf_counter() - started
    cpu = cpu_delta(before, after)
    cpu["wrk"] = load.cpu
    mailed = c.mailbox.count(f"{buyer.marker}-")
    load_avg = pathlib.Path("/proc/loadavg").read_text().split()[0]
    result.update(name=name, cpu=cpu, window_s=window, mailed_in_window=mailed, events=events, load_avg=load_avg)
    result["campaign_queued_after_s"] = round(queued - started, 1)
    result["campaign_mailed_s"] = round(mailed_at[0], 1) if mailed_at else None
    return result


def faults(kills):
    def run(c, marker, n):
        events, done = [], threading.Event()

        def restarts():
            time.sleep(8)
            for i in (1, 2):
                if done.is_set():
                    return
                events.append(("api restart", c.restart_api(i)))
                time.sleep(5)

        api_thread = threading.Thread(target=restarts)
        api_thread.start()
        try:
            for k in range(kills):
                threshold = n * (k + 1) // (kills + 1)
                t0 = time.time()
                while c.mailbox.count(f"{marker}-") < threshold and time.time() - t0 < 120:
                    time.sleep(0.02)
                w = 1 + k % 2
                got = c.mailbox.count(f"{marker}-")
                pid = c.workers[w].pid
                c.stop(c.workers[w], "worker", signal.SIGKILL)
                c.start_worker(w)
                # The jobs the killed worker held: they wait for their lease to end.
                held = psql(c.db_url, f"SELECT COUNT(*) FROM jobs WHERE status = 'running' AND locked_by LIKE '{pid}-%'")
                events.append(("worker SIGKILL+restart", {"worker": w, "sink_had": got, "jobs_held": int(held)}))
        finally:
            api_thread.join()
            done.set()
        return events
    return run


def fmt_ms(v):
    return f"{v:.1f}"


def report_phase(r, offered):
    lines = [f"### {r['name']}",
             f"offered {offered} req/s, achieved {r['rps']:.1f} req/s over {r['duration']:.0f} s "
             f"({r['requests']} requests, load average {r['load_avg']} at the end); latency ms p50/p90/p99/p99.9 "
             f"{'/'.join(fmt_ms(r['all'][p]) for p in (50, 90, 99, 99.9))}",
             f"non-2xx: {r['non2xx'] or 'none'}; socket errors: {r['errors_detail']}; "
             f"unexpected (non-2xx other than 409, socket errors): {r['unexpected']}",
             "| request | n | p50 ms | p99 ms |", "|---|---|---|---|"]
    for k, v in sorted(r["per_kind"].items()):
        lines.append(f"| {k} | {v['n']} | {fmt_ms(v['p50'])} | {fmt_ms(v['p99'])} |")
    total = sum(r["cpu"].values())
    lines += ["| group | CPU s | CPU s per 1,000 requests |", "|---|---|---|"]
    for g in GROUPS:
        lines.append(f"| {g} | {r['cpu'].get(g, 0):.1f} | {1000 * r['cpu'].get(g, 0) / max(r['requests'], 1):.2f} |")
    lines.append(f"| all | {total:.1f} | {1000 * total / max(r['requests'], 1):.2f} |")
    lines.append(f"campaign queued at {r['campaign_queued_after_s']} s, every invitation at the sink "
                 f"{r['campaign_mailed_s']} s later (None: not within the window); mails at the sink by the end "
                 f"of the window: {r['mailed_in_window']}")
    for kind, detail in r["events"]:
        lines.append(f"- {kind}: {detail}")
    return "\n".join(lines)


def cmd_run(args):
    work = pathlib.Path(tempfile.mkdtemp(prefix="kensa-replicas-"))
    c = Cluster(args, work)
    results = {}
    try:
        c.start(apis=1, workers=1)
        print(f"work dir {work}; haproxy on {c.base}", flush=True)
        main, writers, bulk, nos = setup_main(c, args.connections)
        buyers = {name: Buyer(c, name, args.campaign) for name in ("ca", "cb", "cc", "cd")}
        lua_args = (main, writers, bulk, nos, args.rate, args.connections)
        print("set-up done", flush=True)
        if args.stop_only:
            c.start_api(2)
            c.start_worker(2)
            stop_worker(c, buyers, args, results)
            return

        r = phase(c, "1 api + 1 worker", buyers["ca"], lua_args, args.duration, args.connections, args.campaign)
        r["mail_s"] = wait_mailed(c, "ca", args.campaign, 600)
        r["mail"] = mail_check(c, "ca", args.campaign)
        results["one"] = r
        print(report_phase(r, args.rate), f"\nall mailed after {r['mail_s']} s: {r['mail']}", flush=True)

        c.start_api(2)
        c.start_worker(2)
        r = phase(c, "2 api + 2 workers", buyers["cb"], lua_args, args.duration, args.connections, args.campaign)
        r["mail_s"] = wait_mailed(c, "cb", args.campaign, 600)
        r["mail"] = mail_check(c, "cb", args.campaign)
        results["two"] = r
        print(report_phase(r, args.rate), f"\nall mailed after {r['mail_s']} s: {r['mail']}", flush=True)

        r = phase(c, "faults: workers killed, APIs restarted", buyers["cc"], lua_args, args.duration,
                  args.connections, args.campaign, faults(args.kills))
        print(report_phase(r, args.rate), flush=True)
        print("waiting for the killed workers' jobs (their lease ends 5 minutes after the claim)…", flush=True)
        r["mail_s"] = wait_mailed(c, "cc", args.campaign, 900)
        r["mail"] = mail_check(c, "cc", args.campaign)
        results["faults"] = r
        print(f"all mailed after {r['mail_s']} s: {r['mail']}", flush=True)
        stop_worker(c, buyers, args, results)
        stats = psql(c.db_url, "SELECT status, COUNT(*) FROM jobs GROUP BY status ORDER BY status").split()
        print(f"jobs by status: {stats}")
        (work / "results.json").write_text(json.dumps(results, indent=1, default=str))
        print(f"results in {work / 'results.json'}")
    finally:
        c.close()


def stop_worker(c, buyers, args, results):
    """4. A worker told to stop (SIGTERM, as a deploy does) while a campaign is being mailed:
    how long it takes to exit, and how many of the campaign's mails had gone out by then."""
    campaign(c, buyers["cd"], buyers["cd"].ids[:args.campaign], "Campaign stop")
    while c.mailbox.count("cd-") < args.campaign // 10:
        time.sleep(0.02)
    at = c.mailbox.count("cd-")
    t0 = time.perf_counter()
    c.stop(c.workers[2], "worker", signal.SIGTERM)
    stop = {"sink_had": at, "exit_s": round(time.perf_counter() - t0, 2), "sink_at_exit": c.mailbox.count("cd-")}
    c.start_worker(2)
    stop["mail_s"] = wait_mailed(c, "cd", args.campaign, 900)
    stop["mail"] = mail_check(c, "cd", args.campaign)
    results["sigterm"] = stop
    print(f"### a worker stopped with SIGTERM mid-campaign\n{stop}", flush=True)


# ---------------------------------------------------------------- `soak`


def cmd_soak(args):
    work = pathlib.Path(tempfile.mkdtemp(prefix="kensa-soak-"))
    c = Cluster(args, work)
    rows = []
    stop = threading.Event()
    try:
        c.start(apis=1, workers=1)
        print(f"work dir {work}; haproxy on {c.base}", flush=True)
        main, writers, bulk, nos = setup_main(c, args.connections)
        windows = max(1, args.minutes // 5)
        soak_buyer = Buyer(c, "soak", args.soak_campaign * windows)
        print("set-up done", flush=True)
        t_start = time.perf_counter()

        def sample():
            minute = len(rows) + 1
            rows.append({"minute": minute, "api_rss_mib": rss_mib(c.apis[1].pid),
                         "worker_rss_mib": rss_mib(c.workers[1].pid)})

        def sampler():
            k = 1
            while not stop.wait(max(0, t_start + 60 * k - time.perf_counter())):
                sample()
                k += 1

        thread = threading.Thread(target=sampler, daemon=True)
        thread.start()
        for w in range(windows):
            out = work / f"wrk-soak-{w}.txt"
            lua = work / f"soak-{w}.lua"
            write_lua(c, lua, out, main, writers, bulk, nos, args.rate, args.connections)
            load = Load(c, lua, out, 300, args.connections)
            part = soak_buyer.ids[w * args.soak_campaign:(w + 1) * args.soak_campaign]
            campaign(c, soak_buyer, part, f"Soak {w}")
            r = load.wait()
            row = {"window": w + 1, "requests": r["requests"], "rps": round(r["rps"], 1),
                   "errors": r["unexpected"], "non2xx": sum(r["non2xx"].values()),
                   "p50_ms": round(r["all"][50], 1), "p99_ms": round(r["all"][99], 1)}
            print(json.dumps(row), f"rss {rows[-1] if rows else None}", flush=True)
            # Attached to the minute that ends the window.
            while len(rows) < 5 * (w + 1) and thread.is_alive():
                time.sleep(0.5)
            rows[min(len(rows), 5 * (w + 1)) - 1].update(row)
            write_csv(rows, args.csv)
        stop.set()
        thread.join()
        mailed = mail_check(c, "soak", args.soak_campaign * windows)
        print(f"soak mails: {mailed}")
    finally:
        stop.set()
        c.close()
    write_csv(rows, args.csv)
    print(f"wrote {args.csv}")
    chart(rows, args.png)


def write_csv(rows, path):
    fields = ["minute", "api_rss_mib", "worker_rss_mib", "window", "requests", "rps", "errors", "non2xx", "p50_ms", "p99_ms"]
    with open(path, "w") as f:
        f.write(",".join(fields) + "\n")
        for row in rows:
            f.write(",".join("" if row.get(k) is None else (f"{row[k]:.1f}" if isinstance(row[k], float) else str(row[k]))
                             for k in fields) + "\n")


def chart(rows, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.6), dpi=80)
    minutes = [r["minute"] for r in rows]
    ax.plot(minutes, [r["api_rss_mib"] for r in rows], label="kensa-api RSS (MiB)")
    ax.plot(minutes, [r["worker_rss_mib"] for r in rows], label="kensa-worker RSS (MiB)")
    ax.set_xlabel("minute")
    ax.set_ylabel("MiB")
    ax.set_ylim(bottom=0)
    ax2 = ax.twinx()
    ends = [r for r in rows if "p99_ms" in r]
    ax2.plot([r["minute"] for r in ends], [r["p99_ms"] for r in ends], "o--", color="tab:red", label="p99 per 5 min (ms)")
    ax2.set_ylabel("p99 ms")
    ax2.set_ylim(bottom=0)
    handles = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(handles, [h.get_label() for h in handles], fontsize=7, loc="lower right")
    ax.set_title("Soak: one kensa-api + one kensa-worker on PostgreSQL", fontsize=9)
    fig.tight_layout()
    fig.savefig(png)
    print(f"wrote {png} ({os.path.getsize(png)} bytes)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "soak"):
        p = sub.add_parser(name)
        p.add_argument("--api", required=True, help="kensa-api binary")
        p.add_argument("--worker", required=True, help="kensa-worker binary")
        p.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432/postgres", help="an administrator's URL")
        p.add_argument("--db", default="kensa_replicas" if name == "run" else "kensa_soak")
        p.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379"))
        p.add_argument("--rate", type=float, default=150, help="offered requests/s of the mixed workload")
        p.add_argument("--connections", type=int, default=16)
    run = sub.choices["run"]
    run.add_argument("--duration", type=int, default=60, help="seconds of each phase")
    run.add_argument("--campaign", type=int, default=2000)
    run.add_argument("--kills", type=int, default=3)
    run.add_argument("--stop-only", action="store_true", help="only step 4 (a worker stopped with SIGTERM)")
    soak = sub.choices["soak"]
    soak.add_argument("--minutes", type=int, default=30)
    soak.add_argument("--soak-campaign", type=int, default=300, help="suppliers invited at the start of each window")
    soak.add_argument("--csv", default="docs/soak.csv")
    soak.add_argument("--png", default="docs/soak.png")
    s = sub.add_parser("sink")
    s.add_argument("port", type=int)
    s.add_argument("file")
    args = parser.parse_args()
    if args.command == "sink":
        return sink(args.port, args.file)
    # SIGTERM/SIGINT end the run through the `finally` that stops every process started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    (cmd_run if args.command == "run" else cmd_soak)(args)


if __name__ == "__main__":
    main()
