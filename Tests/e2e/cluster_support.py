"""Support for the production e2e proofs (test_cluster.py, test_faults.py): nginx in front of
several `stoa serve` replicas on one PostgreSQL, which replica answered a request (from the
replicas' own JSON request logs), a private throwaway PostgreSQL cluster that a test may stop
and start, and the figures a test reports.

nginx runs as a child process (`daemon off`) with a configuration generated in the test's
tmp dir: pid, logs and temp paths there, listening on 127.0.0.1 only. The configuration
follows docs/deploy.md (forwarded headers, X-Request-Id, keep-alive upstreams, SSE
unbuffered, timeouts), without TLS.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest
import requests

from conftest import Server, StartServer, clean_env, client, free_port

SECRET = "e2e-cluster-secret-" + "0123456789abcdef" * 3
PASSWORD = "password123"
NGINX_START_TIMEOUT = 15.0
LOG_WAIT = 5.0  # seconds to wait for a request line to reach a replica's log


# --- figures -----------------------------------------------------------------------------


def report(name: str, figures: dict) -> None:
    """Prints the figures (visible with pytest -s) and writes them to
    $STOA_E2E_REPORT_DIR/<name>.json when that variable is set."""
    text = json.dumps(figures, indent=2, sort_keys=True, default=str)
    print(f"\n[e2e figures] {name}: {text}", flush=True)
    out = os.environ.get("STOA_E2E_REPORT_DIR")
    if out:
        Path(out).mkdir(parents=True, exist_ok=True)
        (Path(out) / f"{name}.json").write_text(text + "\n")


# --- HTTP endpoints ----------------------------------------------------------------------


class Endpoint:
    """Anything with a base URL: a replica (conftest.Server) or nginx."""

    base_url: str

    def url(self, path: str) -> str:
        return self.base_url + path


@dataclass
class Account:
    email: str
    id: str
    session_token: str
    jwt: str = ""

    @property
    def auth(self) -> dict[str, str]:
        """Bearer access JWT (test_mcp.User's interface, so http_session() takes an Account)."""
        return {"Authorization": f"Bearer {self.jwt}"}

    @property
    def session_auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.session_token}"}


def sign_up(ep, name: str = "Cluster", headers: dict[str, str] | None = None) -> Account:
    email = f"{name.lower()}.{uuid.uuid4().hex[:10]}@example.com"
    r = client().post(ep.url("/api/auth/sign-up/email"), json={"name": name, "email": email, "password": PASSWORD},
                      headers=headers or {}, timeout=30)
    assert r.status_code == 200, f"sign-up via {ep.base_url}: {r.status_code} {r.text}"
    body = r.json()
    return Account(email, body["user"]["id"], body["token"])


def sign_in(ep, email: str, password: str = PASSWORD, headers: dict[str, str] | None = None) -> requests.Response:
    return client().post(ep.url("/api/auth/sign-in/email"), json={"email": email, "password": password},
                         headers=headers or {}, timeout=30)


def access_token(ep, session_token: str) -> str:
    r = client().get(ep.url("/api/auth/token"), headers={"Authorization": f"Bearer {session_token}"}, timeout=30)
    assert r.status_code == 200, f"GET {ep.base_url}/api/auth/token: {r.status_code} {r.text}"
    return r.json()["token"]


def new_account(ep, name: str = "Cluster", headers: dict[str, str] | None = None) -> Account:
    """Signed up, with an access JWT."""
    acct = sign_up(ep, name, headers)
    acct.jwt = access_token(ep, acct.session_token)
    return acct


# --- which replica answered --------------------------------------------------------------


def request_lines(server: Server) -> list[dict]:
    """The JSON `request` lines (STOA_LOG_FORMAT=json) in a replica's stderr so far."""
    lines = []
    for raw in server.stderr_text().splitlines():
        raw = raw.strip()
        if not raw.startswith("{"):
            continue
        try:
            entry = json.loads(raw)
        except ValueError:
            continue
        if entry.get("message") == "request":
            lines.append(entry)
    return lines


