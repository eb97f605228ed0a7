"""Hostile input against the real `stoa` binary, on SQLite and on PostgreSQL.

Every payload is sent over a raw socket (so an early answer, a reset or a hang is seen as
such), and every exchange must keep four promises:

  (a) the process is still alive (and still answers `/healthz`) afterwards;
  (b) the status is < 500 (malformed input: 4xx with the route's error JSON: `{code, message}`
      under `/api/*`, Better Auth's `{code?, message}` under `/api/auth/*`);
  (c) the whole answer arrives within 3 s (reads of a conversation: 1 s);
  (d) `GET /healthz`, polled every ~50 ms from another thread during the exchange, never
      waited more than 500 ms (``HealthProbe``).

Payloads: malformed form posts to sign-up/sign-in; JSON with ~130k keys, 130k repeated keys,
100k-deep nesting, 1 MiB strings, a 5 MiB body (413), invalid UTF-8, lone surrogates and
absurd numbers, to sign-in, sign-out and an authenticated `/api` route; pathological Markdown
as chat messages (then the conversation and `/api/user/history` are read back, and the
rendered `html` is checked for attribute injection and double escaping); a client that never
finishes its headers (`STOA_HEADER_TIMEOUT=2` must cut it off); oversized headers; and CORS
headers on error answers for a trusted origin (`BETTER_AUTH_TRUSTED_ORIGINS`).

One server per database serves the whole module (fast); a test that kills it fails with the
exit status and the server's stderr, and the next test gets a fresh server on the same data.
A server that no longer answers `/healthz` after a test is replaced too, so one bad payload
does not fail the rest.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import selectors
import signal
import socket
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterator

import pytest

from conftest import Server, clean_env, client, free_port, psql, wait_healthy, with_database

MiB = 1 << 20
ANSWER_BUDGET = 3.0  # (c) seconds for one hostile exchange
READ_BUDGET = 1.0  # seconds for reading a conversation / the history back
HEALTH_BUDGET = 0.5  # (d) the longest a /healthz poll may wait
PROBE_INTERVAL = 0.05
REQUEST_DEADLINE = 8.0  # give up on an exchange after this long (reported as a hang)
HEADER_TIMEOUT = 2  # STOA_HEADER_TIMEOUT given to the server
SLOW_CLOSE_BUDGET = 5.0  # a client that never finishes its headers is cut off within this
SLOW_CLIENTS = 20

PASSWORD = "password123"
TRUSTED_ORIGIN = "http://app.example"
UNTRUSTED_ORIGIN = "http://evil.example"

SERVER_ENV = {
    "BETTER_AUTH_SECRET": "hostile-input-secret-hostile-input-secret-0123",
    "STOA_RATE_LIMIT": "off",  # hundreds of sign-ins and sign-ups within seconds
    "STOA_ASSISTANT": "builtin",  # the offline assistant: never a network model
    "STOA_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
    "BETTER_AUTH_TRUSTED_ORIGINS": TRUSTED_ORIGIN,
}


# --- a raw HTTP/1.1 client ---------------------------------------------------------------


@dataclass
class Answer:
    """What came back for one request on its own connection."""

    status: int | None  # None: no (complete) response
    headers: dict[str, str]  # lowercased names; repeated headers joined with ", "
    body: bytes
    elapsed: float  # seconds from connect to the complete answer (or the give-up)
    error: str | None = None  # "timeout", "connection reset", "closed before a response", …
    closed: bool = False  # the server closed the connection (seen when reading until EOF)
    sent_all: bool = True  # the whole request went out (an early answer may stop the upload)

    def json(self):
        return json.loads(self.body)

    def describe(self) -> str:
        what = f"HTTP {self.status}" if self.status is not None else "no response"
        if self.error:
            what += f" ({self.error})"
        text = self.body[:300].decode("utf-8", errors="replace")
        return f"{what} after {self.elapsed:.2f}s; body {len(self.body)} B: {text!r}"


def _parse_head(raw: bytes) -> tuple[int, dict[str, str]]:
    lines = raw.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP status line: {lines[0][:100]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            name, value = name.strip().lower(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return int(parts[1]), headers


def _dechunk(data: bytes) -> bytes | None:
    """The decoded body once `data` holds a complete chunked body, else None."""
    out = bytearray()
    pos = 0
    while True:
        end = data.find(b"\r\n", pos)
        if end < 0:
            return None
        size = int(data[pos:end].split(b";")[0].strip() or b"0", 16)
        pos = end + 2
        if size == 0:
            return bytes(out) if data.find(b"\r\n", pos) >= 0 else None
        if len(data) < pos + size + 2:
            return None
        out += data[pos:pos + size]
        pos += size + 2


def _complete(buf: bytearray, head_only: bool) -> tuple[int, dict[str, str], bytes] | None:
    """(status, headers, body) once `buf` holds a whole response (skipping 1xx), else None."""
    start = 0
    while True:
        end = buf.find(b"\r\n\r\n", start)
        if end < 0:
            return None
        status, headers = _parse_head(bytes(buf[start:end]))
        body_start = end + 4
        if 100 <= status < 200:
            start = body_start
            continue
        if head_only or status in (204, 304):
            return status, headers, b""
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = _dechunk(bytes(buf[body_start:]))
            return (status, headers, body) if body is not None else None
        if "content-length" in headers:
            length = int(headers["content-length"])
            if len(buf) - body_start >= length:
                return status, headers, bytes(buf[body_start:body_start + length])
            return None
        return None  # delimited by the close


def raw_exchange(port: int, data: bytes, *, deadline: float = REQUEST_DEADLINE, head_only: bool = False,
                 wait_close: bool = False) -> Answer:
    """Sends `data` (a whole request) on a new connection and reads one response.

    Reading and writing are interleaved, so an answer the server sends before it has read the
    whole body (a 413) is seen even if it then stops reading or closes. `wait_close` keeps
    reading after the response until the server closes (or the deadline)."""
    started = time.monotonic()
    until = started + deadline
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=deadline)
    except OSError as e:
        return Answer(None, {}, b"", time.monotonic() - started, f"cannot connect: {e}", sent_all=False)
    sock.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
    view = memoryview(data)
    sent = 0
    buf = bytearray()
    error = None
    eof = False
    done = None
    answered_at = None
    try:
        while True:
            remaining = until - time.monotonic()
            if remaining <= 0:
                error = error or "timeout"
                break
            for _key, mask in sel.select(remaining):
                if mask & selectors.EVENT_WRITE and sent < len(data):
                    try:
                        sent += sock.send(view[sent:sent + (256 << 10)])
                    except BlockingIOError:
                        pass
                    except OSError as e:  # the server stopped reading and closed
                        error = f"send failed after {sent} of {len(data)} bytes: {type(e).__name__}"
                        sent = len(data)  # stop writing; a response may still be readable
                    if sent >= len(data):
                        sel.modify(sock, selectors.EVENT_READ)
                if mask & selectors.EVENT_READ:
                    try:
                        chunk = sock.recv(1 << 20)
                    except BlockingIOError:
                        continue
                    except OSError as e:
                        eof = True
                        error = error or f"{type(e).__name__} while reading"
                        break
                    if not chunk:
                        eof = True
                        break
                    buf += chunk
            if done is None and buf:
                try:
                    done = _complete(buf, head_only)
                except ValueError as e:
                    error = str(e)
                    break
                if done is not None:
                    answered_at = time.monotonic()
            if eof or (done is not None and not wait_close):
                break
        if done is None and eof and buf:
            # A response delimited by the close.
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                try:
                    status, headers = _parse_head(bytes(buf[:end]))
                    done = (status, headers, bytes(buf[end + 4:]))
                    answered_at = time.monotonic()
                except ValueError as e:
                    error = str(e)
    finally:
        sel.close()
        sock.close()
    elapsed = (answered_at or time.monotonic()) - started
    if done is None:
        if error is None:
            error = "closed before a response" if eof else "timeout"
        return Answer(None, {}, bytes(buf), elapsed, error, closed=eof, sent_all=sent >= len(data))
    status, headers, body = done
    if error and error.startswith("send failed") and status is not None:
        error = None  # an early answer (say 413) before the whole body went out is fine
    return Answer(status, headers, body, elapsed, error if error == "timeout" and wait_close else None,
                  closed=eof, sent_all=sent >= len(data))


def build_request(method: str, path: str, headers: list[tuple[str, str]] | None = None,
                  body: bytes | None = None, port: int = 0) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    names = set()
    for name, value in headers or []:
        lines.append(f"{name}: {value}")
        names.add(name.lower())
    if body is not None and "content-length" not in names:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b"")


def http_request(port: int, method: str, path: str, headers: list[tuple[str, str]] | None = None,
                 body: bytes | None = None, **kw) -> Answer:
    if body is None and method in ("POST", "PUT", "PATCH"):
        body = b""
    return raw_exchange(port, build_request(method, path, headers, body, port), **kw)


# --- (d) the health probe ----------------------------------------------------------------


class HealthProbe:
    """Polls `GET /healthz` (a new connection each time) every ~50 ms from a background
    thread while the `with` block runs; records the slowest answer and any failure.

        with HealthProbe(port) as probe:
            ...
        probe.max_latency, probe.failures, probe.samples
    """

    def __init__(self, port: int, interval: float = PROBE_INTERVAL, timeout: float = 5.0):
        self.port, self.interval, self.timeout = port, interval, timeout
        self.max_latency = 0.0
        self.samples = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._first = threading.Event()
        self._thread = threading.Thread(target=self._run, name="healthz-probe", daemon=True)

    def __enter__(self) -> "HealthProbe":
        self._thread.start()
        self._first.wait(self.timeout + 1)  # one probe before the exchange: a baseline
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(self.timeout + 2)

    def _probe_once(self) -> None:
        started = time.monotonic()
        problem = None
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                problem = f"HTTP {response.status}"
        except (OSError, http.client.HTTPException) as e:
            problem = type(e).__name__
        finally:
            conn.close()
        latency = time.monotonic() - started
        self.max_latency = max(self.max_latency, latency)
        self.samples += 1
        if problem:
            self.failures.append(f"{problem} after {latency:.2f}s")

    def _run(self) -> None:
        while True:
            self._probe_once()
            self._first.set()
            if self._stop.wait(self.interval):
                break

    def problem(self) -> str | None:
        if self.failures:
            return f"/healthz failed during the exchange: {self.failures[:5]} (of {self.samples} polls)"
        if self.max_latency > HEALTH_BUDGET:
            return (f"/healthz waited {self.max_latency:.2f}s (> {HEALTH_BUDGET}s) during the exchange "
                    f"({self.samples} polls): the event loop was blocked")
        return None


# --- the server, one per database for the module ------------------------------------------


def death_note(server: Server) -> str:
    code = server.proc.returncode
    how = f"exit {code}"
    if code is not None and code < 0:
        try:
            how = f"killed by {signal.Signals(-code).name}"
        except ValueError:
            pass
    tail = server.stderr_text()[-3000:]
    return f"the server DIED ({how}); stderr tail:\n{tail}"


class ServerHost:
    """One `stoa serve` on one database, shared by the module's tests and restarted (on the
    same data) when a test killed or wedged it."""

    def __init__(self, stoa_bin: str, database: str, root: Path, env: dict[str, str]):
        self.stoa_bin, self.database, self.root, self.env = stoa_bin, database, root, env
        self.cwd = root / "cwd"
        self.home = root / "home"
        self.cwd.mkdir()
        self.home.mkdir()
        self.server: Server | None = None
        self.generation = 0
        self._user: User | None = None

    def current(self) -> Server:
        if self.server is not None and self.server.proc.poll() is None:
            return self.server
        if self.server is not None:
            self.server.stop(timeout=2)
        self.generation += 1
        port = free_port()
        argv = [self.stoa_bin, "serve", "--host", "127.0.0.1", "--port", str(port)]
        run_env = clean_env(self.home, **self.env)
        out = self.root / f"server{self.generation}.stdout"
        err = self.root / f"server{self.generation}.stderr"
        with open(out, "wb") as fo, open(err, "wb") as fe:
            proc = subprocess.Popen(argv, cwd=self.cwd, env=run_env, stdin=subprocess.DEVNULL, stdout=fo, stderr=fe)
        self.server = Server(proc, self.cwd, port, out, err, argv, run_env)
        wait_healthy(self.server)
        return self.server

    def settle(self) -> None:
        """After a test: a server that is dead or no longer answers `/healthz` within 2 s is
        stopped, so the next test starts a fresh one instead of inheriting the damage."""
        server = self.server
        if server is None or server.proc.poll() is not None:
            return
        try:
            r = client().get(server.url("/healthz"), timeout=2)
            healthy = r.status_code == 200
        except Exception:
            healthy = False
        if not healthy:
            server.stop(timeout=2)

    def user(self) -> "User":
        """A signed-up user shared by the tests that only need some session."""
        if self._user is None:
            self._user = sign_up(self.current())
        return self._user

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def host(request, stoa_bin: str, tmp_path_factory) -> Iterator[ServerHost]:
    root = tmp_path_factory.mktemp(f"hostile-{request.param}")
    env = dict(SERVER_ENV)
    admin = name = None
    if request.param == "postgres":
        admin = os.environ.get("STOA_TEST_PG_URL", "")
        if not admin:
            pytest.fail("STOA_TEST_PG_URL is not set (scripts/test starts PostgreSQL and sets it)")
        name = "e2e_hostile_" + uuid.uuid4().hex[:12]
        psql(admin, f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = with_database(admin, name, "sslmode=disable")
    host = ServerHost(stoa_bin, request.param, root, env)
    try:
        yield host
    finally:
        host.stop()
        if admin and name:
            psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def server(host: ServerHost, request) -> Iterator[Server]:
    srv = host.current()
    request.node.stoa_servers = [srv]  # conftest attaches its logs to a failure report
    yield srv
    host.settle()


# --- users -------------------------------------------------------------------------------


@dataclass
class User:
    email: str
    id: str
    token: str  # the session token: `Bearer <token>` works for /api in all-in-one mode

    @property
    def auth(self) -> list[tuple[str, str]]:
        return [("Authorization", f"Bearer {self.token}")]

    @property
    def auth_dict(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def sign_up(server: Server, password: str = PASSWORD) -> User:
    email = f"hostile.{uuid.uuid4().hex[:10]}@example.com"
    r = client().post(server.url("/api/auth/sign-up/email"),
                      json={"name": "Hostile", "email": email, "password": password}, timeout=30)
    assert r.status_code == 200, f"sign-up: {r.status_code} {r.text[:500]}"
    body = r.json()
    return User(email, body["user"]["id"], body["token"])


def new_conversation(server: Server, user: User) -> str:
    r = client().post(server.url("/api/conversations"), json={}, headers=user.auth_dict, timeout=10)
    assert r.status_code == 201, f"POST /api/conversations: {r.status_code} {r.text[:500]}"
    return r.json()["id"]


# --- the four promises -------------------------------------------------------------------


def exchange(server: Server, method: str, path: str, headers: list[tuple[str, str]] | None = None,
             body: bytes | None = None, *, budget: float = ANSWER_BUDGET, what: str = "", **kw) -> Answer:
    """One request under a HealthProbe; fails the test unless (a)–(d) hold. Returns the answer
    (the caller checks the status class and the body)."""
    data = build_request(method, path, headers, b"" if body is None and method == "POST" else body, server.port)
    with HealthProbe(server.port) as probe:
        answer = raw_exchange(server.port, data, **kw)
    assert_survived(server, what or f"{method} {path}", answer, probe, budget)
    return answer


def assert_survived(server: Server, what: str, answer: Answer | None, probe: HealthProbe, budget: float) -> None:
    # (a) alive, and still answering (a crash right after the answer shows here too).
    still_answers = None
    if server.proc.poll() is None:
        try:
            still_answers = client().get(server.url("/healthz"), timeout=3).status_code == 200
        except Exception:
            still_answers = False
        time.sleep(0.02)
    if server.proc.poll() is not None:
        got = answer.describe() if answer else "-"
        pytest.fail(f"{what}: {death_note(server)}\n(the client got: {got})")
    problems = []
    if not still_answers:
        problems.append("(a) the process is up but /healthz no longer answers within 3 s")
    if answer is not None:
        # (b) no 5xx, and an answer at all.
        if answer.status is None:
            problems.append(f"(b) no response: {answer.describe()}")
        elif answer.status >= 500:
            problems.append(f"(b) server error: {answer.describe()}")
        # (c) in time.
        if answer.elapsed > budget:
            problems.append(f"(c) the answer took {answer.elapsed:.2f}s (budget {budget}s): {answer.describe()}")
    # (d) the event loop kept serving others.
    if probe.problem():
        problems.append("(d) " + probe.problem())
    if problems:
        pytest.fail(f"{what}:\n  " + "\n  ".join(problems))


def assert_client_error(answer: Answer, api: bool, what: str) -> dict:
    """4xx with the route's error JSON: `{code, message}` (api) or `{code?, message}` (auth)."""
    assert answer.status is not None and 400 <= answer.status < 500, f"{what}: want a 4xx, got {answer.describe()}"
    return assert_error_body(answer, api, what)


