"""The OpenAPI description (Sources/StoaServer/OpenAPI/openapi.json): it is valid OpenAPI 3.1,
it names exactly the routes the server registers, the server serves it at /openapi.json, and
schemathesis finds the real server conforming to it."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from conftest import Server, clean_env, client
from test_admin_cli import run

ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = ROOT / "Sources" / "StoaServer" / "OpenAPI" / "openapi.json"
SOURCES = ROOT / "Sources" / "StoaServer"
METHODS = ("get", "post", "put", "patch", "delete")
PASSWORD = "password123"

# What schemathesis checks on every response.
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
SEED = "20261203"
SCHEMATHESIS_TIMEOUT = 1800  # seconds for one whole run
# The server under test: no IP rate limit, no per-user turn limit (a fuzzer sends hundreds of
# chat turns a minute), and access JWTs that outlive a slow run (the default is 900 s).
SERVER_ENV = {"STOA_RATE_LIMIT": "off", "STOA_USER_RATE_LIMIT": "0", "STOA_JWT_EXPIRATION": "7200"}


def load_spec() -> dict:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def spec_operations(spec: dict) -> dict[tuple[str, str], dict]:
    return {(method.upper(), path): op for path, item in spec["paths"].items() for method, op in item.items()
            if method in METHODS}


# --- a) the document ------------------------------------------------------------------------


def test_spec_is_valid_openapi_3_1():
    from openapi_spec_validator import validate

    spec = load_spec()
    validate(spec)
    assert spec["openapi"] == "3.1.0"
    ops = spec_operations(spec)
    ids = [op["operationId"] for op in ops.values()]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    for (method, path), op in ops.items():
        where = f"{method} {path}"
        assert path.startswith("/api/"), where
        assert op.get("summary") and op.get("tags"), f"{where}: summary and tags"
        assert "default" in op["responses"], f"{where}: a default (error) response"
        assert "security" in op or not path.startswith("/api/auth/"), f"{where}: auth routes state their security"


# The document and the router's route list are compared both ways in Swift
# (Tests/StoaServerTests/OpenAPITests.swift), against the real router of every role.


# --- helpers --------------------------------------------------------------------------------


def sign_up(server: Server, label: str) -> tuple[str, str]:
    """A new user; returns (session token, access JWT)."""
    s = client()
    email = f"openapi.{label}.{uuid.uuid4().hex[:10]}@example.com"
    r = s.post(server.url("/api/auth/sign-up/email"), json={"name": "OpenAPI", "email": email, "password": PASSWORD},
               timeout=30)
    assert r.status_code == 200, f"sign-up: {r.status_code} {r.text}"
    token = r.json()["token"]
    r = s.get(server.url("/api/auth/token"), headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200, f"/api/auth/token: {r.status_code} {r.text}"
    return token, r.json()["token"]


def test_server_serves_the_spec(start_server):
    server = start_server()
    r = client().get(server.url("/openapi.json"), timeout=10)
    assert r.status_code == 200, f"GET /openapi.json: {r.status_code} {r.text[:300]}"
    assert r.headers.get("Content-Type", "").split(";")[0].strip() == "application/json", r.headers
    assert r.json() == load_spec(), "GET /openapi.json differs from Sources/StoaServer/OpenAPI/openapi.json"


def test_every_documented_operation_is_routed(start_server):
    """Each operation reaches a handler: never the router's answer to an unknown route (404 with an
    empty body under /api/auth, 404 `Not found` under /api). Requests carry no body, so each
    handler refuses them or answers harmlessly."""
    server = start_server(env=SERVER_ENV)
    _, jwt = sign_up(server, "routes")
    s = client()
    unrouted = []
    for (method, path), op in sorted(spec_operations(load_spec()).items()):
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        headers = {} if path.startswith("/api/auth/") else {"Authorization": f"Bearer {jwt}"}
        r = s.request(method, server.url(url), headers=headers, timeout=30, allow_redirects=False)
        if r.status_code == 404 and (not r.content or r.json() == {"message": "Not found", "code": "NOT_FOUND"}):
            unrouted.append(f"{method} {path} ({op['operationId']}): {r.status_code} {r.text[:100]!r}")
    assert unrouted == [], "documented but not routed:\n" + "\n".join(unrouted)


# --- b) schemathesis against the real server ------------------------------------------------


def schemathesis_bin() -> str:
    """The CLI of the venv running the tests (Tests/e2e/requirements.txt installs it)."""
    candidate = Path(sys.executable).parent / "schemathesis"
    if candidate.is_file():
        return str(candidate)
    found = shutil.which("schemathesis")
    if not found:
        pytest.fail("the schemathesis CLI is not installed (pip install -r Tests/e2e/requirements.txt)")
    return found


def run_schemathesis(server: Server, bearer: str, workdir: Path, capsys, *extra: str) -> str:
    """Runs `schemathesis run` on the spec file against `server`; fails the test on a non-zero
    exit. Prints its case count to the terminal; returns its output."""
    examples = os.environ.get("STOA_SCHEMATHESIS_EXAMPLES", "25")
    argv = [
        schemathesis_bin(), "run", str(SPEC_PATH),
        "--url", server.base_url,
        "--header", f"Authorization: Bearer {bearer}",
        "--checks", CHECKS,
        "--max-examples", examples,
        "--seed", SEED,
        # One worker: with two, Hypothesis' lambda-source inspection (ast.parse from two threads)
        # trips CPython 3.11's "AST constructor recursion depth mismatch" now and then, an error
        # of the tool that would make this test flaky.
        "--workers", "1",
        "--request-timeout", "60",
        "--generation-database", "none",  # reproducible from the seed; writes no .hypothesis/
        "--no-color",
        *extra,
    ]
    shown = [a if not a.startswith("Authorization:") else "Authorization: Bearer <token>" for a in argv]
    started = time.monotonic()
    try:
        result = subprocess.run(argv, cwd=workdir, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                errors="replace", timeout=SCHEMATHESIS_TIMEOUT,
                                env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "NO_COLOR": "1"})
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
        pytest.fail(f"schemathesis still running after {SCHEMATHESIS_TIMEOUT} s:\n{out[-20000:]}")
    elapsed = time.monotonic() - started
    output = result.stdout + ("\n--- stderr ---\n" + result.stderr if result.stderr.strip() else "")
    cases = re.search(r"(\d+) generated, (.*)", output)
    summary = (f"schemathesis: {cases[0].strip() if cases else 'no case count found'} "
               f"in {elapsed:.0f} s, exit {result.returncode}\n$ {' '.join(shown)}")
    # On the terminal even when the test passes (pytest shows captured output only on failure).
    with capsys.disabled():
        print("\n" + summary)
    assert result.returncode == 0, f"{summary}\n{output[-30000:]}"
    return output


def ingest_documents(stoa_bin: str, workdir: Path, home: Path, tmp_path: Path) -> None:
    """A few documents, so that the document list, search hits and cited sources are checked too
    (one folder with a public URL, one without: `source` is null there)."""
    published = tmp_path / "docs"
    (published / "guide").mkdir(parents=True)
    (published / "guide" / "install.md").write_text(
        "---\ntitle: Installing Stoa\n---\n# Installing Stoa\n\n## Requirements\n\n"
        "Stoa runs on SQLite or PostgreSQL.\n\n## Start\n\nRun stoa serve to install and start the server.\n")
    (published / "tasks.md").write_text("# Tasks\n\nThe assistant adds, lists and completes your tasks.\n")
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "releases.md").write_text("# Release notes\n\nVersion 1 describes the API in OpenAPI.\n")
    env = clean_env(home)
    run(stoa_bin, workdir, env, "docs", "ingest", str(published), "--base-url", "https://docs.example/stoa", "--quiet")
    run(stoa_bin, workdir, env, "docs", "ingest", str(notes), "--quiet")


def test_schemathesis_conformance(start_server, stoa_bin, workdir, home, tmp_path, capsys):
    """Every operation, every phase, signed in with an access JWT. Nothing is excluded: the
    routes that could hurt the test user (delete-user, revoke-sessions, sign-out) do not take a
    JWT as a session (the bearer plugin of /api/auth wants a session token), so they only
    ever refuse or act on other, fuzzer-made sessions."""
    ingest_documents(stoa_bin, workdir, home, tmp_path)
    server = start_server(env=SERVER_ENV)
    _, jwt = sign_up(server, "fuzz")
    report_dir = tmp_path / "schemathesis"
    report_dir.mkdir()
    output = run_schemathesis(server, jwt, report_dir, capsys, "--phases", "examples,coverage,fuzzing,stateful")
    assert re.search(r"Operations:\s+(\d+) selected / \1 total", output), "schemathesis skipped operations:\n" + output


# The /api/auth routes that need a session, driven with a session token (the bearer plugin) so
# that their success answers are checked too (the run above only sees them refuse a JWT).
# Left out, because each would end what the rest of the run signs in with: delete-user (deletes
# the test user), revoke-sessions and sign-out (end the session), and revoke-session
# (schemathesis reuses values it saw in responses, so it sends the session's own token, which
# list-sessions and get-session return).
SESSION_OPERATIONS = ("getSession", "listSessions", "getToken", "updateUser", "changePassword", "revokeOtherSessions")


def test_schemathesis_auth_session_routes(start_server, tmp_path, capsys):
    server = start_server(env=SERVER_ENV)
    token, _ = sign_up(server, "session")
    run_schemathesis(
        server, token, tmp_path, capsys,
        "--phases", "examples,coverage,fuzzing",  # no stateful phase: its links lead outside this set
        "--include-operation-id-regex", "^(" + "|".join(SESSION_OPERATIONS) + ")$",
        # Random session cookies would only ever meet the origin check (403) of these POSTs.
        "--generation-with-security-parameters", "false",
    )
    # The session survived the run (nothing above may end it).
    r = client().get(server.url("/api/auth/get-session"), headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert r.status_code == 200 and r.json() is not None, f"the test session was ended: {r.status_code} {r.text}"
