"""Smoke tests of the real `stoa` binary: zero-config start, the Better Auth email flow on
SQLite and PostgreSQL, configuration errors, the CLI, and shutdown on signals."""

from __future__ import annotations

import re
import signal
import socket
import stat
import subprocess
import time
import uuid
import warnings
from pathlib import Path
from urllib.parse import unquote

import pytest

from conftest import Server, clean_env, client, free_port, psql

TOKEN_RE = re.compile(r"^[A-Za-z0-9]{32}$")
SESSION_COOKIE = "better-auth.session_token"
PASSWORD = "password123"


# --- helpers -----------------------------------------------------------------------------


def set_cookies(response) -> list[str]:
    return list(response.raw.headers.getlist("Set-Cookie"))


def session_cookie_value(response) -> str:
    """The raw (still URL-encoded) value of the session_token Set-Cookie."""
    for header in set_cookies(response):
        if header.startswith(SESSION_COOKIE + "="):
            return header.split(";", 1)[0].split("=", 1)[1]
    raise AssertionError(f"no {SESSION_COOKIE} Set-Cookie in {set_cookies(response)!r}")


def check_health(server: Server) -> None:
    s = client()
    r = s.get(server.url("/healthz"), timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok"}
    r = s.get(server.url("/readyz"), timeout=10)
    assert r.status_code == 200, f"/readyz: {r.status_code} {r.text}"


def email_password_flow(server: Server) -> dict:
    """Sign-up, sign-in and get-session (cookie and bearer). Returns the user."""
    s = client()
    email = f"Smoke.{uuid.uuid4().hex[:8]}@Example.COM"

    # Sign-up like a bare curl: no Origin, no Cookie (the origin check does not apply).
    r = s.post(
        server.url("/api/auth/sign-up/email"),
        json={"name": "Smoke Test", "email": email, "password": PASSWORD},
        timeout=30,
    )
    assert r.status_code == 200, f"sign-up: {r.status_code} {r.text}"
    body = r.json()
    assert TOKEN_RE.match(body.get("token") or ""), f"sign-up token: {body!r}"
    user = body["user"]
    assert user["email"] == email.lower()
    assert user["name"] == "Smoke Test"
    assert user["emailVerified"] is False
    assert TOKEN_RE.match(user["id"]), f"user id: {user['id']!r}"
    assert "password" not in user
    cookies = set_cookies(r)
    assert cookies and any(c.startswith(SESSION_COOKIE + "=") for c in cookies), cookies
    signed = unquote(session_cookie_value(r))
    assert signed.startswith(body["token"] + "."), f"cookie {signed!r} is not <token>.<signature>"
    assert re.fullmatch(r"[A-Za-z0-9+/]{43}=", signed.split(".", 1)[1]), f"signature of {signed!r}"

    # Sign-in from the server's own origin.
    origin = {"Origin": server.origin}
    r = s.post(
        server.url("/api/auth/sign-in/email"),
        json={"email": email, "password": PASSWORD},
        headers=origin,
        timeout=30,
    )
    assert r.status_code == 200, f"sign-in: {r.status_code} {r.text}"
    body = r.json()
    assert body["redirect"] is False
    assert "url" not in body
    token = body["token"]
    assert TOKEN_RE.match(token or ""), f"sign-in token: {body!r}"
    assert body["user"]["id"] == user["id"]
    assert body["user"]["email"] == email.lower()
    cookie = session_cookie_value(r)

    # A wrong password is the uniform 401.
    r = s.post(
        server.url("/api/auth/sign-in/email"),
        json={"email": email, "password": "wrong-password"},
        headers=origin,
        timeout=30,
    )
    assert r.status_code == 401, f"wrong password: {r.status_code} {r.text}"
    assert r.json().get("code") == "INVALID_EMAIL_OR_PASSWORD"

    # No credentials: 200 with a literal null.
    r = s.get(server.url("/api/auth/get-session"), timeout=10)
    assert r.status_code == 200, r.text
    assert r.json() is None

    # The session, by cookie and by bearer token.
    by_cookie = s.get(
        server.url("/api/auth/get-session"), headers={"Cookie": f"{SESSION_COOKIE}={cookie}"}, timeout=10
    )
    by_bearer = s.get(
        server.url("/api/auth/get-session"), headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    for how, r in (("cookie", by_cookie), ("bearer", by_bearer)):
        assert r.status_code == 200, f"get-session by {how}: {r.status_code} {r.text}"
        got = r.json()
        assert got is not None, f"get-session by {how} returned null"
        assert got["session"]["userId"] == user["id"], f"by {how}: {got!r}"
        assert got["session"]["token"] == token, f"by {how}: {got!r}"
        assert got["user"]["id"] == user["id"]
        assert got["user"]["email"] == email.lower()
    return user


def run_cli(stoa_bin: str, args: list[str], cwd: Path, home: Path, env: dict[str, str] | None = None,
            timeout: float = 20.0) -> subprocess.CompletedProcess:
    """Runs `stoa ARGS` with a clean environment; fails the test if it is still running after `timeout`."""
    argv = [stoa_bin, *args]
    try:
        return subprocess.run(
            argv, cwd=cwd, env=clean_env(home, **(env or {})), stdin=subprocess.DEVNULL,
            capture_output=True, text=True, errors="replace", timeout=timeout,
        )
    except subprocess.TimeoutExpired as e:
        out = e.stderr.decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        pytest.fail(f"`{' '.join(args)}` still running after {timeout:.0f}s; stderr so far:\n{out}")


def assert_config_error(result: subprocess.CompletedProcess, must_mention: str) -> None:
    """Non-zero exit, exactly one non-empty stderr line mentioning `must_mention`, no crash."""
    err = result.stderr
    detail = f"exit {result.returncode}\n--- stderr ---\n{err}\n--- stdout ---\n{result.stdout}"
    assert result.returncode > 0, f"expected a non-zero exit (not a signal): {detail}"
    for crash in ("Fatal error", "Stack dump", "Backtrace", "Current stack trace"):
        assert crash not in err and crash not in result.stdout, f"crash output ({crash}): {detail}"
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected exactly one line on stderr: {detail}"
    assert must_mention.lower() in lines[0].lower(), f"stderr should mention {must_mention}: {detail}"


# --- a) zero configuration, SQLite -------------------------------------------------------


def test_zero_config_sqlite_auth_flow(stoa_server: Server):
    check_health(stoa_server)
    email_password_flow(stoa_server)

    data_dir = stoa_server.cwd / ".stoa"
    secret = data_dir / "secret"
    assert secret.is_file(), f"{secret} was not created"
    mode = stat.S_IMODE(secret.stat().st_mode)
    assert mode == 0o600, f"{secret} has mode {oct(mode)}, want 0o600"
    assert len(secret.read_text().strip()) >= 32, "generated secret is shorter than 32 characters"
    assert (data_dir / "stoa.db").is_file(), f"{data_dir / 'stoa.db'} was not created"


# --- b) PostgreSQL -----------------------------------------------------------------------


def test_postgres_auth_flow(pg_database: str, start_server):
    secret = uuid.uuid4().hex + uuid.uuid4().hex  # 64 characters
    server = start_server(env={"DATABASE_URL": pg_database, "BETTER_AUTH_SECRET": secret})
    check_health(server)
    user = email_password_flow(server)

    # The rows really are in PostgreSQL, and no SQLite file was made.
    db_url = pg_database.split("?", 1)[0]
    rows = psql(db_url, f"SELECT email FROM \"user\" WHERE id = '{user['id']}'").split()
    assert rows == [user["email"]], f"user row in PostgreSQL: {rows!r}"
    sessions = int(psql(db_url, f"SELECT count(*) FROM session WHERE \"userId\" = '{user['id']}'").strip())
    assert sessions == 2, f"want 2 sessions (sign-up, sign-in), found {sessions}"
    assert not (server.cwd / ".stoa" / "stoa.db").exists(), "a SQLite file was created despite DATABASE_URL"


# --- c) bad configuration ----------------------------------------------------------------


def test_unsupported_database_url_is_one_clear_line(stoa_bin, workdir, home):
    result = run_cli(
        stoa_bin, ["serve", "--host", "127.0.0.1", "--port", str(free_port())], workdir, home,
        env={"DATABASE_URL": "mysql://x"},
    )
    assert_config_error(result, "DATABASE_URL")


def test_unknown_role_is_one_clear_line(stoa_bin, workdir, home):
    result = run_cli(
        stoa_bin, ["serve", "--host", "127.0.0.1", "--port", str(free_port()), "--role", "nope"], workdir, home,
    )
    assert_config_error(result, "role")


def test_auth_role_requires_a_secret(stoa_bin, workdir, home):
    result = run_cli(
        stoa_bin, ["serve", "--host", "127.0.0.1", "--port", str(free_port()), "--role", "auth"], workdir, home,
    )
    assert_config_error(result, "BETTER_AUTH_SECRET")
    assert not (workdir / ".stoa" / "secret").exists(), "--role auth must not generate a secret"


# --- d) CLI ------------------------------------------------------------------------------


def test_help_lists_commands(stoa_bin, workdir, home):
    result = run_cli(stoa_bin, ["--help"], workdir, home)
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    assert re.search(r"\bserve\b", result.stdout), result.stdout
    assert re.search(r"\bmigrate\b", result.stdout), result.stdout


def test_migrate_status_zero_config(stoa_bin, workdir, home):
    result = run_cli(stoa_bin, ["migrate", "status"], workdir, home, timeout=30)
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stderr}\n{result.stdout}"
    assert "Fatal error" not in result.stderr


# --- e) signals --------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stops_on_signal(start_server, sig):
    server = start_server()
    server.proc.send_signal(sig)
    started = time.monotonic()
    try:
        code = server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        pytest.fail(f"stoa serve still running 10 s after {sig.name}")
    elapsed = time.monotonic() - started
    # 0 is wanted (graceful shutdown); death by the signal itself is tolerated with a warning.
    assert code in (0, -sig, 128 + sig), f"exit code {code} after {sig.name}: a crash?"
    assert "Fatal error" not in server.stderr_text()
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", server.port)) != 0, "port still accepting after exit"
    if code != 0:
        warnings.warn(f"stoa serve stopped in {elapsed:.1f}s after {sig.name} but exited {code}, not 0")
