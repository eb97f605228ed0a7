"""Faults survived (issue 21, "How it is shown": Database outage, Crash, Soak), on the real
binary.

- Database outage: two replicas on a PostgreSQL cluster of the test's own, under a chat-turn
  load; PostgreSQL is stopped (`pg_ctl stop -m fast`) for 10 s and started again. Requests in
  the outage fail fast with 503; each replica serves again within 5 s of PostgreSQL accepting
  connections; every message acknowledged with a 2xx is in the `message` table (counted).
- Crash: `kill -9` of one of two replicas (behind nginx) under a task-creation load: every
  acknowledged task is in the database and the other replica keeps serving through nginx. On
  SQLite: one server killed under load; the file opens, `PRAGMA integrity_check` is `ok`,
  every acknowledged task is there, and the server starts again on the same file.
- Soak: 1,000 concurrent keep-alive connections for 60 s of mixed traffic (wrk) against one
  replica: no socket error, no non-2xx, resident memory < 150 MB.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from cluster_support import (  # noqa: F401 - start_nginx and private_pg are fixtures
    SECRET,
    Account,
    Checks,
    cluster_env,
    new_account,
    open_sockets,
    private_pg,
    report,
    rss_mb,
    start_nginx,
    start_replicas,
)
from conftest import client, free_port, psql

E2E_DIR = Path(__file__).resolve().parent

OUTAGE = 10.0  # seconds PostgreSQL stays down
FAIL_FAST = 2.0  # a request during the outage answers 503 within this
NO_HANG = 5.0  # no request at all takes longer than this
BACK_WITHIN = 5.0  # a 2xx within this of PostgreSQL accepting connections again
REQUEST_TIMEOUT = (5, 20)  # the client's own bound, far above the ones asserted


# --- a write load ------------------------------------------------------------------------


@dataclass
class Attempt:
    worker: int
    target: int  # index of the replica (or 0 for nginx)
    start: float
    end: float
    status: int | None  # None: no HTTP answer (error)
    error: str = ""
    code: str = ""
    text: str = ""  # what was written
    ids: tuple[str, ...] = ()  # ids of the rows the 2xx answer acknowledged

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


class Load:
    """Worker threads, each writing as its own user in a loop until stopped, every attempt
    recorded. `write(session, worker, n) -> (status, code, text, ids)`."""

    def __init__(self, targets: list, accounts: list[Account], write, pause: float = 0.03):
        self.targets, self.accounts, self.write, self.pause = targets, accounts, write, pause
        self.attempts: list[Attempt] = []
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(len(accounts))]

    def _run(self, worker: int) -> None:
        target = worker % len(self.targets)
        ep = self.targets[target]
        http = client()  # one keep-alive connection per worker
        n = 0
        while not self.stop_event.is_set():
            start = time.monotonic()
            try:
                status, code, text, ids = self.write(http, ep, self.accounts[worker], worker, n)
                attempt = Attempt(worker, target, start, time.monotonic(), status, code=code, text=text, ids=ids)
            except Exception as e:  # noqa: BLE001 - every failure is recorded and judged
                attempt = Attempt(worker, target, start, time.monotonic(), None, error=f"{type(e).__name__}: {e}")
                http = client()
            with self.lock:
                self.attempts.append(attempt)
            n += 1
            time.sleep(self.pause)

    def start(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def stop(self) -> list[Attempt]:
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in self.threads), "a load thread did not stop within 30 s"
        with self.lock:
            return sorted(self.attempts, key=lambda a: a.start)


class OpenLoad(Load):
    """Open loop: a new request every `interval` s, each on its own thread and connection,
    whether or not the earlier ones have answered (clients keep arriving while the service is
    in trouble, so requests do start during an outage even if earlier ones hang). Targets and
    users in turn."""

    def __init__(self, targets: list, accounts: list[Account], write, interval: float = 0.05):
        super().__init__(targets, accounts, write)
        self.interval = interval
        self.threads = [threading.Thread(target=self._dispatch, daemon=True)]
        self.inflight: list[threading.Thread] = []

    def _one(self, n: int) -> None:
        worker = n % len(self.accounts)
        target = n % len(self.targets)
        start = time.monotonic()
        try:
            status, code, text, ids = self.write(client(), self.targets[target], self.accounts[worker], worker, n)
            attempt = Attempt(worker, target, start, time.monotonic(), status, code=code, text=text, ids=ids)
        except Exception as e:  # noqa: BLE001 - every failure is recorded and judged
            attempt = Attempt(worker, target, start, time.monotonic(), None, error=f"{type(e).__name__}: {e}")
        with self.lock:
            self.attempts.append(attempt)

    def _dispatch(self) -> None:
        n = 0
        next_at = time.monotonic()
        while not self.stop_event.is_set():
            t = threading.Thread(target=self._one, args=(n,), daemon=True)
            t.start()
            self.inflight.append(t)
            n += 1
            next_at += self.interval
            self.stop_event.wait(max(0.0, next_at - time.monotonic()))

    def stop(self) -> list[Attempt]:
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=30)
        deadline = time.monotonic() + REQUEST_TIMEOUT[0] + REQUEST_TIMEOUT[1] + 5
        for t in self.inflight:
            t.join(timeout=max(0.1, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self.inflight), "a request thread did not finish"
        with self.lock:
            return sorted(self.attempts, key=lambda a: a.start)


def error_code(r) -> str:
    try:
        body = r.json()
        return str(body.get("code", "")) if isinstance(body, dict) else ""
    except ValueError:
        return ""


def chat_turn(conversations: dict[str, str]):
    """A chat turn with the built-in model (JSON answer): the user's message and the
    assistant's reply are acknowledged by a 201."""

    def write(http, ep, acct: Account, worker: int, n: int):
        text = f"outage probe {worker}-{n} {uuid.uuid4().hex[:8]}"
        r = http.post(ep.url(f"/api/conversations/{conversations[acct.id]}/messages"), json={"content": text},
                      headers=acct.auth, timeout=REQUEST_TIMEOUT)
        ids: tuple[str, ...] = ()
        if 200 <= r.status_code < 300:
            body = r.json()
            assert body["userMessage"]["content"] == text, body
            ids = (body["userMessage"]["id"], body["assistantMessage"]["id"])
        return r.status_code, error_code(r), text, ids

    return write