def replicas_of(replicas: list[Server], request_ids: list[str], timeout: float = LOG_WAIT) -> dict[str, int]:
    """Maps each request id to the index of the replica whose log has its request line. Waits
    up to `timeout` for lines still being written; fails if an id is in no log or in two."""
    wanted = set(request_ids)
    deadline = time.monotonic() + timeout
    while True:
        found: dict[str, list[int]] = {}
        for i, server in enumerate(replicas):
            for line in request_lines(server):
                rid = line.get("request_id")
                if rid in wanted:
                    found.setdefault(rid, []).append(i)
        missing = wanted - set(found)
        if not missing or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert not missing, f"{len(missing)} request ids are in no replica's log, e.g. {sorted(missing)[:3]}"
    twice = {rid: where for rid, where in found.items() if len(where) > 1}
    assert not twice, f"request ids logged by more than one replica: {twice}"
    return {rid: where[0] for rid, where in found.items()}


def spread(replicas: list[Server], responses: list[requests.Response]) -> list[int]:
    """How many of `responses` each replica answered (by the echoed X-Request-Id)."""
    ids = []
    for r in responses:
        rid = r.headers.get("X-Request-Id", "")
        assert rid, f"no X-Request-Id on {r.request.method} {r.url}: {r.status_code}"
        ids.append(rid)
    where = replicas_of(replicas, ids)
    counts = [0] * len(replicas)
    for rid in ids:
        counts[where[rid]] += 1
    return counts


def route_count(server: Server, route: str) -> int:
    return sum(1 for line in request_lines(server) if line.get("route") == route)


# --- replicas ----------------------------------------------------------------------------


def start_replicas(start_server: StartServer, tmp_path: Path, n: int, env: dict[str, str],
                   role: str = "all", ports: list[int] | None = None, migrate: bool = True) -> list[Server]:
    """`n` replicas of one role, each in its own working directory, one after the other (the
    first applies the migrations unless `migrate` is false)."""
    out = []
    for i in range(n):
        cwd = tmp_path / f"{role}-{i + 1}"
        cwd.mkdir(exist_ok=True)
        args = ("--no-migrate",) if (i > 0 or not migrate) else ()
        out.append(start_server(env={**env, "STOA_ROLE": role}, args=args, cwd=cwd,
                                port=ports[i] if ports else None))
    return out


def cluster_env(db_url: str, base_url: str, **extra: str) -> dict[str, str]:
    """What every replica of one deployment shares (docs/deploy.md, Several replicas)."""
    return {
        "DATABASE_URL": db_url,
        "BETTER_AUTH_SECRET": SECRET,
        "BETTER_AUTH_URL": base_url,
        "STOA_TRUSTED_PROXIES": "loopback",
        "STOA_RATE_LIMIT_STORAGE": "database",
        "STOA_LOG_FORMAT": "json",
        # The default rule (100 per 10 s per IP) would count this test's own 50 ms polling of
        # get-session and /token from one address; sign-in keeps its own 3-per-10-s rule.
        "STOA_RATE_LIMIT_MAX": "100000",
        **extra,
    }


def run_stoa_cli(stoa_bin: str, args: list[str], env: dict[str, str], home: Path, timeout: float = 30.0) -> str:
    r = subprocess.run([stoa_bin, *args], env=clean_env(home, **env), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, errors="replace", timeout=timeout, cwd=home)
    assert r.returncode == 0, f"stoa {' '.join(args)}: exit {r.returncode}\n{r.stderr}\n{r.stdout}"
    return r.stdout


def rotate_key(stoa_bin: str, db_url: str, home: Path) -> str:
    """`stoa keys rotate` on the shared database; returns the new kid."""
    out = run_stoa_cli(stoa_bin, ["keys", "rotate"], {"DATABASE_URL": db_url, "BETTER_AUTH_SECRET": SECRET}, home)
    m = re.search(r"New signing key (\S+)", out)
    assert m, f"`stoa keys rotate` printed no new kid: {out!r}"
    return m.group(1)


# --- nginx -------------------------------------------------------------------------------

PROXY_HEADERS = """
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Request-Id $request_id;
            proxy_buffering off;
            proxy_cache off;
            proxy_next_upstream error timeout;
            proxy_connect_timeout 2s;
            proxy_send_timeout 60s;"""


