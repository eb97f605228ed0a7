"""Fixtures for the end-to-end suite: they run the real `stoa` binary ($STOA_BIN).

Every server runs in a fresh temporary working directory with a clean environment
(PATH and HOME only, plus what a test adds) on a free loopback port.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests

START_TIMEOUT = 30.0  # seconds until /healthz must answer
STOP_TIMEOUT = 10.0  # seconds between SIGTERM and SIGKILL


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_env(home: Path, **extra: str) -> dict[str, str]:
    """PATH and HOME only (HOME is a private empty directory), plus `extra`."""
    env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "HOME": str(home)}
    env.update(extra)
    return env


def client() -> requests.Session:
    """A session that ignores proxy variables and never stores cookies (tests send them)."""
    s = requests.Session()
    s.trust_env = False
    s.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    return s


@dataclass
class Server:
    """A running `stoa serve`."""

    proc: subprocess.Popen
    cwd: Path
    port: int
    stdout_path: Path
    stderr_path: Path
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        """The server's default base URL origin (`http://<host>:<port>`)."""
        return self.base_url

    def url(self, path: str) -> str:
        return self.base_url + path

    def stderr_text(self) -> str:
        return self.stderr_path.read_text(errors="replace") if self.stderr_path.exists() else ""

    def stdout_text(self) -> str:
        return self.stdout_path.read_text(errors="replace") if self.stdout_path.exists() else ""

    def logs(self) -> str:
        return (
            f"$ {' '.join(self.argv)}  (cwd {self.cwd}, exit {self.proc.returncode})\n"
            f"env: {', '.join(k + '=' + ('<set>' if 'SECRET' in k else v) for k, v in self.env.items())}\n"
            f"--- stderr ---\n{self.stderr_text()[-20000:]}\n"
            f"--- stdout ---\n{self.stdout_text()[-5000:]}"
        )

    def stop(self, timeout: float = STOP_TIMEOUT) -> int | None:
        """SIGTERM, then SIGKILL after `timeout`. Returns the exit code (None if it had to be killed)."""
        if self.proc.poll() is not None:
            return self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            return None


@pytest.fixture(scope="session")
def stoa_bin() -> str:
    path = os.environ.get("STOA_BIN", "")
    if not path:
        pytest.fail("STOA_BIN is not set: it must name the built `stoa` executable (scripts/test sets it)")
    if not os.path.isfile(path) or not os.access(path, os.X_OK):
        pytest.fail(f"STOA_BIN={path!r} is not an executable file")
    return path


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A fresh, empty working directory for the process under test."""
    d = tmp_path / "cwd"
    d.mkdir()
    return d


@pytest.fixture
def home(tmp_path: Path) -> Path:
    d = tmp_path / "home"
    d.mkdir()
    return d


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """When a test fails, attach the logs of the servers it started to its report."""
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for i, server in enumerate(getattr(item, "stoa_servers", [])):
            rep.sections.append((f"stoa server {i + 1} ({rep.when})", server.logs()))
        for i, backend in enumerate(getattr(item, "jwt_backends", [])):
            rep.sections.append((f"jwt backend {i + 1} ({rep.when})", backend.logs()))
        for i, proxy in enumerate(getattr(item, "nginx_instances", [])):
            rep.sections.append((f"nginx {i + 1} ({rep.when})", proxy.logs()))


StartServer = Callable[..., Server]


@pytest.fixture
def start_server(request, stoa_bin: str, tmp_path: Path, workdir: Path, home: Path) -> Iterator[StartServer]:
    """Returns `start(env=None, args=(), cwd=None, port=None)`; each call starts `stoa serve`
    (on `port`, else a free one) and waits for `/healthz`. Every server is stopped at the end
    of the test."""
    servers: list[Server] = []
    request.node.stoa_servers = servers

    def start(
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
        cwd: Path | None = None,
        port: int | None = None,
    ) -> Server:
        n = len(servers) + 1
        port = port or free_port()
        argv = [stoa_bin, "serve", "--host", "127.0.0.1", "--port", str(port), *args]
        run_env = clean_env(home, **(env or {}))
        out = tmp_path / f"server{n}.stdout"
        errp = tmp_path / f"server{n}.stderr"
        with open(out, "wb") as fo, open(errp, "wb") as fe:
            proc = subprocess.Popen(
                argv, cwd=cwd or workdir, env=run_env, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe
            )
        server = Server(proc, cwd or workdir, port, out, errp, argv, run_env)
        servers.append(server)
        wait_healthy(server)
        return server

    yield start

    for server in servers:
        server.stop()


def wait_healthy(server: Server, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    s = client()
    last = "no answer"
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"stoa serve exited with {server.proc.returncode} before /healthz answered\n{server.logs()}")
        try:
            r = s.get(server.url("/healthz"), timeout=2)
            if r.status_code == 200:
                return
            last = f"HTTP {r.status_code}: {r.text[:200]}"
        except requests.RequestException as e:
            last = type(e).__name__
        time.sleep(0.1)
    server.stop()
    pytest.fail(f"/healthz did not answer 200 within {timeout:.0f}s (last: {last})\n{server.logs()}")


@pytest.fixture
def stoa_server(start_server: StartServer) -> Server:
    """`stoa serve` with no configuration at all: SQLite in ./.stoa, generated secret."""
    return start_server()


# --- PostgreSQL --------------------------------------------------------------------------


def psql_path() -> str:
    pg_bin = os.environ.get("STOA_PG_BIN")
    if pg_bin and os.access(os.path.join(pg_bin, "psql"), os.X_OK):
        return os.path.join(pg_bin, "psql")
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/psql"),
        key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0,
    )
    if versions:
        return versions[-1]
    found = shutil.which("psql")
    if not found:
        pytest.fail("psql not found (install the postgresql package)")
    return found


def psql(url: str, sql: str) -> str:
    r = subprocess.run(
        [psql_path(), url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", sql],
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
    )
    if r.returncode != 0:
        pytest.fail(f"psql failed ({r.returncode}) running {sql!r}: {r.stderr.strip()}")
    return r.stdout


def with_database(url: str, database: str, query: str = "") -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, query, ""))


@pytest.fixture
def pg_database() -> Iterator[str]:
    """A fresh, empty PostgreSQL database on $STOA_TEST_PG_URL's server; yields its URL."""
    admin = os.environ.get("STOA_TEST_PG_URL", "")
    if not admin:
        pytest.fail("STOA_TEST_PG_URL is not set (scripts/test starts PostgreSQL and sets it)")
    name = "e2e_" + uuid.uuid4().hex[:12]
    psql(admin, f"CREATE DATABASE {name}")
    try:
        yield with_database(admin, name, "sslmode=disable")
    finally:
        # Tests request this fixture before start_server, so the server is stopped first;
        # FORCE ends any connection that is left anyway.
        psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# --- JWT backend (jwt_backend_app.py) ----------------------------------------------------