def assert_error_body(answer: Answer, api: bool, what: str) -> dict:
    try:
        body = answer.json()
    except ValueError:
        pytest.fail(f"{what}: the {answer.status} body is not JSON: {answer.describe()}")
    assert isinstance(body, dict), f"{what}: the error body is not an object: {answer.describe()}"
    assert isinstance(body.get("message"), str) and body["message"], f"{what}: no message: {answer.describe()}"
    if api or "code" in body:
        assert isinstance(body.get("code"), str) and body["code"], f"{what}: no code: {answer.describe()}"
    return body


# --- 1. form bodies to sign-up / sign-in -------------------------------------------------


def _value_1mib() -> bytes:
    head = b"name=x&password=y&email="
    return head + b"a" * (MiB - len(head))  # exactly 1 MiB: the parser sees it all


FORM_PAYLOADS: dict[str, Callable[[], bytes]] = {
    "space_in_email": lambda: b"name=x&email=a b",
    "bad_escape_%zz": lambda: b"%zz",
    "hash": lambda: b"#",
    "lt": lambda: b"<",
    "lone_percent": lambda: b"%",
    "double_percent": lambda: b"%%",
    "empty_pairs": lambda: b"=&=&",
    "truncated_utf8": lambda: b"a=%E0%A4",
    "raw_invalid_utf8": lambda: b"name=\xff&email=\xfe%40example.com&password=\xc0\xaf\xed\xa0\x80xxxxxxxx",
    "nul_escapes": lambda: b"name=%00&email=a%00%40example.com&password=password%00123",
    "amp_100k": lambda: b"&" * 100_000,
    "value_1mib": _value_1mib,
    "plus_spaces": lambda: b"name=a+b+c&email=a+b%40example.com&password=+++",
    "fields_10k": lambda: "&".join(f"f{i}=v{i}" for i in range(10_000)).encode(),
}

