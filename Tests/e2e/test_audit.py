"""The audit trail on the real binary: a sign-up / failed and good sign-in / password reset /
account deletion flow, read back with `stoa audit list --json` and `GET /api/me/activity`;
after the deletion the rows stay without email, address or user agent.

Runs on SQLite and on PostgreSQL (a fresh database on $STOA_TEST_PG_URL).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from conftest import StartServer, Server, clean_env, client

SECRET = "audit-test-secret-audit-test-secret-0123"
AGENT = "audit-e2e/1.0 (pytest)"


@pytest.fixture(params=["sqlite", "postgres"])
def audit_env(request, home: Path) -> dict[str, str]:
    env = clean_env(home, BETTER_AUTH_SECRET=SECRET, STOA_RATE_LIMIT="off")
    if request.param == "postgres":
        env["DATABASE_URL"] = request.getfixturevalue("pg_database")
    return env


def stoa(stoa_bin: str, cwd: Path, env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([stoa_bin, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        pytest.fail(f"stoa {' '.join(args)} exited {proc.returncode}\nstdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}")
    return proc


def audit(stoa_bin: str, cwd: Path, env: dict[str, str], *args: str) -> list[dict]:
    rows = json.loads(stoa(stoa_bin, cwd, env, "audit", "list", "--json", *args).stdout)
    assert isinstance(rows, list)
    return rows


def post(server: Server, path: str, body: dict, token: str | None = None):
    headers = {"User-Agent": AGENT, "Origin": server.origin}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client().post(server.url("/api/auth" + path), json=body, headers=headers, timeout=30)


def reset_link(server: Server) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        m = re.search(r"link=(\S+)", server.stdout_text() + server.stderr_text())
        if m:
            return m.group(1)
        time.sleep(0.1)
    pytest.fail("no reset link in the server log")


def test_flow_is_recorded_and_survives_deletion_without_personal_fields(
    stoa_bin: str, start_server: StartServer, workdir: Path, audit_env: dict[str, str]
) -> None:
    server = start_server(env=audit_env)
    email = "Audit.Person@example.com"
    signed = post(server, "/sign-up/email", {"name": "Audit", "email": email, "password": "first-password-1"})
    assert signed.status_code == 200, signed.text
    user_id = signed.json()["user"]["id"]
    assert post(server, "/sign-in/email", {"email": email, "password": "not-the-password"}).status_code == 401
    assert post(server, "/sign-in/email", {"email": "ghost@example.com", "password": "ghost-password-1"}).status_code == 401
    good = post(server, "/sign-in/email", {"email": email, "password": "first-password-1"})
    assert good.status_code == 200, good.text
    assert post(server, "/request-password-reset", {"email": email, "redirectTo": "/reset-password"}).status_code == 200
    token = urlsplit(reset_link(server)).path.rsplit("/", 1)[-1]
    assert post(server, "/reset-password", {"token": token, "newPassword": "second-password-2"}).status_code == 200
    again = post(server, "/sign-in/email", {"email": email, "password": "second-password-2"})
    assert again.status_code == 200, again.text
    session = again.json()["token"]

    # The user's own view: their events only, newest first, no email anywhere.
    mine = client().get(server.url("/api/me/activity?limit=100"), headers={"Authorization": f"Bearer {session}"}, timeout=30)
    assert mine.status_code == 200, mine.text
    assert [e["type"] for e in mine.json()["items"]] == [
        "session.signed_in", "password.reset_completed", "password.reset_requested", "session.signed_in",
        "session.sign_in_failed", "user.signed_up",
    ]
    assert "@" not in mine.text and "ghost" not in mine.text
    assert all(e["ipAddress"] == "127.0.0.1" and e["userAgent"] == AGENT for e in mine.json()["items"])
    assert client().get(server.url("/api/me/activity?limit=0"), headers={"Authorization": f"Bearer {session}"}, timeout=30).status_code == 400

    # The operator's view, by email: the same flow, oldest last, with address, agent and email as typed.
    rows = audit(stoa_bin, workdir, audit_env, "--user", email.lower())
    assert [r["type"] for r in rows] == [e["type"] for e in mine.json()["items"]]
    assert all(r["userId"] == user_id and r["ipAddress"] == "127.0.0.1" and r["userAgent"] == AGENT for r in rows)
    assert rows[-1]["email"] == email.lower()  # sign-up stores the account's address
    assert rows[-2]["email"] == email and rows[-2]["detail"] == {"reason": "wrong_password"}
    ghost = audit(stoa_bin, workdir, audit_env, "--user", "ghost@example.com")
    assert [(r["type"], r["userId"], r["email"]) for r in ghost] == [("session.sign_in_failed", None, "ghost@example.com")]
    everything = json.dumps(audit(stoa_bin, workdir, audit_env))
    for secret in ["first-password-1", "second-password-2", "not-the-password", "ghost-password-1", token, session]:
        assert secret not in everything

    deleted = post(server, "/delete-user", {"password": "second-password-2"}, token=session)
    assert deleted.status_code == 200, deleted.text

    # After the deletion: the rows stay, by user id, without email, address or user agent.
    after = audit(stoa_bin, workdir, audit_env, "--user", user_id)
    assert [r["type"] for r in after] == ["user.deleted"] + [r["type"] for r in rows]
    for r in after:
        assert r["userId"] == user_id
        assert r["email"] is None and r["ipAddress"] is None and r["userAgent"] is None, r
    assert email.lower() not in json.dumps(audit(stoa_bin, workdir, audit_env))
    # The unknown address's failed sign-in is someone else's: untouched.
    assert audit(stoa_bin, workdir, audit_env, "--user", "ghost@example.com")[0]["ipAddress"] == "127.0.0.1"

    # The table for people, and the time filters.
    table = stoa(stoa_bin, workdir, audit_env, "audit", "list", "--since", "1h", "--limit", "3")
    lines = table.stdout.strip().splitlines()
    assert lines[0].split()[:3] == ["time", "type", "user"] and len(lines) == 4
    assert "user.deleted" in lines[1]


@pytest.mark.parametrize("args,message", [
    (["--since", "yesterday"], "--since"),
    (["--since", "5y"], "--since"),
    (["--since", "2999-01-01T00:00:00Z"], "--since"),
    (["--limit", "0"], "--limit"),
    (["--limit", "many"], "--limit"),
    (["--user", ""], "--user"),
])
def test_bad_input_is_refused_clearly(stoa_bin: str, workdir: Path, home: Path, args: list[str], message: str) -> None:
    env = clean_env(home, BETTER_AUTH_SECRET=SECRET)
    proc = stoa(stoa_bin, workdir, env, "audit", "list", *args, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Fatal error" not in proc.stderr and "Stack" not in proc.stderr


def test_retention_setting_is_validated(stoa_bin: str, workdir: Path, home: Path) -> None:
    env = clean_env(home, BETTER_AUTH_SECRET=SECRET, STOA_AUDIT_RETENTION_DAYS="-3")
    proc = stoa(stoa_bin, workdir, env, "audit", "list", check=False)
    assert proc.returncode != 0
    assert "STOA_AUDIT_RETENTION_DAYS must be a whole number from 0 to 36500" in proc.stderr