E2E_DIR = Path(__file__).resolve().parent
BACKEND_START_TIMEOUT = 20.0


StartJwtBackend = Callable[..., Server]


@pytest.fixture
def start_jwt_backend(request, tmp_path: Path, home: Path) -> Iterator[StartJwtBackend]:
    """Returns `start(jwks_url, issuer, audience)`; each call runs the FastAPI app
    `jwt_backend_app:app` under uvicorn (this interpreter, cwd Tests/e2e) on a free port and
    waits for its `/healthz`. Every backend is stopped at the end of the test. Its logs are
    attached to the report of a failing test."""
    backends: list[Server] = []
    request.node.jwt_backends = backends

    def start(jwks_url: str, issuer: str, audience: str) -> Server:
        n = len(backends) + 1
        port = free_port()
        argv = [
            sys.executable, "-m", "uvicorn", "jwt_backend_app:app",
            "--host", "127.0.0.1", "--port", str(port), "--no-server-header",
        ]
        run_env = clean_env(
            home, JWKS_URL=jwks_url, JWT_ISSUER=issuer, JWT_AUDIENCE=audience, PYTHONDONTWRITEBYTECODE="1"
        )
        out = tmp_path / f"backend{n}.stdout"
        errp = tmp_path / f"backend{n}.stderr"
        with open(out, "wb") as fo, open(errp, "wb") as fe:
            proc = subprocess.Popen(
                argv, cwd=E2E_DIR, env=run_env, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe
            )
        backend = Server(proc, E2E_DIR, port, out, errp, argv, run_env)
        backends.append(backend)
        deadline = time.monotonic() + BACKEND_START_TIMEOUT
        s = client()
        last = "no answer"
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"jwt backend exited with {proc.returncode} before /healthz answered\n{backend.logs()}")
            try:
                r = s.get(backend.url("/healthz"), timeout=2)
                if r.status_code == 200:
                    return backend
                last = f"HTTP {r.status_code}: {r.text[:200]}"
            except requests.RequestException as e:
                last = type(e).__name__
            time.sleep(0.1)
        backend.stop()
        pytest.fail(f"jwt backend /healthz did not answer 200 within {BACKEND_START_TIMEOUT:.0f}s "
                    f"(last: {last})\n{backend.logs()}")

    yield start

    for backend in backends:
        backend.stop()