AUTH_FORM_ROUTES = {"sign-up": "/api/auth/sign-up/email", "sign-in": "/api/auth/sign-in/email"}
FORM = [("Content-Type", "application/x-www-form-urlencoded")]


@pytest.mark.parametrize("payload", list(FORM_PAYLOADS))
@pytest.mark.parametrize("route", list(AUTH_FORM_ROUTES))
def test_malformed_form_body(server: Server, route: str, payload: str):
    body = FORM_PAYLOADS[payload]()
    answer = exchange(server, "POST", AUTH_FORM_ROUTES[route], FORM, body, what=f"form {payload} to {route}")
    assert_client_error(answer, api=False, what=f"form {payload} to {route}")


def test_form_plus_is_a_space(server: Server):
    """`+` in a form post is a space (sign-up stores the name with spaces; sign-in with the
    `+`-encoded password works)."""
    email = f"plus.{uuid.uuid4().hex[:8]}@example.com"
    body = f"name=Ada+Lovelace&email={email.replace('@', '%40')}&password=pass+word+123".encode()
    answer = exchange(server, "POST", "/api/auth/sign-up/email", FORM, body, what="form sign-up with +")
    assert answer.status == 200, f"form sign-up: {answer.describe()}"
    assert answer.json()["user"]["name"] == "Ada Lovelace", answer.describe()
    answer = exchange(server, "POST", "/api/auth/sign-in/email", FORM, body.split(b"&", 1)[1], what="form sign-in with +")
    assert answer.status == 200, f"form sign-in with the +-encoded password 'pass word 123': {answer.describe()}"