def add_task(http, ep, acct: Account, worker: int, n: int):
    text = f"crash probe {worker}-{n} {uuid.uuid4().hex[:8]}"
    r = http.post(ep.url("/api/tasks"), json={"title": text}, headers=acct.auth, timeout=REQUEST_TIMEOUT)
    ids: tuple[str, ...] = ()
    if 200 <= r.status_code < 300:
        body = r.json()
        assert body["title"] == text, body
        ids = (body["id"],)
    return r.status_code, error_code(r), text, ids


def sql_list(values) -> str:
    return ",".join("'" + v.replace("'", "''") + "'" for v in values)


def quiet_env(**extra: str) -> dict[str, str]:
    """Rate limiting off (these tests sign several users up from one address; the limiter is
    test_cluster's subject), no per-user chat limit, logs as JSON."""
    return {"STOA_RATE_LIMIT": "off", "STOA_USER_RATE_LIMIT": "0", "STOA_LOG_FORMAT": "json", **extra}


# --- 3. database outage ------------------------------------------------------------------


def test_database_outage_under_chat_load(private_pg, start_server, tmp_path):
    private_pg.psql("postgres", "CREATE DATABASE stoa")
    db_url = private_pg.url("stoa")
    port = free_port()
    replicas = start_replicas(start_server, tmp_path, 2, cluster_env(db_url, f"http://127.0.0.1:{port}", **quiet_env()))

    accounts, conversations = [], {}
    for i in range(4):
        acct = new_account(replicas[i % 2], f"Outage{i}")
        r = client().post(replicas[i % 2].url("/api/conversations"), json={"title": "outage"}, headers=acct.auth, timeout=30)
        assert r.status_code == 201, r.text
        accounts.append(acct)
        conversations[acct.id] = r.json()["id"]

    load = OpenLoad(replicas, accounts, chat_turn(conversations)).start()
    try:
        time.sleep(3)
        going_down = time.monotonic()
        private_pg.stop()
        down = time.monotonic()
        time.sleep(max(0.0, OUTAGE - (down - going_down)))
        coming_up = time.monotonic()
        private_pg.start()  # pg_ctl -w: returns once PostgreSQL accepts connections
        up = time.monotonic()
        # Wait for a 2xx from every replica after `up` (bounded), then a little more load.
        deadline = up + BACK_WITHIN + 10
        while time.monotonic() < deadline:
            with load.lock:
                back = {a.target for a in load.attempts if a.ok and a.start >= up}
            if back == {0, 1}:
                break
            time.sleep(0.1)
        time.sleep(2)
    finally:
        attempts = load.stop()

    # Requests started while PostgreSQL was down: each answers within FAIL_FAST, and those
    # started at least FAIL_FAST before it came back answer 503.
    in_outage = [a for a in attempts if down <= a.start <= coming_up]
    surely_down = [a for a in in_outage if a.start <= coming_up - FAIL_FAST]
    acked = [a for a in attempts if a.ok]
    back_after = {}
    for i in range(2):
        first = next((a for a in attempts if a.target == i and a.ok and a.start >= up), None)
        back_after[f"replica {i + 1}"] = round(first.end - up, 3) if first else None
    statuses: dict[str, int] = {}
    for a in attempts:
        key = str(a.status) if a.status is not None else "error"
        statuses[key] = statuses.get(key, 0) + 1

    # Every acknowledged message (the user's and the assistant's) is in the database.
    ids = [i for a in acked for i in a.ids]
    rows = {}
    for chunk in range(0, len(ids), 500):
        out = private_pg.psql("stoa", f'SELECT "id", "role", "content" FROM "message" WHERE "id" IN ({sql_list(ids[chunk:chunk + 500])})')
        for line in out.splitlines():
            mid, role, content = line.split("|", 2)
            rows[mid] = (role, content)
    missing = [i for i in ids if i not in rows]
    wrong = [a.text for a in acked if rows.get(a.ids[0], ("", ""))[1] != a.text]

    figures = {
        "requests": len(attempts),
        "statuses": statuses,
        "acknowledged_turns": len(acked),
        "acknowledged_messages": len(ids),
        "messages_found_in_db": len(ids) - len(missing),
        "in_outage_requests": len(in_outage),
        "in_outage_statuses": sorted({f"{a.status} {a.code}".strip() for a in in_outage}),
        "in_outage_max_seconds": round(max((a.seconds for a in in_outage), default=0), 3),
        "in_outage_median_seconds": round(sorted(a.seconds for a in in_outage)[len(in_outage) // 2], 3) if in_outage else None,
        "in_outage_over_1s": sum(1 for a in in_outage if a.seconds > 1.0),
        "max_seconds_any_request": round(max((a.seconds for a in attempts), default=0), 3),
        "pg_stop_seconds": round(down - going_down, 3),
        "load_average": round(os.getloadavg()[0], 1),
        "back_after_pg_up_seconds": back_after,
        "errors": sorted({a.error for a in attempts if a.status is None})[:5],
        "non_2xx_answers": sorted({f"{a.status} {a.code}" for a in attempts if a.status is not None and not a.ok}),
        # Requests over NO_HANG or without an answer: when each started (seconds after PostgreSQL
        # was told to stop; it was gone at pg_stop_seconds, told to start at about OUTAGE, up at
        # pg_up_seconds), on which replica, and how it ended.
        "pg_up_seconds": round(up - going_down, 3),
        "hung": [{"started": round(a.start - going_down, 3), "seconds": round(a.seconds, 3), "replica": a.target + 1,
                  "answer": f"{a.status} {a.code}".strip() if a.status is not None else a.error[:80]}
                 for a in attempts if a.seconds > NO_HANG or a.status is None][:10],
    }
    report("fault_database_outage", figures)

    checks = Checks()
    with checks("acknowledged writes are in the database"):
        assert len(acked) >= 20, f"too few acknowledged turns to mean anything: {figures}"
        assert not missing, f"{len(missing)} of {len(ids)} acknowledged messages are not in the database: {missing[:5]}"
        assert not wrong, f"acknowledged messages saved with other content: {wrong[:5]}"
    with checks("requests during the outage fail fast with 503"):
        assert len(surely_down) >= 8, f"too few requests started during the outage: {figures}"
        slow = sorted((round(a.seconds, 3) for a in in_outage if a.seconds > FAIL_FAST), reverse=True)
        assert not slow, (f"{len(slow)} of {len(in_outage)} requests started during the outage took over {FAIL_FAST} s "
                          f"(longest first): {slow[:10]}")
        not_503 = [f"{a.status or a.error} {a.code}".strip() for a in surely_down if a.status != 503]
        assert not not_503, f"during the outage, answers other than 503: {sorted(set(not_503))} ({len(not_503)} of {len(surely_down)})"
    with checks("no request hangs"):
        assert figures["max_seconds_any_request"] <= NO_HANG, f"a request took {figures['max_seconds_any_request']} s"
        assert not [a for a in attempts if a.status is None], f"requests without an HTTP answer: {figures['errors']}"
    with checks("service back within 5 s of PostgreSQL"):
        for name, took in back_after.items():
            assert took is not None and took <= BACK_WITHIN, (
                f"{name}: no 2xx within {BACK_WITHIN} s of PostgreSQL accepting connections again ({took})")
    for s in replicas:
        assert s.proc.poll() is None, f"a replica exited\n{s.logs()}"
    checks.verify()


# --- 4. crash ----------------------------------------------------------------------------


def test_kill_9_one_of_two_replicas_under_write_load(pg_database, start_server, start_nginx, tmp_path):
    port = free_port()
    a, b = start_replicas(start_server, tmp_path, 2, cluster_env(pg_database, f"http://127.0.0.1:{port}", **quiet_env()))
    lb = start_nginx(port, {"stoa": [a.port, b.port]})
    accounts = [new_account(lb, f"Crash{i}") for i in range(4)]

    load = Load([lb], accounts, add_task).start()
    try:
        time.sleep(2.5)
        a.proc.kill()  # SIGKILL
        a.proc.wait(timeout=10)
        killed = time.monotonic()
        time.sleep(3.5)
    finally:
        attempts = load.stop()

    acked = [x for x in attempts if x.ok]
    failed = [x for x in attempts if not x.ok]
    after = [x for x in attempts if x.start >= killed + 0.5]
    db_url = pg_database.split("?", 1)[0]
    found: dict[str, str] = {}
    ids = [x.ids[0] for x in acked]
    for chunk in range(0, len(ids), 500):
        for line in psql(db_url, f'SELECT "id", "title" FROM "task" WHERE "id" IN ({sql_list(ids[chunk:chunk + 500])})').splitlines():
            tid, title = line.split("|", 1)
            found[tid] = title
    missing = [x.text for x in acked if found.get(x.ids[0]) != x.text]
    r = client().get(b.url("/api/tasks?limit=5"), headers=accounts[0].auth, timeout=30)

    figures = {
        "requests": len(attempts),
        "acknowledged": len(acked),
        "found_in_db": len(acked) - len(missing),
        "failed": [f"{x.status or x.error} {x.code}".strip() for x in failed],
        "requests_after_kill": len(after),
        "ok_after_kill": sum(1 for x in after if x.ok),
        "killed_replica_served": sum(1 for line in a.stderr_text().splitlines() if '"route":"/api/tasks"' in line),
    }
    report("fault_kill_replica_postgres", figures)

    assert len(acked) >= 20, f"too few acknowledged writes: {figures}"
    assert figures["killed_replica_served"] > 0, "the killed replica served no writes before the kill"
    assert not missing, f"{len(missing)} acknowledged tasks are not in the database: {missing[:5]}"
    assert len(failed) <= len(accounts), f"more failed writes than were in flight at the kill: {figures['failed']}"
    assert len(after) >= 20 and all(x.ok for x in after), (
        f"the other replica did not keep serving through nginx: {[(x.status, x.error) for x in after if not x.ok][:10]}")
    assert r.status_code == 200, f"the surviving replica: {r.status_code} {r.text}"
    assert b.proc.poll() is None, f"the surviving replica exited\n{b.logs()}"


def test_kill_9_sqlite_under_write_load(start_server, workdir, tmp_path):
    server = start_server(env=quiet_env())
    accounts = [new_account(server, f"Lite{i}") for i in range(3)]
    load = Load([server], accounts, add_task).start()
    try:
        time.sleep(2.5)
        server.proc.kill()
        server.proc.wait(timeout=10)
        time.sleep(0.5)
    finally:
        attempts = load.stop()
    acked = [x for x in attempts if x.ok]

    db = workdir / ".stoa" / "stoa.db"
    assert db.is_file(), f"no SQLite file at {db}"
    conn = sqlite3.connect(str(db), timeout=10)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchall()
        found = dict(conn.execute('SELECT "id", "title" FROM "task"').fetchall())
    finally:
        conn.close()
    missing = [x.text for x in acked if found.get(x.ids[0]) != x.text]

    # The server starts again on the same file (same port: the JWTs' issuer is its URL).
    again = start_server(env=quiet_env(), cwd=workdir, port=server.port)
    listed: set[str] = set()
    for acct in accounts:
        cursor = None
        while True:
            q = "/api/tasks?status=all&limit=100" + (f"&cursor={cursor}" if cursor else "")
            r = client().get(again.url(q), headers=acct.auth, timeout=30)
            assert r.status_code == 200, f"after the restart, GET /api/tasks: {r.status_code} {r.text}"
            page = r.json()
            listed |= {t["id"] for t in page["items"]}
            cursor = page.get("nextCursor")
            if not cursor:
                break

    figures = {
        "requests": len(attempts),
        "acknowledged": len(acked),
        "integrity_check": [row[0] for row in integrity],
        "found_in_file": len(acked) - len(missing),
        "listed_after_restart": len({x.ids[0] for x in acked} & listed),
    }
    report("fault_kill_sqlite", figures)
    assert len(acked) >= 20, f"too few acknowledged writes: {figures}"
    assert integrity == [("ok",)], f"PRAGMA integrity_check: {integrity}"
    assert not missing, f"{len(missing)} acknowledged tasks are not in the file: {missing[:5]}"
    assert {x.ids[0] for x in acked} <= listed, "acknowledged tasks missing from the API after the restart"


# --- 5. soak -----------------------------------------------------------------------------

SOAK_CONNECTIONS = 1000
SOAK_SECONDS = 60
RSS_LIMIT_MB = 150.0


def test_soak_1000_keepalive_connections(pg_database, start_server, tmp_path):
    wrk = shutil.which("wrk")
    assert wrk, "wrk is not installed (Debian package `wrk`)"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = SOAK_CONNECTIONS * 4
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard != resource.RLIM_INFINITY else want, hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= SOAK_CONNECTIONS * 2, "cannot raise ulimit -n"

    port = free_port()
    # STOA_MAX_CONNECTIONS defaults to 4,096, above the 1,000 used here; rate limiting is off
    # (one client address would hit the per-IP rule on get-session).
    server = start_server(env={"DATABASE_URL": pg_database, "BETTER_AUTH_SECRET": SECRET, "STOA_RATE_LIMIT": "off",
                               "STOA_USER_RATE_LIMIT": "0", "STOA_MAX_CONNECTIONS": "4096"}, port=port)

    lines = []
    for i in range(20):
        acct = new_account(server, f"Soak{i}")
        conv = client().post(server.url("/api/conversations"), json={"title": "soak"}, headers=acct.auth, timeout=30)
        assert conv.status_code == 201, conv.text
        for text in ("add a task buy milk", "what's on my list?"):
            r = client().post(server.url(f"/api/conversations/{conv.json()['id']}/messages"), json={"content": text},
                              headers=acct.auth, timeout=30)
            assert r.status_code == 201, r.text
        lines += [f"/api/me\t{acct.jwt}"] * 3
        lines += [f"/api/user/history?limit=20\t{acct.jwt}"] * 3
        lines += [f"/api/conversations?limit=20\t{acct.jwt}"] * 2
        lines += [f"/api/auth/get-session\t{acct.session_token}"] * 2
        lines += ["/healthz\t-"]
    requests_file = tmp_path / "soak-requests.txt"
    requests_file.write_text("\n".join(lines) + "\n")

    samples: list[tuple[float, float, int]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                samples.append((time.monotonic(), rss_mb(server.proc.pid), open_sockets(server.proc.pid)))
            except OSError:
                pass
            stop.wait(0.5)

    rss_before = rss_mb(server.proc.pid)
    load_before = os.getloadavg()[0]
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cmd = ([*(["nice", "-n", "-5"] if os.geteuid() == 0 else []), wrk, "-t2", f"-c{SOAK_CONNECTIONS}",
            f"-d{SOAK_SECONDS}s", "--timeout", "30s", "--latency", "-s", str(E2E_DIR / "soak.lua"),
            server.base_url, "--", str(requests_file)])
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=SOAK_SECONDS + 90, stdin=subprocess.DEVNULL)
    finally:
        stop.set()
        sampler.join(timeout=5)
    line = next((l for l in out.stdout.splitlines() if l.startswith("SOAKJSON ")), None)
    assert line, f"wrk printed no result (exit {out.returncode}):\n{out.stdout}\n{out.stderr}"
    result = json.loads(line[len("SOAKJSON "):])

    figures = {
        "connections": SOAK_CONNECTIONS,
        "seconds": SOAK_SECONDS,
        "requests": result["requests"],
        "req_per_s": round(result["rps"], 1),
        "p50_ms": round(result["p50_us"] / 1000, 2),
        "p99_ms": round(result["p99_us"] / 1000, 2),
        "max_ms": round(result["max_us"] / 1000, 2),
        "non_2xx": result["non2xx"],
        "non_2xx_by_status": result["non2xx_by_status"],
        "socket_errors": {k: result[k] for k in ("err_connect", "err_read", "err_write", "err_timeout")},
        "wrk_status_errors": result["err_status"],
        "rss_before_mb": round(rss_before, 1),
        "rss_max_mb": round(max((s[1] for s in samples), default=-1), 1),
        "open_sockets_max": max((s[2] for s in samples), default=0),
        # The machine's 1-minute load average before and after: the figures mean little when
        # other work starves this one (2 shared cores).
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
    }
    report("soak", figures)
    print(f"soak: {figures['req_per_s']} req/s, p99 {figures['p99_ms']} ms, max RSS {figures['rss_max_mb']} MB, "
          f"{figures['open_sockets_max']} sockets open at most", flush=True)

    assert server.proc.poll() is None, f"the server exited during the soak\n{server.logs()}"
    assert result["requests"] > 0
    assert all(v == 0 for v in figures["socket_errors"].values()), f"socket errors: {figures['socket_errors']}"
    assert figures["non_2xx"] == 0 and result["err_status"] == 0, f"non-2xx answers: {figures['non_2xx']} {figures['non_2xx_by_status']}"
    assert figures["open_sockets_max"] >= SOAK_CONNECTIONS, (
        f"the server never held {SOAK_CONNECTIONS} connections at once (at most {figures['open_sockets_max']} sockets)")
    assert figures["rss_max_mb"] < RSS_LIMIT_MB, f"RSS reached {figures['rss_max_mb']} MB (limit {RSS_LIMIT_MB})"
