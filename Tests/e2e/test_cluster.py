"""Replicas behind a load balancer (issue 21, "How it is shown: Balancer"): nginx (Debian) in
front of two all-in-one replicas, and in front of two auth + two API replicas, on one
PostgreSQL database, as docs/deploy.md describes them (same secret, BETTER_AUTH_URL = the
balancer's URL, STOA_TRUSTED_PROXIES=loopback, STOA_RATE_LIMIT_STORAGE=database).

Which replica answered a request comes from the replicas' own logs (STOA_LOG_FORMAT=json: a
`request` line per request with the X-Request-Id nginx set and Stoa echoed).

Shown: sign-up and sign-in through nginx; requests reach every replica; a session revoked
through one replica is refused by the other within 1 s; a key rotated (`stoa keys rotate` on
the shared database) is used by every replica within 1 s; 20 parallel wrong-password sign-ins
for one account spread over both replicas and exactly the limit (3 per 10 s per client IP,
the IP from nginx's X-Forwarded-For) passes per window; an MCP client works through
round-robin balancing, with the requests of one MCP session landing on both replicas."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from cluster_support import (  # noqa: F401 - start_nginx is a fixture
    Account,
    Checks,
    leaves,
    access_token,
    cluster_env,
    new_account,
    report,
    request_lines,
    rotate_key,
    route_count,
    sign_in,
    spread,
    start_nginx,
    start_replicas,
)
from conftest import Server, client, free_port
from test_jwt_interop import jwt_parts
from test_mcp import call_ok, check_tool_list, http_session

WITHIN = 1.0  # seconds: revocation and key rotation reach every replica within this
MEASURE_FOR = 6.0  # seconds we keep polling past WITHIN, so a failure reports what it took
POLL = 0.05
SIGN_IN_LIMIT = 3  # README: sign-in is 3 per 10 s per IP and route
SIGN_IN_WINDOW = 10.0
BURST = 20


# --- helpers -----------------------------------------------------------------------------


def get(ep, path: str, headers: dict[str, str] | None = None) -> requests.Response:
    return client().get(ep.url(path), headers=headers or {}, timeout=30)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def session_of(ep, session_token: str) -> dict | None:
    """get-session's body (None when refused: a null body or a 401)."""
    r = get(ep, "/api/auth/get-session", bearer(session_token))
    if r.status_code == 401:
        return None
    assert r.status_code == 200, f"{ep.base_url} get-session: {r.status_code} {r.text}"
    body = r.json()
    return body if body and body.get("session") else None


def requests_reach_every_replica(lb, pools: dict[str, list[Server]], probes: dict[str, tuple[str, dict]],
                                 per_pool: int = 20) -> dict[str, list[int]]:
    """`per_pool` requests through nginx for each pool (its probe: path, headers), all 200,
    and each replica of the pool answered some of them (from its log)."""
    counts = {}
    for pool, replicas in pools.items():
        path, headers = probes[pool]
        answers = [get(lb, path, headers) for _ in range(per_pool)]
        for r in answers:
            assert r.status_code == 200, f"{path} through nginx: {r.status_code} {r.text[:300]}"
            rid = r.headers.get("X-Request-Id", "")
            # nginx's $request_id (32 hex), believed from a trusted proxy and echoed.
            assert len(rid) == 32 and all(c in "0123456789abcdef" for c in rid), f"X-Request-Id {rid!r}"
        counts[pool] = spread(replicas, answers)
        assert all(n > 0 for n in counts[pool]), f"{pool}: some replica answered none of {per_pool} requests: {counts[pool]}"
    return counts


