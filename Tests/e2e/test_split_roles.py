"""Split deployment: `--role auth` issues JWTs, `--role api` verifies them against the auth
server's remote JWKS (BETTER_AUTH_JWKS_URL) and keeps working on its cached keys after the
auth server is gone. One shared database: a SQLite file (both processes pointed at the same
STOA_DATA_DIR) or a PostgreSQL database."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path

from conftest import Server, client, free_port, psql
from test_jwt_interop import (
    SECRET,
    assert_stoa_me_401,
    assert_stoa_me_ok,
    bearer,
    fetch_jwks,
    fetch_jwt,
    jwt_parts,
    sign_up,
    tamper_header,
    tamper_signature,
)


def get(server: Server, path: str, token: str | None = None):
    return client().get(server.url(path), headers=bearer(token) if token else {}, timeout=30)


def assert_status(server: Server, path: str, want: int, token: str | None = None) -> None:
    r = get(server, path, token)
    assert r.status_code == want, f"{server.base_url}{path}: want {want}, got {r.status_code} {r.text[:500]}"


def split_roles_flow(start_server, tmp_path: Path, db_env: dict[str, str]) -> None:
    port_a = free_port()
    origin = f"http://127.0.0.1:{port_a}"
    common = {"BETTER_AUTH_SECRET": SECRET, "BETTER_AUTH_URL": origin, "STOA_RATE_LIMIT": "off", **db_env}
    cwd_a, cwd_b = tmp_path / "auth-cwd", tmp_path / "api-cwd"
    cwd_a.mkdir()
    cwd_b.mkdir()

    # The auth role first: it applies the migrations at start-up.
    auth = start_server(env=common, args=("--role", "auth"), cwd=cwd_a, port=port_a)
    # Then the api role (chosen by STOA_ROLE this time), which must not migrate.
    api = start_server(
        env={**common, "STOA_ROLE": "api", "BETTER_AUTH_JWKS_URL": origin + "/api/auth/jwks"},
        args=("--no-migrate",),
        cwd=cwd_b,
    )

    # Each role serves only its half.
    assert_status(auth, "/api/auth/ok", 200)
    assert_status(api, "/api/auth/ok", 404)
    assert_status(api, "/api/auth/jwks", 404)
    assert_status(api, "/api/auth/get-session", 404)

    session_token, user = sign_up(auth)
    token = fetch_jwt(auth, session_token)
    header, claims = jwt_parts(token)
    assert claims["sub"] == user["id"] and claims["iss"] == origin, claims
    assert header["kid"] in {k["kid"] for k in fetch_jwks(auth)}, header

    assert_status(auth, "/api/me", 404, token)

    me = assert_stoa_me_ok(api, token, user)
    assert me["name"] == user["name"], me
    assert_stoa_me_401(api, None, {"UNAUTHORIZED"})
    assert_stoa_me_401(api, tamper_signature(token), {"INVALID_TOKEN", "UNAUTHORIZED"})
    # Only JWTs in the api role: the raw session token is not a credential there.
    assert_stoa_me_401(api, session_token, {"INVALID_TOKEN", "UNAUTHORIZED"})

    # The auth server goes away; the api server keeps verifying with its cached keys.
    code = auth.stop()
    assert code is not None, f"the auth server did not stop within 10 s of SIGTERM\n{auth.logs()}"
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port_a)) != 0, "the auth server's port still accepts connections"
    assert_stoa_me_ok(api, token, user)

    # An unknown kid (the api server may try to refresh the JWKS, and fails: the auth server
    # is down) is a prompt 401, not a crash or a 5xx.
    unknown_kid = tamper_header(token, kid=uuid.uuid4().hex)
    started = time.monotonic()
    assert_stoa_me_401(api, unknown_kid, {"INVALID_TOKEN", "UNAUTHORIZED"})
    assert time.monotonic() - started < 10, "rejecting an unknown kid took more than 10 s"
    assert_stoa_me_401(api, tamper_signature(token), {"INVALID_TOKEN", "UNAUTHORIZED"})

    # Still serving.
    assert api.proc.poll() is None, f"the api server exited\n{api.logs()}"
    assert_status(api, "/healthz", 200)
    assert_stoa_me_ok(api, token, user)


def test_split_roles_sqlite(start_server, tmp_path):
    data_dir = tmp_path / "shared-data"
    data_dir.mkdir()
    split_roles_flow(start_server, tmp_path, {"STOA_DATA_DIR": str(data_dir)})
    assert (data_dir / "stoa.db").is_file(), f"no shared SQLite file at {data_dir / 'stoa.db'}"
    for cwd in ("auth-cwd", "api-cwd"):
        assert not (tmp_path / cwd / ".stoa" / "stoa.db").exists(), f"{cwd} has its own SQLite file"


def test_split_roles_postgres(pg_database, start_server, tmp_path):
    # pg_database comes before start_server so that the servers stop before the drop.
    split_roles_flow(start_server, tmp_path, {"DATABASE_URL": pg_database})
    db_url = pg_database.split("?", 1)[0]
    keys = int(psql(db_url, "SELECT count(*) FROM jwks").strip())
    assert keys >= 1, "the signing key is not in the shared PostgreSQL database"