@dataclass
class Nginx(Endpoint):
    proc: subprocess.Popen
    port: int
    prefix: Path
    conf: Path
    stderr_path: Path
    upstreams: dict[str, list[int]] = field(default_factory=dict)

    @property
    def base_url(self) -> str:  # type: ignore[override]
        return f"http://127.0.0.1:{self.port}"

    def logs(self) -> str:
        parts = [f"$ nginx -p {self.prefix} -c {self.conf} (exit {self.proc.returncode})"]
        for name in ("error.log", "access.log"):
            p = self.prefix / "logs" / name
            if p.exists():
                parts.append(f"--- {name} ---\n{p.read_text(errors='replace')[-8000:]}")
        if self.stderr_path.exists():
            parts.append(f"--- stderr ---\n{self.stderr_path.read_text(errors='replace')[-4000:]}")
        return "\n".join(parts)

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # fast shutdown
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def nginx_config(prefix: Path, port: int, upstreams: dict[str, list[int]], auth_pool: str | None) -> str:
    """Upstream pools (round-robin, keep-alive, no stickiness); `/api/auth/` goes to
    `auth_pool` when given, everything else (and `/mcp`) to the pool named `stoa` or `api`."""
    main_pool = "api" if "api" in upstreams else "stoa"
    ups = []
    for name, ports in upstreams.items():
        servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=1 fail_timeout=10s;" for p in ports)
        ups.append(f"    upstream {name} {{\n{servers}\n        keepalive 64;\n    }}")
    auth_location = ""
    if auth_pool:
        auth_location = f"""
        location /api/auth/ {{
            proxy_pass http://{auth_pool};{PROXY_HEADERS}
            proxy_read_timeout 120s;
        }}"""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    t = prefix / "tmp"
    return f"""{user}worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format e2e '$request_id $remote_addr "$request" $status $upstream_addr $upstream_status $request_time';
    access_log {prefix}/logs/access.log e2e;
    client_body_temp_path {t}/client;
    proxy_temp_path {t}/proxy;
    fastcgi_temp_path {t}/fastcgi;
    uwsgi_temp_path {t}/uwsgi;
    scgi_temp_path {t}/scgi;
{chr(10).join(ups)}
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        client_max_body_size 1m;
{auth_location}
        location / {{
            proxy_pass http://{main_pool};{PROXY_HEADERS}
            proxy_read_timeout 120s;
        }}
        location /mcp {{
            proxy_pass http://{main_pool};{PROXY_HEADERS}
            proxy_read_timeout 300s;
        }}
    }}
}}
"""


StartNginx = Callable[..., Nginx]


@pytest.fixture
def start_nginx(request, tmp_path: Path) -> Iterator[StartNginx]:
    """Returns `start(port, upstreams, auth_pool=None)`: nginx in front of the given upstream
    pools (name -> replica ports), listening on 127.0.0.1:`port`. It need not wait for the
    replicas (nginx resolves upstreams statically); it waits until nginx accepts connections.
    Stopped at the end of the test; its logs go into a failing test's report."""
    started: list[Nginx] = []
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.access(exe, os.X_OK):
        pytest.fail("nginx not found (Debian package `nginx`; scripts/test installs it)")

    def start(port: int, upstreams: dict[str, list[int]], auth_pool: str | None = None) -> Nginx:
        prefix = tmp_path / f"nginx{len(started) + 1}"
        for d in ("logs", "tmp"):
            (prefix / d).mkdir(parents=True, exist_ok=True)
        conf = prefix / "nginx.conf"
        conf.write_text(nginx_config(prefix, port, upstreams, auth_pool))
        errp = prefix / "stderr"
        with open(errp, "wb") as fe:
            proc = subprocess.Popen([exe, "-p", str(prefix), "-e", str(prefix / "logs" / "error.log"), "-c", str(conf),
                                     "-g", "daemon off;"], stdin=subprocess.DEVNULL, stdout=fe, stderr=fe)
        lb = Nginx(proc, port, prefix, conf, errp, upstreams)
        started.append(lb)
        deadline = time.monotonic() + NGINX_START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"nginx exited with {proc.returncode}\n{lb.logs()}")
            with socket.socket() as s:
                s.settimeout(1)
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return lb
            time.sleep(0.05)
        lb.stop()
        pytest.fail(f"nginx did not listen on {port} within {NGINX_START_TIMEOUT:.0f}s\n{lb.logs()}")

    request.node.nginx_instances = started
    yield start
    for lb in started:
        lb.stop()


# --- a private PostgreSQL cluster that a test may stop --------------------------------------


