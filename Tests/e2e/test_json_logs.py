"""Structured logs on the real binary (issue 21): with STOA_LOG_FORMAT=json every stderr line
is one JSON object, each request has a `request` line with its request id (a trusted proxy's
X-Request-Id, else a generated one, echoed on the response), the route pattern, status,
duration and user id, and no token, password or cookie reaches the log."""

from __future__ import annotations

import json
import time
import uuid

from conftest import Server, client

PASSWORD = "json-logs-password-1"


def log_objects(server: Server) -> list[dict]:
    lines = [line for line in server.stderr_text().splitlines() if line.strip()]
    objects = []
    for line in lines:
        try:
            objects.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"a log line is not JSON: {line[:300]!r}")
    return objects


def request_line(server: Server, request_id: str, timeout: float = 5.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for obj in log_objects(server):
            if obj.get("request_id") == request_id and "status" in obj:
                return obj
        time.sleep(0.05)
    raise AssertionError(f"no request line with request_id {request_id!r}\n{server.stderr_text()[-3000:]}")


def test_json_request_lines_with_request_ids_and_no_secrets(start_server):
    server = start_server(env={"STOA_LOG_FORMAT": "json"})
    s = client()
    email = f"logs.{uuid.uuid4().hex[:8]}@example.com"
    up = s.post(server.url("/api/auth/sign-up/email"), json={"name": "Logs", "email": email, "password": PASSWORD},
                headers={"X-Request-Id": "e2e-signup-1"}, timeout=30)
    assert up.status_code == 200, up.text
    token = up.json()["token"]
    assert up.headers.get("X-Request-Id") == "e2e-signup-1", "a loopback proxy's X-Request-Id is echoed"

    me = s.get(server.url("/api/me"), headers={"Authorization": f"Bearer {token}", "X-Request-Id": "e2e-me-1"}, timeout=10)
    assert me.status_code == 200
    user_id = me.json()["id"]
    line = request_line(server, "e2e-me-1")
    assert line["route"] == "/api/me" and line["status"] == 200 and line["method"] == "GET"
    assert line["user_id"] == user_id
    assert isinstance(line["duration_ms"], (int, float)) and line["duration_ms"] >= 0
    assert {"time", "level", "message"} <= line.keys()

    # Without an X-Request-Id one is made, echoed, and logged; a path with an id logs its pattern.
    conv = s.post(server.url("/api/conversations"), json={"title": "logs"}, headers={"Authorization": f"Bearer {token}"}, timeout=10)
    generated = conv.headers.get("X-Request-Id", "")
    assert len(generated) >= 16, f"no generated request id: {conv.headers}"
    got = s.get(server.url(f"/api/conversations/{conv.json()['id']}"), headers={"Authorization": f"Bearer {token}",
                                                                          "X-Request-Id": "e2e-conv-1"}, timeout=10)
    assert got.status_code == 200
    assert request_line(server, generated)["route"] == "/api/conversations"
    assert request_line(server, "e2e-conv-1")["route"] == "/api/conversations/{id}"

    # A wrong sign-in and a reset link: neither the password, the token nor the link is logged.
    bad = s.post(server.url("/api/auth/sign-in/email"), json={"email": email, "password": "wrong-password-xyz"},
                 headers={"X-Request-Id": "e2e-bad-1"}, timeout=30)
    assert bad.status_code == 401
    assert request_line(server, "e2e-bad-1")["status"] == 401
    s.post(server.url("/api/auth/request-password-reset"), json={"email": email, "redirectTo": server.url("/reset")}, timeout=30)
    time.sleep(0.3)
    text = server.stderr_text()
    for secret in (PASSWORD, "wrong-password-xyz", token):
        assert secret not in text, "a secret reached the log"
    assert "Cookie" not in text and "Authorization" not in text
    assert len(log_objects(server)) > 5
