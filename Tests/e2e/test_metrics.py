"""Prometheus metrics end to end: `stoa serve` with `STOA_METRICS=on` (and, separately, with
`STOA_METRICS_PORT`), driven through a sign-up, a wrong and a right sign-in, a chat turn with
the built-in model and an MCP session; `/metrics` is parsed with `prometheus_client`'s own
parser and every family documented in the README must be there with plausible values.
"""

from __future__ import annotations

import uuid

from prometheus_client.parser import text_string_to_metric_families

from conftest import Server, client, free_port

PASSWORD = "password123"

# Family name (as the parser reports it: counters without `_total`) -> its type.
FAMILIES = {
    "stoa_http_requests": "counter",
    "stoa_http_request_duration_seconds": "histogram",
    "stoa_sign_ins": "counter",
    "stoa_rate_limit_refusals": "counter",
    "stoa_chat_turns": "counter",
    "stoa_model_request_duration_seconds": "histogram",
    "stoa_model_errors": "counter",
    "stoa_db_operations_in_flight": "gauge",
    "stoa_db_sqlite_reader_connections": "gauge",
    "stoa_password_hash_in_flight": "gauge",
    "stoa_password_hash_queue_depth": "gauge",
    "stoa_password_hash_refusals": "counter",
    "stoa_http_open_connections": "gauge",
    "stoa_http_max_connections": "gauge",
    "stoa_mcp_sessions_open": "gauge",
}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "metrics-e2e", "version": "0"}},
}


def parse(text: str) -> dict[str, dict]:
    """{family: {"type": ..., "samples": [(name, labels, value), ...]}}"""
    return {
        f.name: {"type": f.type, "samples": [(s.name, s.labels, s.value) for s in f.samples]}
        for f in text_string_to_metric_families(text)
    }


def sample(families: dict, name: str, **labels: str) -> float | None:
    """The value of the sample `name` whose labels include `labels` (summed over the rest)."""
    family = next((f for f in families.values() if any(s[0] == name for s in f["samples"])), None)
    if family is None:
        return None
    values = [v for n, l, v in family["samples"] if n == name and all(l.get(k) == v2 for k, v2 in labels.items())]
    return sum(values) if values else None


def drive(server: Server) -> str:
    """Sign-up, wrong and right sign-in, a chat turn, an MCP session."""
    s = client()
    email = f"metrics.{uuid.uuid4().hex[:8]}@example.com"
    r = s.post(server.url("/api/auth/sign-up/email"), json={"name": "M", "email": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    r = s.post(server.url("/api/auth/sign-in/email"), json={"email": email, "password": "wrong-password"}, timeout=30)
    assert r.status_code == 401, r.text
    r = s.post(server.url("/api/auth/sign-in/email"), json={"email": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    token = r.json()["token"]
    r = s.get(server.url("/api/auth/token"), headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert r.status_code == 200, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    r = s.post(server.url("/api/conversations"), json={"title": "metrics"}, headers=auth, timeout=30)
    assert r.status_code == 201, r.text
    conversation = r.json()["id"]
    r = s.post(server.url(f"/api/conversations/{conversation}/messages"), json={"content": "add a task to buy milk"}, headers=auth, timeout=60)
    assert r.status_code == 201, r.text
    r = s.post(server.url("/mcp"), json=INITIALIZE, headers={**MCP_HEADERS, **auth}, timeout=30)
    assert r.status_code == 200, r.text
    assert r.headers.get("Mcp-Session-Id")
    # A path no route knows, with something in it that must never become a label value.
    assert s.get(server.url(f"/no/such/{uuid.uuid4().hex}"), timeout=10).status_code == 404
    return conversation


def check(text: str, conversation: str) -> None:
    assert conversation not in text and "/no/such" not in text
    families = parse(text)
    for name, kind in FAMILIES.items():
        assert name in families, f"family {name} missing"
        assert families[name]["type"] == kind, f"{name}: {families[name]['type']} (expected {kind})"

    assert sample(families, "stoa_sign_ins_total", outcome="success") == 1
    assert sample(families, "stoa_sign_ins_total", outcome="invalid_credentials") == 1
    assert sample(families, "stoa_sign_ins_total", outcome="rate_limited") == 0
    assert sample(families, "stoa_http_requests_total", route="/api/auth/sign-in/email", method="POST", status="401") == 1
    assert sample(families, "stoa_http_requests_total", route="/api/auth/sign-in/email", method="POST", status="200") == 1
    assert sample(families, "stoa_http_requests_total", route="/api/conversations/{id}/messages", method="POST", status="201") == 1
    assert sample(families, "stoa_http_requests_total", route="NotFound", method="GET", status="404") >= 1
    assert sample(families, "stoa_http_request_duration_seconds_count", route="/api/auth/sign-up/email") == 1
    assert 0 < sample(families, "stoa_http_request_duration_seconds_sum", route="/api/auth/sign-up/email") < 30
    assert sample(families, "stoa_chat_turns_total", outcome="ok") == 1
    assert sample(families, "stoa_model_request_duration_seconds_count", provider="builtin") >= 1
    assert sample(families, "stoa_model_errors_total", provider="builtin") == 0
    assert sample(families, "stoa_rate_limit_refusals_total", rule="auth") == 0
    assert sample(families, "stoa_mcp_sessions_open") == 1
    assert sample(families, "stoa_http_open_connections") >= 1  # the scrape's, or one kept alive to the main port
    assert sample(families, "stoa_http_max_connections") == 4096
    assert sample(families, "stoa_password_hash_queue_depth") == 0
    assert sample(families, "stoa_password_hash_in_flight") == 0
    assert sample(families, "stoa_password_hash_refusals_total") == 0
    assert sample(families, "stoa_db_operations_in_flight") == 0
    assert sample(families, "stoa_db_sqlite_reader_connections") >= 1


def test_metrics_on_the_main_port(start_server) -> None:
    server = start_server(env={"STOA_METRICS": "on"})
    conversation = drive(server)
    r = client().get(server.url("/metrics"), timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    check(r.text, conversation)


def test_metrics_off_is_a_404(stoa_server: Server) -> None:
    r = client().get(stoa_server.url("/metrics"), timeout=10)
    assert r.status_code == 404
    assert r.json()["code"] == "NOT_FOUND"


def test_metrics_on_their_own_port(start_server) -> None:
    port = free_port()
    server = start_server(env={"STOA_METRICS_PORT": str(port)})
    conversation = drive(server)
    # A kept-alive connection to the main port, open while the other port is scraped.
    keep = client()
    assert keep.get(server.url("/metrics"), timeout=10).status_code == 404
    r = client().get(f"http://127.0.0.1:{port}/metrics", timeout=10)
    assert r.status_code == 200
    check(r.text, conversation)
    assert client().get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 404


def test_bad_metrics_settings_stop_the_server(stoa_bin: str, home, workdir) -> None:
    import subprocess

    from conftest import clean_env

    for env, needle in [({"STOA_METRICS": "maybe"}, "STOA_METRICS must be on or off"),
                        ({"STOA_METRICS_PORT": "nope"}, "STOA_METRICS_PORT must be a whole number")]:
        proc = subprocess.run([stoa_bin, "serve", "--port", str(free_port())], env=clean_env(home, **env), cwd=workdir,
                              capture_output=True, text=True, timeout=30)
        assert proc.returncode != 0
        assert needle in proc.stderr + proc.stdout