def _pg_bin() -> Path:
    env = os.environ.get("STOA_PG_BIN")
    if env and (Path(env) / "pg_ctl").exists():
        return Path(env)
    best, best_ver = None, -1
    for d in Path("/usr/lib/postgresql").glob("*/bin"):
        try:
            ver = int(d.parent.name.split(".")[0])
        except ValueError:
            continue
        if (d / "initdb").exists() and ver > best_ver:
            best, best_ver = d, ver
    if best is None:
        pytest.fail("no PostgreSQL under /usr/lib/postgresql/*/bin (apt-get install postgresql)")
    return best


class PgCluster:
    """initdb + pg_ctl like scripts/lib/postgres.sh (trust auth, fsync off), in a directory of
    its own under $TMPDIR (pytest's tmp dir is private to root, and the server runs as
    `postgres` when we are root), on a fixed port so that it comes back where it was."""

    def __init__(self) -> None:
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="stoa-e2e-pg."))
        self.port = free_port()
        self.root = os.geteuid() == 0
        if self.root:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o700)
        self._as_owner([str(self.bin / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres",
                        "-E", "UTF8", "--locale=C.UTF-8"], timeout=120)

    @property
    def admin_url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}?sslmode=disable"

    def _as_owner(self, argv: list[str], timeout: float) -> subprocess.CompletedProcess:
        if self.root:
            import shlex
            argv = ["su", "postgres", "-s", "/bin/sh", "-c", "cd / && " + " ".join(shlex.quote(a) for a in argv)]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            log = (self.dir / "log").read_text(errors="replace")[-3000:] if (self.dir / "log").exists() else ""
            pytest.fail(f"{' '.join(argv)} failed ({r.returncode}): {r.stderr}\n{r.stdout}\n{log}")
        return r

    def start(self) -> None:
        opts = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._as_owner([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-l", str(self.dir / "log"),
                        "-w", "-t", "60", "-o", opts, "start"], timeout=90)

    def stop(self) -> None:
        """`pg_ctl stop -m fast`: ends every connection, returns when the server is gone."""
        self._as_owner([str(self.bin / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "-t", "60", "stop"],
                       timeout=90)

    def psql(self, database: str, sql: str) -> str:
        r = subprocess.run([str(self.bin / "psql"), self.url(database).split("?")[0], "-X", "-q", "-t", "-A",
                            "-v", "ON_ERROR_STOP=1", "-c", sql], capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            pytest.fail(f"psql {sql[:200]!r}: {r.stderr}")
        return r.stdout

    def destroy(self) -> None:
        if (self.dir / "data" / "postmaster.pid").exists():
            try:
                self.stop()
            except BaseException:  # noqa: BLE001 - cleanup must go on
                pid = (self.dir / "data" / "postmaster.pid").read_text().split("\n", 1)[0].strip()
                if pid.isdigit():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_pg() -> Iterator[PgCluster]:
    """A fresh PostgreSQL cluster of this test's own, started; removed at the end."""
    pg = PgCluster()
    try:
        pg.start()
        yield pg
    finally:
        pg.destroy()


# --- misc --------------------------------------------------------------------------------


def leaves(exc: BaseException) -> list[BaseException]:
    """The exceptions inside (nested) exception groups, e.g. from the MCP client's task group."""
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in leaves(sub)]
    return [exc]


class Checks:
    """Independent steps of one scenario: each runs even when an earlier one failed, and the
    test fails at the end with every failure (so a run shows all that is missing at once).

        checks = Checks()
        with checks("revocation"):
            ...
        checks.verify()
    """

    def __init__(self) -> None:
        self.failures: list[str] = []

    def __call__(self, name: str):
        checks = self

        class _Step:
            def __enter__(self):
                return self

            def __exit__(self, kind, exc, tb):
                if exc is None or not isinstance(exc, Exception):
                    return False
                import traceback
                where = "".join(traceback.format_exception(kind, exc, tb, limit=-3))
                what = "; ".join(f"{type(e).__name__}: {e}" for e in leaves(exc))
                checks.failures.append(f"[{name}] {what}\n{where}")
                print(f"\n[e2e check failed] {name}: {what}", flush=True)
                return True

        return _Step()

    def verify(self) -> None:
        if self.failures:
            raise AssertionError(f"{len(self.failures)} check(s) failed:\n\n" + "\n\n".join(self.failures))



def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return -1.0


def open_sockets(pid: int) -> int:
    n = 0
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                    n += 1
            except OSError:
                pass
    except OSError:
        pass
    return n