def revocation_delay(revoke_via: Server, check_on: Server, keeper: Account, victim_session: str,
                     victim_jwt: str | None) -> dict[str, float | None]:
    """Revokes `victim_session` through `revoke_via` (POST /revoke-session, bearer of another
    session of the same user) and measures, polling `check_on` every 50 ms, how long each
    credential of the victim session is still accepted there: get-session with the bearer
    session token, /api/auth/token with it (no JWT is minted for a revoked session), and
    (all-in-one role) /api/me with the session token and with an access JWT whose sid is that
    session. Each must have been used on `check_on` just before, so
    any per-replica cache is warm."""
    checks = {
        "get-session (bearer session token)": lambda: session_of(check_on, victim_session) is None,
        "/api/auth/token (bearer session token)": lambda: get(check_on, "/api/auth/token", bearer(victim_session)).status_code == 401,
    }
    if victim_jwt:
        checks["/api/me (bearer session token)"] = lambda: get(check_on, "/api/me", bearer(victim_session)).status_code == 401
        checks["/api/me (access JWT with the session's sid)"] = lambda: get(check_on, "/api/me", bearer(victim_jwt)).status_code == 401
        for path, token in (("/api/me", victim_session), ("/api/me", victim_jwt)):
            r = get(check_on, path, bearer(token))
            assert r.status_code == 200, f"before revocation, {check_on.base_url}{path}: {r.status_code} {r.text}"
    assert session_of(check_on, victim_session) is not None, "the victim session is not valid before revocation"
    assert get(check_on, "/api/auth/token", bearer(victim_session)).status_code == 200

    r = client().post(revoke_via.url("/api/auth/revoke-session"), json={"token": victim_session},
                      headers=keeper.session_auth, timeout=30)
    assert r.status_code == 200 and r.json() == {"status": True}, f"revoke-session: {r.status_code} {r.text}"
    revoked_at = time.monotonic()
    # The replica that revoked refuses at once.
    assert session_of(revoke_via, victim_session) is None, "the revoking replica still accepts the session"

    took: dict[str, float | None] = {name: None for name in checks}
    while time.monotonic() - revoked_at <= WITHIN + MEASURE_FOR and any(v is None for v in took.values()):
        for name, refused in checks.items():
            if took[name] is None and refused():
                took[name] = round(time.monotonic() - revoked_at, 3)
        time.sleep(POLL)
    return took


def rotation_delay(stoa_bin: str, db_url: str, home: Path, token_from: list[Server], jwks_from: list[Server],
                   verify_on: list[Server], session_token: str) -> tuple[str, dict[str, float | None]]:
    """Rotates the signing key (`stoa keys rotate` on the shared database) and measures, polling
    every 50 ms, when each replica in `token_from` hands out JWTs with the new kid, each one in
    `jwks_from` publishes it, and each one in `verify_on` accepts a JWT signed with it."""
    old_kid = jwt_parts(access_token(token_from[0], session_token))[0]["kid"]
    kid = rotate_key(stoa_bin, db_url, home)
    rotated_at = time.monotonic()
    assert kid != old_kid

    took: dict[str, float | None] = {}
    for s in token_from:
        took[f"new kid in GET /api/auth/token of :{s.port}"] = None
    for s in jwks_from:
        took[f"new kid in GET /api/auth/jwks of :{s.port}"] = None
    for s in verify_on:
        took[f"new-kid JWT accepted by /api/me of :{s.port}"] = None
    new_kid_token: list[str] = []

    def step() -> None:
        for s in token_from:
            name = f"new kid in GET /api/auth/token of :{s.port}"
            if took[name] is None:
                token = access_token(s, session_token)
                if jwt_parts(token)[0]["kid"] == kid:
                    took[name] = round(time.monotonic() - rotated_at, 3)
                    new_kid_token.append(token)
        for s in jwks_from:
            name = f"new kid in GET /api/auth/jwks of :{s.port}"
            if took[name] is None:
                r = get(s, "/api/auth/jwks")
                assert r.status_code == 200, f"jwks of :{s.port}: {r.status_code}"
                if kid in {k.get("kid") for k in r.json()["keys"]}:
                    took[name] = round(time.monotonic() - rotated_at, 3)
        if new_kid_token:
            for s in verify_on:
                name = f"new-kid JWT accepted by /api/me of :{s.port}"
                if took[name] is None and get(s, "/api/me", bearer(new_kid_token[0])).status_code == 200:
                    took[name] = round(time.monotonic() - rotated_at, 3)

    while time.monotonic() - rotated_at <= WITHIN + MEASURE_FOR and any(v is None for v in took.values()):
        step()
        time.sleep(POLL)
    return kid, took


def wrong_password_burst(lb, replicas: list[Server], email: str, client_ip: str) -> dict:
    """BURST wrong-password sign-ins for one account, released together from BURST threads
    through nginx, as one client (X-Forwarded-For: client_ip, to which nginx appends its own
    peer). Returns the figures."""
    barrier = threading.Barrier(BURST)

    def one(_: int) -> requests.Response:
        barrier.wait(timeout=30)
        return sign_in(lb, email, "wrong-password-" + uuid.uuid4().hex[:6], headers={"X-Forwarded-For": client_ip})

    started = time.monotonic()
    with ThreadPoolExecutor(BURST) as pool:
        answers = list(pool.map(one, range(BURST)))
    took = time.monotonic() - started
    statuses = sorted(r.status_code for r in answers)
    passed = [r for r in answers if r.status_code != 429]
    limited = [r for r in answers if r.status_code == 429]
    by_replica = spread(replicas, answers)
    assert took < SIGN_IN_WINDOW, f"the burst took {took:.1f} s, longer than the window"
    assert all(n > 0 for n in by_replica), f"the {BURST} sign-ins did not spread over every replica: {by_replica}"
    assert len(passed) == SIGN_IN_LIMIT and len(limited) == BURST - SIGN_IN_LIMIT, (
        f"want exactly {SIGN_IN_LIMIT} past the limiter and {BURST - SIGN_IN_LIMIT} refused with 429, "
        f"got statuses {statuses} (per replica: {by_replica})")
    for r in passed:
        assert r.status_code == 401, f"a wrong password past the limiter: want 401, got {r.status_code} {r.text}"
    for r in limited:
        assert r.headers.get("X-Retry-After"), f"429 without X-Retry-After: {dict(r.headers)}"
    return {"statuses": {str(k): statuses.count(k) for k in sorted(set(statuses))}, "per_replica": by_replica,
            "seconds": round(took, 2)}