# --- 2. hostile JSON ---------------------------------------------------------------------

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


def _many_keys() -> bytes:
    # 131,071 distinct 3-character keys, 8 bytes each: an object of just under 1 MiB.
    keys = (a + b + c for a in ALPHABET for b in ALPHABET for c in ALPHABET)
    entries = [f'"{k}":0' for _, k in zip(range(131_071), keys)]
    return ("{" + ",".join(entries) + "}").encode()


@dataclass(frozen=True)
class JSONPayload:
    """`kind`: "syntax" (not JSON: 4xx everywhere), "nonobject" (JSON, not an object: 4xx
    everywhere), "too_large" (413 everywhere) or "valid" (an object: sign-in must refuse it
    with a 4xx; sign-out and the API may take it, but never with a 5xx)."""

    kind: str
    whole: Callable[[], bytes] | None = None  # the whole body
    value: Callable[[], bytes] | None = None  # a hostile value, placed in the route's field


JSON_PAYLOADS: dict[str, JSONPayload] = {
    "keys_130k": JSONPayload("valid", whole=_many_keys),
    "dup_keys_130k": JSONPayload("valid", whole=lambda: b"{" + b",".join([b'"a":1'] * 130_000) + b"}"),
    "open_brackets_100k": JSONPayload("syntax", whole=lambda: b"[" * 100_000),
    "open_objects_100k": JSONPayload("syntax", whole=lambda: b'{"a":' * 100_000),
    "nested_arrays_100k": JSONPayload("nonobject", whole=lambda: b"[" * 100_000 + b"]" * 100_000),
    "nested_objects_100k": JSONPayload("valid", whole=lambda: b'{"a":' * 100_000 + b"1" + b"}" * 100_000),
    "string_1mib": JSONPayload("valid", value=lambda: b'"' + b"a" * (MiB - 100) + b'"'),
    "escapes_1mib": JSONPayload("valid", value=lambda: b'"' + b"\\u00e9" * ((MiB - 100) // 6) + b'"'),
    "body_5mib": JSONPayload("too_large", whole=lambda: b'{"a":"' + b"a" * (5 * MiB) + b'"}'),
    "invalid_utf8": JSONPayload("valid", value=lambda: b'"\xff\xfe\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80x"'),
    "lone_high_surrogate": JSONPayload("valid", value=lambda: b'"\\ud800"'),
    "lone_low_surrogate": JSONPayload("valid", value=lambda: b'"x\\udc00\\ud800\\u0041"'),
    "exponent_1e999999": JSONPayload("valid", value=lambda: b"1e999999"),
    "minus_alone": JSONPayload("syntax", value=lambda: b"-"),
    "digits_100k": JSONPayload("valid", value=lambda: b"1" * 100_000),
    "digits_100k_fraction_exp": JSONPayload("valid", value=lambda: b"-0." + b"1" * 100_000 + b"e-999999"),
}


@dataclass(frozen=True)
class JSONRoute:
    path: str
    api: bool  # /api error shape ({code, message}) rather than Better Auth's
    valid_must_fail: bool  # a "valid" payload is still refused (4xx)
    slot: Callable[[bytes], bytes]  # the body around a hostile value
    signed_in: bool = False


JSON_ROUTES = {
    "sign-in": JSONRoute("/api/auth/sign-in/email", api=False, valid_must_fail=True,
                         slot=lambda v: b'{"email":"nobody@example.com","password":' + v + b"}"),
    "sign-out": JSONRoute("/api/auth/sign-out", api=False, valid_must_fail=False,
                          slot=lambda v: b'{"callbackURL":' + v + b"}"),
    "api-conversations": JSONRoute("/api/conversations", api=True, valid_must_fail=False,
                                   slot=lambda v: b'{"title":' + v + b"}", signed_in=True),
}
JSON_HEADERS = [("Content-Type", "application/json")]


@pytest.mark.parametrize("payload", list(JSON_PAYLOADS))
@pytest.mark.parametrize("route", list(JSON_ROUTES))
def test_hostile_json(host: ServerHost, server: Server, route: str, payload: str):
    spec, target = JSON_PAYLOADS[payload], JSON_ROUTES[route]
    body = spec.whole() if spec.whole else target.slot(spec.value())
    headers = JSON_HEADERS + (host.user().auth if target.signed_in else [])
    what = f"JSON {payload} ({len(body)} B) to {route}"
    answer = exchange(server, "POST", target.path, headers, body, what=what)
    if spec.kind == "too_large":
        assert answer.status == 413, f"{what}: want 413, got {answer.describe()}"
        assert_error_body(answer, target.api, what)
    elif spec.kind in ("syntax", "nonobject") or target.valid_must_fail:
        assert_client_error(answer, target.api, what)
    elif answer.status >= 400:
        assert_error_body(answer, target.api, what)


# --- 3. chat messages with pathological Markdown ------------------------------------------


def _increasing_backticks() -> str:
    parts, n, total = [], 1, 0
    while total + n + 1 <= 32_000:
        parts.append("`" * n + "a")
        total += n + 1
        n += 1
    return "".join(parts)


def _indented_list() -> str:
    # Each item two spaces deeper than the last, as deep as 32,000 characters allow.
    lines, total, depth = [], 0, 0
    while True:
        line = "  " * depth + "- a"
        if total + len(line) + 1 > 32_000:
            return "\n".join(lines)
        lines.append(line)
        total += len(line) + 1
        depth += 1


def _random_mix() -> str:
    rng = random.Random(20260101)
    pieces = list("[]()*_`>#-!<&\"'\\|~=+:.0123456789 \n\t") + ["http://", "](", "**", "__", "```", "> ", "- ", "1. ", "a", "e"]
    out = []
    total = 0
    while total < 32_000:
        p = rng.choice(pieces)
        out.append(p)
        total += len(p)
    return "".join(out)[:32_000]


CHAT_PAYLOADS: dict[str, Callable[[], str]] = {
    "brackets_25": lambda: "[" * 25,
    "brackets_50": lambda: "[" * 50,
    "brackets_32000": lambda: "[" * 32_000,
    "empty_links_8000": lambda: "[](" * 8000,
    "stars_32000": lambda: "*" * 32_000,
    "underscores_32000": lambda: "_" * 32_000,
    "star_underscore_16000": lambda: "*_" * 16_000,
    "strong_open_8000": lambda: "**a" * 8000,
    "backticks_32000": lambda: "`" * 32_000,
    "backticks_increasing": _increasing_backticks,
    "backticks_alternating": lambda: "`a``" * 8000,
    "blockquote_5000": lambda: "> " * 5000 + "a",
    "list_nested_2000": lambda: "- " * 2000 + "a",
    "list_indented": _indented_list,
    "add_8000_spaces": lambda: "add x" + " " * 8000 + "y",
    "add_30000_spaces": lambda: "add " + " " * 30_000,
    "mark_a_15000": lambda: "mark " + "a " * 15_000 + "done",
    "random_mix_32000": _random_mix,
}


def post_message(server: Server, user: User, conversation: str, content: str, what: str) -> Answer:
    body = json.dumps({"content": content}).encode()
    return exchange(server, "POST", f"/api/conversations/{conversation}/messages", JSON_HEADERS + user.auth, body, what=what)


def read_back(server: Server, user: User, conversation: str, what: str) -> list[dict]:
    """GET the conversation's messages and the user's history: 200 within 1 s each (under the
    probe). Returns the conversation's messages."""
    messages = []
    for path in (f"/api/conversations/{conversation}/messages", "/api/user/history"):
        answer = exchange(server, "GET", path, user.auth, budget=READ_BUDGET, what=f"{what}: GET {path}")
        assert answer.status == 200, f"{what}: GET {path}: {answer.describe()}"
        items = answer.json()["items"]
        assert all(isinstance(m.get("html"), str) for m in items), f"{what}: GET {path}: a message without html"
        if not messages:
            messages = items
    return messages


@pytest.mark.parametrize("payload", list(CHAT_PAYLOADS))
def test_chat_message(server: Server, payload: str):
    content = CHAT_PAYLOADS[payload]()
    assert len(content) <= 32_000
    user = sign_up(server)  # a user of its own: the history holds only this test's messages
    conversation = new_conversation(server, user)
    what = f"chat {payload} ({len(content)} chars)"
    answer = post_message(server, user, conversation, content, what)
    assert answer.status == 201, f"{what}: want 201, got {answer.describe()}"
    messages = read_back(server, user, conversation, what)
    saved = [m["content"] for m in messages if m.get("role") == "user"]
    assert saved == [content.strip()], f"{what}: the saved user message differs from what was sent"


def message_html(server: Server, content: str, what: str) -> list[str]:
    user = sign_up(server)
    conversation = new_conversation(server, user)
    answer = post_message(server, user, conversation, content, what)
    assert answer.status == 201, f"{what}: want 201, got {answer.describe()}"
    messages = read_back(server, user, conversation, what)
    mine = [m["html"] for m in messages if m.get("role") == "user"]
    assert len(mine) == 1, f"{what}: want the user message back, got {messages!r}"
    return mine + [m["html"] for m in messages if m.get("role") != "user"]


class _Attributes(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.found.extend((tag, name, value) for name, value in attrs)

    handle_startendtag = handle_starttag


def test_link_cannot_inject_attributes(server: Server):
    """`[x](http://a" onmouseover="alert(1))`: the quote must not end the href."""
    htmls = message_html(server, '[x](http://a" onmouseover="alert(1))', "XSS link")
    for html in htmls:
        parser = _Attributes()
        parser.feed(html)
        handlers = [(tag, name, value) for tag, name, value in parser.found if name.lower().startswith("on")]
        assert not handlers, f"event-handler attribute in the rendered html {html!r}: {handlers}"
        assert '" onmouseover' not in html, f"unescaped quote before onmouseover in {html!r}"


def test_inline_code_is_escaped_once(server: Server):
    htmls = message_html(server, "`a<b`", "inline code a<b")
    html = htmls[0]
    assert "<code>a&lt;b</code>" in html, f"want <code>a&lt;b</code> in {html!r}"
    assert "&amp;lt;" not in html, f"double-escaped in {html!r}"


# --- 4. slow clients and big headers ------------------------------------------------------


def test_unfinished_headers_are_cut_off(server: Server):
    """Clients that send a request line and one header, then nothing, are disconnected once
    STOA_HEADER_TIMEOUT (2 s) passes, while everyone else is served promptly."""
    socks: list[socket.socket] = []
    closed_after: dict[int, float] = {}
    responses: dict[int, bytes] = {}
    with HealthProbe(server.port) as probe:
        started = time.monotonic()
        for _ in range(SLOW_CLIENTS):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            s.setblocking(False)
            socks.append(s)
        sel = selectors.DefaultSelector()
        for i, s in enumerate(socks):
            sel.register(s, selectors.EVENT_READ, i)
        try:
            while len(closed_after) < len(socks):
                remaining = started + SLOW_CLOSE_BUDGET - time.monotonic()
                if remaining <= 0:
                    break
                for key, _ in sel.select(remaining):
                    i = key.data
                    try:
                        chunk = socks[i].recv(65536)
                    except BlockingIOError:
                        continue
                    except OSError:
                        chunk = b""
                    if chunk:
                        responses[i] = responses.get(i, b"") + chunk
                    else:
                        closed_after[i] = time.monotonic() - started
                        sel.unregister(socks[i])
        finally:
            sel.close()
            for s in socks:
                s.close()
    assert_survived(server, "slow clients", None, probe, ANSWER_BUDGET)
    open_ = len(socks) - len(closed_after)
    assert open_ == 0, (f"{open_} of {len(socks)} connections with unfinished headers were still open "
                        f"{SLOW_CLOSE_BUDGET:.0f}s later (STOA_HEADER_TIMEOUT={HEADER_TIMEOUT})")
    for i, data in responses.items():
        status = _parse_head(data.split(b"\r\n\r\n", 1)[0])[0] if b"\r\n\r\n" in data else None
        assert status is None or status < 500, f"a slow client got {data[:200]!r} before the close"
    slowest = max(closed_after.values())
    assert slowest >= HEADER_TIMEOUT * 0.5, f"connections closed after {slowest:.2f}s: sooner than the timeout?"


def test_oversized_header_value(server: Server):
    """A 100 KB header value: 431, or the connection closed (an error status then a close is
    fine too), never a crash, a hang or a 5xx."""
    answer = exchange(server, "GET", "/healthz", [("X-Big", "a" * 100_000)], what="100 KB header", wait_close=True,
                      deadline=ANSWER_BUDGET + 2)
    if answer.status == 431:
        return
    assert answer.closed, f"100 KB header: want 431 or a closed connection, got {answer.describe()} and the connection stayed open"
    assert answer.status is None or 400 <= answer.status < 500, f"100 KB header: {answer.describe()}"


def _jwt_shaped(size: int) -> str:
    part = "eyJ" + "A" * (size // 3)
    return f"{part}.{part}.{'s' * (size // 3)}"


BIG_HEADERS: dict[str, tuple[str, list[tuple[str, str]], int, bool]] = {
    # name: (path, headers, wanted status, api error shape)
    "cookie_6000_pairs": ("/api/auth/get-session",
                          [("Cookie", "; ".join(f"c{i}=v{i}" for i in range(6000)))], 200, False),
    "session_cookie_60k": ("/api/auth/get-session",
                           [("Cookie", "better-auth.session_token=" + "A" * 60_000 + ".sig")], 200, False),
    "bearer_jwt_60k": ("/api/conversations", [("Authorization", "Bearer " + _jwt_shaped(60_000))], 401, True),
    "bearer_raw_60k": ("/api/auth/get-session", [("Authorization", "Bearer " + "A" * 60_000)], 200, False),
}


@pytest.mark.parametrize("case", list(BIG_HEADERS))
def test_large_legal_headers(server: Server, case: str):
    """Big but legal headers (under the usual 80 KB total) reach the cookie and bearer parsers."""
    path, headers, want, api = BIG_HEADERS[case]
    answer = exchange(server, "GET", path, headers, what=case)
    if answer.status == 431:
        return  # refusing them outright is acceptable too
    assert answer.status == want, f"{case}: want {want}, got {answer.describe()}"
    if want >= 400:
        assert_error_body(answer, api, case)
    elif path == "/api/auth/get-session":
        assert answer.json() is None, f"{case}: want a null session, got {answer.describe()}"


# --- 5. CORS on error answers -------------------------------------------------------------


def test_cors_on_auth_error(host: ServerHost, server: Server):
    user = host.user()
    body = json.dumps({"email": user.email, "password": "wrong-password"}).encode()
    answer = exchange(server, "POST", "/api/auth/sign-in/email", JSON_HEADERS + [("Origin", TRUSTED_ORIGIN)], body,
                      what="wrong password from a trusted origin")
    assert answer.status == 401, answer.describe()
    assert_error_body(answer, False, "wrong password")
    assert answer.headers.get("access-control-allow-origin") == TRUSTED_ORIGIN, (
        f"a 401 from sign-in to {TRUSTED_ORIGIN} has no Access-Control-Allow-Origin: {answer.headers}")


def test_cors_on_api_unauthorized(server: Server):
    answer = exchange(server, "GET", "/api/conversations", [("Origin", TRUSTED_ORIGIN)], what="no token from a trusted origin")
    assert answer.status == 401, answer.describe()
    assert_error_body(answer, True, "no token")
    assert answer.headers.get("access-control-allow-origin") == TRUSTED_ORIGIN, (
        f"a 401 from /api/conversations to {TRUSTED_ORIGIN} has no Access-Control-Allow-Origin: {answer.headers}")


def test_cors_untrusted_origin_gets_none(host: ServerHost, server: Server):
    user = host.user()
    body = json.dumps({"email": user.email, "password": "wrong-password"}).encode()
    auth_error = exchange(server, "POST", "/api/auth/sign-in/email", JSON_HEADERS + [("Origin", UNTRUSTED_ORIGIN)], body,
                          what="wrong password from an untrusted origin")
    api_error = exchange(server, "GET", "/api/conversations", [("Origin", UNTRUSTED_ORIGIN)], what="no token from an untrusted origin")
    for name, answer in (("sign-in", auth_error), ("/api/conversations", api_error)):
        assert answer.status is not None and 400 <= answer.status < 500, f"{name}: {answer.describe()}"
        leaked = {k: v for k, v in answer.headers.items() if k.startswith("access-control-")}
        assert not leaked, f"{name} answered {UNTRUSTED_ORIGIN} with CORS headers {leaked}"
