"""The operator CLI on the real binary: `stoa dev seed`, `stoa users|sessions|accounts`.

Runs on SQLite and on PostgreSQL (a fresh database on $STOA_TEST_PG_URL).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import clean_env


def run(stoa_bin: str, cwd: Path, env: dict[str, str], *args: str, stdin: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([stoa_bin, *args], cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        pytest.fail(f"stoa {' '.join(args)} exited {proc.returncode}\nstdout: {proc.stdout[-2000:]}\nstderr: {proc.stderr[-2000:]}")
    return proc


@pytest.fixture(params=["sqlite", "postgres"])
def cli_env(request, home: Path) -> dict[str, str]:
    env = clean_env(home, BETTER_AUTH_SECRET="cli-test-secret-cli-test-secret-0123")
    if request.param == "postgres":
        env["DATABASE_URL"] = request.getfixturevalue("pg_database")
    return env


def test_seed_and_page_through_10000_users(stoa_bin: str, workdir: Path, cli_env: dict[str, str]) -> None:
    seeded = run(stoa_bin, workdir, cli_env, "dev", "seed", "--users", "10000", "--conversations-per-user", "0",
                 "--messages-per-conversation", "0", "--tasks-per-user", "0")
    assert "Seeded 10000 users" in seeded.stdout
    assert "100%" in seeded.stderr  # the progress bar reached the end
    listed = run(stoa_bin, workdir, cli_env, "users", "list", "--json")
    users = json.loads(listed.stdout)
    assert len(users) == 10000
    assert len({u["id"] for u in users}) == 10000
    assert all("password" not in u for u in users)
    table = run(stoa_bin, workdir, cli_env, "users", "list", "--limit", "1200")
    assert len(table.stdout.strip().splitlines()) == 1201  # header + rows
    assert "1200 user(s)" in table.stderr


def test_seed_conversations_and_messages(stoa_bin: str, workdir: Path, cli_env: dict[str, str]) -> None:
    seeded = run(stoa_bin, workdir, cli_env, "dev", "seed", "--users", "20", "--conversations-per-user", "3", "--messages-per-conversation", "4")
    assert "Seeded 20 users, 60 conversations, 240 messages, 100 tasks" in seeded.stdout


def test_user_lifecycle(stoa_bin: str, workdir: Path, cli_env: dict[str, str]) -> None:
    created = json.loads(run(stoa_bin, workdir, cli_env, "users", "create", "--email", "Ops@Example.com", "--name", "Ops", "--json").stdout)
    assert created["user"]["email"] == "ops@example.com"
    assert len(created["password"]) >= 16  # generated, shown once
    dup = run(stoa_bin, workdir, cli_env, "users", "create", "--email", "ops@example.com", "--name", "Again", check=False)
    assert dup.returncode != 0 and "already exists" in dup.stderr and len(dup.stderr.strip().splitlines()) == 1
    bad = run(stoa_bin, workdir, cli_env, "users", "create", "--email", "nope", "--name", "x", check=False)
    assert bad.returncode != 0 and "not a valid email" in bad.stderr

    run(stoa_bin, workdir, cli_env, "users", "create", "--email", "pw@example.com", "--name", "Pw", "--password-stdin", stdin="password123\n")
    shown = json.loads(run(stoa_bin, workdir, cli_env, "users", "show", "pw@example.com", "--json").stdout)
    assert shown["user"]["name"] == "Pw"
    assert shown["accounts"][0]["providerId"] == "credential"
    assert "password" not in json.dumps(shown["accounts"])

    updated = json.loads(run(stoa_bin, workdir, cli_env, "users", "update", "pw@example.com", "--name", "Renamed", "--verified", "true", "--json").stdout)
    assert updated["name"] == "Renamed" and updated["emailVerified"] is True

    sessions = json.loads(run(stoa_bin, workdir, cli_env, "sessions", "list", "--json").stdout)
    assert sessions == []
    accounts = json.loads(run(stoa_bin, workdir, cli_env, "accounts", "list", "--user", "pw@example.com", "--json").stdout)
    assert len(accounts) == 1

    refused = run(stoa_bin, workdir, cli_env, "users", "delete", "pw@example.com", check=False)
    assert refused.returncode != 0 and "--yes" in refused.stderr
    run(stoa_bin, workdir, cli_env, "users", "delete", "pw@example.com", "--yes")
    gone = run(stoa_bin, workdir, cli_env, "users", "show", "pw@example.com", check=False)
    assert gone.returncode != 0 and "no user" in gone.stderr


def test_sessions_revoke_with_a_running_server(stoa_bin: str, start_server, workdir: Path) -> None:
    server = start_server(env={"BETTER_AUTH_SECRET": "cli-test-secret-cli-test-secret-0123", "STOA_RATE_LIMIT": "off"})
    env = clean_env(Path(server.cwd), BETTER_AUTH_SECRET="cli-test-secret-cli-test-secret-0123")
    import requests
    r = requests.post(server.url("/api/auth/sign-up/email"), json={"name": "S", "email": "s@example.com", "password": "password123"})
    assert r.status_code == 200
    token = r.json()["token"]
    sessions = json.loads(run(stoa_bin, server.cwd, env, "sessions", "list", "--user", "s@example.com", "--json").stdout)
    assert len(sessions) == 1 and "token" not in sessions[0]
    run(stoa_bin, server.cwd, env, "sessions", "revoke", sessions[0]["id"])
    after = requests.get(server.url("/api/auth/get-session"), headers={"Authorization": f"Bearer {token}"})
    assert after.text == "null"