def mcp_through_balancer(lb, replicas: list[Server], acct: Account) -> dict:
    """An MCP client (the `mcp` SDK, streamable HTTP) through nginx's round-robin: initialize,
    list tools, add / list / complete tasks. The session's requests land on every replica."""
    before = [route_count(s, "/mcp") for s in replicas]  # request lines so far, per replica
    titles = [f"cluster task {i} {uuid.uuid4().hex[:6]}" for i in range(3)]

    async def main() -> tuple[str, list[str]]:
        async with http_session(lb, acct) as (session, get_session_id):
            sid = get_session_id()
            assert sid, "no Mcp-Session-Id"
            await check_tool_list(session)
            ids = []
            for title in titles:
                ids.append((await call_ok(session, "add_task", {"title": title}))["task"]["id"])
            listed = await call_ok(session, "list_tasks", {})
            assert set(ids) <= {t["id"] for t in listed["tasks"]}, listed
            done = await call_ok(session, "complete_task", {"task_id": ids[0]})
            assert done["task"]["completed"] is True, done
            open_now = await call_ok(session, "list_tasks", {"status": "open"})
            assert {t["id"] for t in open_now["tasks"]} >= set(ids[1:]) and ids[0] not in {t["id"] for t in open_now["tasks"]}
            return sid, ids

    async def bounded():
        return await asyncio.wait_for(main(), timeout=90)

    def mcp_lines() -> list[list[str]]:
        """`METHOD status` of each replica's /mcp request lines since `before`."""
        return [[f"{line.get('method')} {line.get('status')}" for line in
                 [entry for entry in request_lines(s) if entry.get("route") == "/mcp"][n:]]
                for s, n in zip(replicas, before)]

    try:
        sid, ids = asyncio.run(bounded())
    except BaseException as e:
        time.sleep(0.3)
        raise AssertionError(f"the MCP session through nginx failed: "
                             f"{'; '.join(f'{type(x).__name__}: {x}' for x in leaves(e))}; "
                             f"/mcp requests per replica (method status): {mcp_lines()}") from e
    r = get(lb, "/api/tasks?status=all&limit=100", acct.auth)
    assert r.status_code == 200, r.text
    tasks = {t["id"]: t for t in r.json()["items"]}
    assert set(ids) <= set(tasks) and tasks[ids[0]]["completed"] is True, tasks
    time.sleep(0.3)  # the last request lines reach the logs
    lines = mcp_lines()
    per_replica = [len(x) for x in lines]
    assert all(n > 0 for n in per_replica), f"the MCP session's requests did not reach every replica: {lines}"
    return {"session": sid[:8] + "…", "mcp_requests_per_replica": per_replica, "mcp_requests": lines}


def assert_within(what: str, took: dict[str, float | None]) -> None:
    late = {k: v for k, v in took.items() if v is None or v > WITHIN}
    assert not late, (f"{what}: not within {WITHIN} s on every replica "
                      f"(None = not seen within {WITHIN + MEASURE_FOR:.0f} s): {late}; all: {took}")


# --- 1. two all-in-one replicas ----------------------------------------------------------


def test_two_all_in_one_replicas_behind_nginx(pg_database, start_server, start_nginx, stoa_bin, tmp_path, home):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = cluster_env(pg_database, base)
    a, b = start_replicas(start_server, tmp_path, 2, env)
    lb = start_nginx(port, {"stoa": [a.port, b.port]})
    figures: dict = {}
    checks = Checks()

    # Sign-up and sign-in through nginx.
    acct = new_account(lb, "Ada")
    r = sign_in(lb, acct.email)
    assert r.status_code == 200, f"sign-in through nginx: {r.status_code} {r.text}"
    second_session = r.json()["token"]
    assert session_of(lb, second_session)["user"]["id"] == acct.id
    victim_jwt = access_token(b, second_session)

    # 20 wrong-password sign-ins for one account at once (first window).
    victim = new_account(lb, "Bob", headers={"X-Forwarded-For": "203.0.113.9"})
    client_ip = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    window_1_end = time.monotonic()
    with checks("rate limit, window 1"):
        figures["rate_limit_window_1"] = wrong_password_burst(lb, [a, b], victim.email, client_ip)
        window_1_end = time.monotonic()

    with checks("requests reach both replicas"):
        figures["requests_per_replica"] = requests_reach_every_replica(
            lb, {"session": [a, b], "me": [a, b]},
            {"session": ("/api/auth/get-session", acct.session_auth), "me": ("/api/me", acct.auth)})

    with checks("revocation through replica A, refused by replica B"):
        figures["revocation_seconds"] = revocation_delay(a, b, acct, second_session, victim_jwt)
        assert_within("revocation through replica A, seen by replica B", figures["revocation_seconds"])

    with checks("key rotation used by both replicas"):
        kid, figures["rotation_seconds"] = rotation_delay(stoa_bin, pg_database, home, [a, b], [a, b], [a, b],
                                                          acct.session_token)
        assert_within(f"key rotation (new kid {kid})", figures["rotation_seconds"])

    with checks("MCP through round-robin nginx"):
        acct.jwt = access_token(lb, acct.session_token)
        figures["mcp"] = mcp_through_balancer(lb, [a, b], acct)

    # The next window: again exactly the limit passes.
    with checks("rate limit, window 2"):
        wait = SIGN_IN_WINDOW + 0.5 - (time.monotonic() - window_1_end)
        if wait > 0:
            time.sleep(wait)
        figures["rate_limit_window_2"] = wrong_password_burst(lb, [a, b], victim.email, client_ip)

    report("cluster_all_in_one", figures)
    for s in (a, b):
        assert s.proc.poll() is None, f"a replica exited\n{s.logs()}"
    checks.verify()


# --- 2. two auth + two API replicas ------------------------------------------------------


def test_split_roles_two_auth_two_api_behind_nginx(pg_database, start_server, start_nginx, stoa_bin, tmp_path, home):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = cluster_env(pg_database, base)
    # nginx first: the API replicas fetch the JWKS through it (BETTER_AUTH_JWKS_URL).
    auth_ports, api_ports = [free_port(), free_port()], [free_port(), free_port()]
    lb = start_nginx(port, {"auth": auth_ports, "api": api_ports}, auth_pool="auth")
    auths = start_replicas(start_server, tmp_path, 2, env, role="auth", ports=auth_ports)
    apis = start_replicas(start_server, tmp_path, 2, {**env, "BETTER_AUTH_JWKS_URL": base + "/api/auth/jwks"},
                          role="api", ports=api_ports, migrate=False)
    figures: dict = {}
    checks = Checks()

    acct = new_account(lb, "Grace")
    r = sign_in(lb, acct.email)
    assert r.status_code == 200, f"sign-in through nginx: {r.status_code} {r.text}"
    second_session = r.json()["token"]

    # Each pool serves its half, and every replica of each pool answers some requests.
    assert get(lb, "/api/auth/ok").status_code == 200
    with checks("requests reach every replica of each pool"):
        figures["requests_per_replica"] = requests_reach_every_replica(
            lb, {"auth": auths, "api": apis},
            {"auth": ("/api/auth/get-session", acct.session_auth), "api": ("/api/me", acct.auth)})

    # A JWT from the auth pool works on both API replicas directly.
    for s in apis:
        r = get(s, "/api/me", acct.auth)
        assert r.status_code == 200 and r.json()["id"] == acct.id, f"api :{s.port}: {r.status_code} {r.text}"

    with checks("rate limit over both auth replicas"):
        victim = new_account(lb, "Linus", headers={"X-Forwarded-For": "203.0.113.10"})
        figures["rate_limit"] = wrong_password_burst(lb, auths, victim.email,
                                                     f"198.51.100.{uuid.uuid4().int % 250 + 1}")

    # Both auth replicas sign with the new key, and a token signed with it verifies on both
    # API replicas, within 1 s.
    with checks("key rotation used by the auth replicas and verified by the API replicas"):
        kid, figures["rotation_seconds"] = rotation_delay(stoa_bin, pg_database, home, auths, auths, apis,
                                                          acct.session_token)
        assert_within(f"key rotation (new kid {kid})", figures["rotation_seconds"])

    with checks("revocation through auth replica 1, refused by auth replica 2"):
        figures["revocation_seconds"] = revocation_delay(auths[0], auths[1], acct, second_session, None)
        assert_within("revocation through auth replica 1, seen by auth replica 2", figures["revocation_seconds"])

    with checks("MCP on the API pool through round-robin nginx"):
        acct.jwt = access_token(lb, acct.session_token)
        figures["mcp"] = mcp_through_balancer(lb, apis, acct)

    report("cluster_split_roles", figures)
    for s in auths + apis:
        assert s.proc.poll() is None, f"a replica exited\n{s.logs()}"
    checks.verify()
