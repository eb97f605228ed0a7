"""MCP end to end, with the official Python `mcp` SDK as the client: `POST /mcp` (streamable
HTTP, bearer JWT) and `stoa mcp --user EMAIL` (stdio), both against a real `stoa serve`.

Covers: initialize, the tool list (names, descriptions, object input schemas), add / list /
complete a task and see it in `GET /api/tasks`, tool errors as `isError`, per-user isolation
(another user's tasks and another user's MCP session), and 401 without or with a bad token.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import uuid
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

import httpx
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from conftest import Server, client

PASSWORD = "password123"
TASK_TOOLS = {"add_task", "list_tasks", "complete_task", "update_task", "delete_task"}
# search_documents joins the list when documents are configured.
KNOWN_TOOLS = TASK_TOOLS | {"search_documents"}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
INITIALIZE = {
    "jsonrpc": "2.0", "id": 1, "method": "initialize",
    "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}},
}


# --- helpers -----------------------------------------------------------------------------


class User:
    def __init__(self, email: str, id: str, session_token: str, jwt: str):
        self.email, self.id, self.session_token, self.jwt = email, id, session_token, jwt

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.jwt}"}


def sign_up(server: Server, name: str) -> User:
    """A new user with a JWT from `GET /api/auth/token`."""
    email = f"mcp.{name.lower()}.{uuid.uuid4().hex[:8]}@example.com"
    s = client()
    r = s.post(server.url("/api/auth/sign-up/email"), json={"name": name, "email": email, "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, f"sign-up: {r.status_code} {r.text}"
    body = r.json()
    r = s.get(server.url("/api/auth/token"), headers={"Authorization": f"Bearer {body['token']}"}, timeout=30)
    assert r.status_code == 200, f"GET /api/auth/token: {r.status_code} {r.text}"
    return User(email, body["user"]["id"], body["token"], r.json()["token"])


def api_tasks(server: Server, user: User, status: str = "all") -> list[dict]:
    r = client().get(server.url(f"/api/tasks?status={status}&limit=100"), headers=user.auth, timeout=30)
    assert r.status_code == 200, f"GET /api/tasks: {r.status_code} {r.text}"
    return r.json()["items"]


@asynccontextmanager
async def http_session(server: Server, user: User) -> AsyncIterator[tuple[ClientSession, object]]:
    """An initialized MCP client session over streamable HTTP; yields (session, get_session_id)."""
    http = httpx.AsyncClient(headers=user.auth, timeout=httpx.Timeout(30, read=120), trust_env=False)
    async with http:
        async with streamable_http_client(server.url("/mcp"), http_client=http) as (read, write, get_session_id):
            async with ClientSession(read, write) as session:
                result = await session.initialize()
                assert result.serverInfo.name == "stoa", result
                assert result.capabilities.tools is not None, result
                yield session, get_session_id


@asynccontextmanager
async def stdio_session(stoa_bin: str, server: Server, email: str) -> AsyncIterator[ClientSession]:
    """`stoa mcp --user EMAIL` with the server's working directory and environment."""
    params = StdioServerParameters(command=stoa_bin, args=["mcp", "--user", email], env=dict(server.env), cwd=str(server.cwd))
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            result = await session.initialize()
            assert result.serverInfo.name == "stoa", result
            yield session


def text_of(result) -> str:
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def check_tool_list(session: ClientSession) -> None:
    tools = (await session.list_tools()).tools
    names = {t.name for t in tools}
    assert TASK_TOOLS <= names <= KNOWN_TOOLS, f"tools: {sorted(names)}"
    assert len(names) == len(tools), "duplicate tool names"
    for tool in tools:
        assert tool.description and tool.description.strip(), f"{tool.name} has no description"
        schema = tool.inputSchema
        assert schema.get("type") == "object" and isinstance(schema.get("properties"), dict), f"{tool.name}: {schema!r}"
    add = next(t for t in tools if t.name == "add_task")
    assert "title" in add.inputSchema["properties"] and add.inputSchema.get("required") == ["title"], add.inputSchema


async def call_ok(session: ClientSession, name: str, arguments: dict) -> dict:
    result = await session.call_tool(name, arguments)
    assert not result.isError, f"{name}({arguments}) failed: {text_of(result)}"
    assert isinstance(result.structuredContent, dict), f"{name}: no structured content: {result!r}"
    assert text_of(result).strip(), f"{name}: no text content: {result!r}"
    return result.structuredContent


async def call_error(session: ClientSession, name: str, arguments: dict, expect: str) -> str:
    result = await session.call_tool(name, arguments)
    message = text_of(result)
    assert result.isError is True, f"{name}({arguments}) should be a tool error, got {result!r}"
    assert expect.lower() in message.lower(), f"{name}({arguments}): want {expect!r} in {message!r}"
    return message


async def task_roundtrip(session: ClientSession, title: str) -> str:
    """add_task, list_tasks, complete_task; returns the task id."""
    added = await call_ok(session, "add_task", {"title": title, "description": "from an MCP client"})
    task = added["task"]
    assert task["title"] == title and task["completed"] is False, added
    listed = await call_ok(session, "list_tasks", {})
    assert task["id"] in [t["id"] for t in listed["tasks"]], listed
    done = await call_ok(session, "complete_task", {"task_id": task["id"]})
    assert done["task"]["id"] == task["id"] and done["task"]["completed"] is True, done
    open_now = await call_ok(session, "list_tasks", {"status": "open"})
    assert task["id"] not in [t["id"] for t in open_now["tasks"]], open_now
    return task["id"]


def raw_mcp(server: Server, method: str, headers: dict[str, str], body: dict | None = None):
    s = client()
    return s.request(method, server.url("/mcp"), headers=headers, data=json.dumps(body) if body is not None else None,
                     timeout=30, stream=method == "GET")


def assert_401(r, token: str | None = None, codes: set[str] = frozenset({"UNAUTHORIZED", "INVALID_TOKEN", "TOKEN_EXPIRED"})) -> None:
    assert r.status_code == 401, f"want 401, got {r.status_code} {r.text}"
    www = r.headers.get("WWW-Authenticate", "")
    assert www.lower().startswith("bearer") and 'error="invalid_token"' in www, f"WWW-Authenticate: {www!r}"
    body = r.json()
    assert body.get("code") in codes and body.get("message"), body
    if token:
        for part in [token] + [p for p in token.split(".") if len(p) >= 8]:
            assert part not in r.text, "the 401 body echoes the token"


# --- streamable HTTP ---------------------------------------------------------------------


def test_http_tools_roundtrip_and_api_sees_it(stoa_server: Server):
    alice = sign_up(stoa_server, "Alice")

    async def main() -> str:
        async with http_session(stoa_server, alice) as (session, get_session_id):
            assert get_session_id(), "no Mcp-Session-Id"
            await check_tool_list(session)
            if "search_documents" in {t.name for t in (await session.list_tools()).tools}:
                found = await call_ok(session, "search_documents", {"query": "anything at all", "limit": 3})
                assert isinstance(found["results"], list), found
                await call_error(session, "search_documents", {}, "query is required")
            return await task_roundtrip(session, "Buy milk over MCP")

    task_id = asyncio.run(main())
    tasks = {t["id"]: t for t in api_tasks(stoa_server, alice)}
    assert task_id in tasks and tasks[task_id]["completed"] is True, tasks
    assert tasks[task_id]["title"] == "Buy milk over MCP"


def test_http_tool_errors_are_is_error(stoa_server: Server):
    alice = sign_up(stoa_server, "Alice")

    async def main() -> None:
        async with http_session(stoa_server, alice) as (session, _):
            await call_error(session, "complete_task", {"task_id": str(uuid.uuid4())}, "No task with that id")
            await call_error(session, "complete_task", {"task_id": "not-a-task"}, "task_id")
            await call_error(session, "add_task", {}, "title is required")
            await call_error(session, "add_task", {"title": "   "}, "title must not be empty")
            await call_error(session, "add_task", {"title": "x", "due_at": "someday"}, "due_at")
            await call_error(session, "list_tasks", {"status": "sideways"}, "status must be")
            await call_error(session, "no_such_tool", {}, "no tool called no_such_tool")
            # The session still works after tool errors.
            await call_ok(session, "list_tasks", {})

    asyncio.run(main())
    assert api_tasks(stoa_server, alice) == []


def test_http_users_are_isolated(stoa_server: Server):
    alice, bob = sign_up(stoa_server, "Alice"), sign_up(stoa_server, "Bob")

    async def main() -> str:
        async with http_session(stoa_server, alice) as (session, _):
            added = await call_ok(session, "add_task", {"title": "Alice's secret plan"})
        task_id = added["task"]["id"]
        async with http_session(stoa_server, bob) as (session, _):
            listed = await call_ok(session, "list_tasks", {"status": "all"})
            assert listed["tasks"] == [], listed
            searched = await call_ok(session, "list_tasks", {"status": "all", "q": "secret"})
            assert searched["tasks"] == [], searched
            for name, args in [("complete_task", {"task_id": task_id}), ("update_task", {"task_id": task_id, "title": "Bob's now"}),
                               ("delete_task", {"task_id": task_id})]:
                await call_error(session, name, args, "No task with that id")
        return task_id

    task_id = asyncio.run(main())
    tasks = api_tasks(stoa_server, alice)
    assert [(t["id"], t["title"], t["completed"]) for t in tasks] == [(task_id, "Alice's secret plan", False)], tasks
    assert api_tasks(stoa_server, bob) == []


def test_http_session_is_bound_to_its_user(stoa_server: Server):
    alice, bob = sign_up(stoa_server, "Alice"), sign_up(stoa_server, "Bob")
    list_tools = {"jsonrpc": "2.0", "id": 7, "method": "tools/list", "params": {}}
    call = {"jsonrpc": "2.0", "id": 8, "method": "tools/call", "params": {"name": "list_tasks", "arguments": {"status": "all"}}}

    unknown = raw_mcp(stoa_server, "POST", {**MCP_HEADERS, **bob.auth, "Mcp-Session-Id": "x" * 32}, list_tools)
    assert unknown.status_code == 404, unknown.text

    async def main() -> str:
        async with http_session(stoa_server, alice) as (session, get_session_id):
            await call_ok(session, "add_task", {"title": "Only Alice may see this"})
            sid = get_session_id()
            assert sid
            for body in (list_tools, call):
                r = raw_mcp(stoa_server, "POST", {**MCP_HEADERS, **bob.auth, "Mcp-Session-Id": sid}, body)
                assert r.status_code == 404, f"Bob with Alice's session: {r.status_code} {r.text}"
                assert r.text == unknown.text, "a foreign session must look exactly like an unknown one"
                assert "Only Alice" not in r.text
            r = raw_mcp(stoa_server, "GET", {"Accept": "text/event-stream", **bob.auth, "Mcp-Session-Id": sid})
            assert r.status_code == 404, f"GET with Alice's session: {r.status_code}"
            r.close()
            r = raw_mcp(stoa_server, "DELETE", {**bob.auth, "Mcp-Session-Id": sid})
            assert r.status_code == 404, f"DELETE with Alice's session: {r.status_code} {r.text}"
            # Alice's session survived all of that.
            listed = await call_ok(session, "list_tasks", {})
            assert [t["title"] for t in listed["tasks"]] == ["Only Alice may see this"], listed
            return sid

    sid = asyncio.run(main())
    # The client sent DELETE on close: the session is gone, even for Alice.
    r = raw_mcp(stoa_server, "POST", {**MCP_HEADERS, **alice.auth, "Mcp-Session-Id": sid}, list_tools)
    assert r.status_code == 404, f"after DELETE: {r.status_code} {r.text}"


def test_http_raw_session_lifecycle(stoa_server: Server):
    alice = sign_up(stoa_server, "Alice")
    headers = {**MCP_HEADERS, **alice.auth}
    # Without a session, only initialize is accepted.
    r = raw_mcp(stoa_server, "POST", headers, {"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert r.status_code == 400, r.text
    r = raw_mcp(stoa_server, "GET", {"Accept": "text/event-stream", **alice.auth})
    assert r.status_code == 400
    r.close()
    r = raw_mcp(stoa_server, "POST", headers, INITIALIZE)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/event-stream"), (r.status_code, r.text)
    sid = r.headers.get("Mcp-Session-Id", "")
    assert len(sid) >= 32, sid
    assert '"serverInfo"' in r.text and '"stoa"' in r.text, r.text
    r = raw_mcp(stoa_server, "POST", {**headers, "Mcp-Session-Id": sid}, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert r.status_code == 202, r.text
    r = raw_mcp(stoa_server, "POST", {**headers, "Mcp-Session-Id": sid}, {"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    assert r.status_code == 200 and '"add_task"' in r.text, r.text
    # A browser page from an untrusted origin is refused even with a token.
    r = raw_mcp(stoa_server, "POST", {**headers, "Mcp-Session-Id": sid, "Origin": "https://evil.example"},
                {"jsonrpc": "2.0", "id": 3, "method": "tools/list"})
    assert r.status_code == 403, r.text
    r = raw_mcp(stoa_server, "DELETE", {**alice.auth, "Mcp-Session-Id": sid})
    assert r.status_code == 200, r.text
    r = raw_mcp(stoa_server, "POST", {**headers, "Mcp-Session-Id": sid}, {"jsonrpc": "2.0", "id": 4, "method": "tools/list"})
    assert r.status_code == 404, r.text


def test_http_needs_a_valid_token(stoa_server: Server):
    alice = sign_up(stoa_server, "Alice")
    for method in ("POST", "GET", "DELETE"):
        r = raw_mcp(stoa_server, method, MCP_HEADERS, INITIALIZE if method == "POST" else None)
        assert_401(r, codes={"UNAUTHORIZED"})
    # A session cookie is not a credential for /mcp.
    cookie = {"Cookie": f"better-auth.session_token={alice.session_token}", "Origin": stoa_server.origin}
    assert_401(raw_mcp(stoa_server, "POST", {**MCP_HEADERS, **cookie}, INITIALIZE), codes={"UNAUTHORIZED"})
    header, payload, signature = alice.jwt.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}{'AAAA' if not signature.endswith('AAAA') else 'BBBB'}"
    for bad in (forged, "not-a-token", f"{header}.{payload}."):
        r = raw_mcp(stoa_server, "POST", {**MCP_HEADERS, "Authorization": f"Bearer {bad}"}, INITIALIZE)
        assert_401(r, bad, codes={"INVALID_TOKEN"})
    r = raw_mcp(stoa_server, "POST", {**MCP_HEADERS, "Authorization": "Basic Zm9vOmJhcg=="}, INITIALIZE)
    assert_401(r, codes={"INVALID_TOKEN"})

    # The SDK client with a bad token fails to connect (the server answers 401).
    async def main() -> None:
        bad_user = User(alice.email, alice.id, alice.session_token, forged)
        async with http_session(stoa_server, bad_user):
            pass

    with pytest.raises(BaseException) as raised:
        asyncio.run(main())
    assert "401" in repr(raised.value) or "Unauthorized" in repr(raised.value), repr(raised.value)


# --- stdio -------------------------------------------------------------------------------


def test_stdio_tools_act_as_the_user(stoa_bin: str, stoa_server: Server):
    alice, bob = sign_up(stoa_server, "Alice"), sign_up(stoa_server, "Bob")

    async def main() -> str:
        async with stdio_session(stoa_bin, stoa_server, alice.email) as session:
            await check_tool_list(session)
            task_id = await task_roundtrip(session, "Water the plants via stdio")
            await call_error(session, "complete_task", {"task_id": str(uuid.uuid4())}, "No task with that id")
            await call_error(session, "add_task", {"description": "no title"}, "title is required")
        async with stdio_session(stoa_bin, stoa_server, bob.email) as session:
            listed = await call_ok(session, "list_tasks", {"status": "all"})
            assert listed["tasks"] == [], listed
            await call_error(session, "complete_task", {"task_id": task_id}, "No task with that id")
            await call_error(session, "delete_task", {"task_id": task_id}, "No task with that id")
        return task_id

    task_id = asyncio.run(main())
    tasks = {t["id"]: t for t in api_tasks(stoa_server, alice)}
    assert task_id in tasks and tasks[task_id]["completed"] is True, tasks
    assert api_tasks(stoa_server, bob) == []


def test_stdio_unknown_user_fails_clearly(stoa_bin: str, stoa_server: Server):
    result = subprocess.run([stoa_bin, "mcp", "--user", "nobody@example.com"], cwd=stoa_server.cwd, env=stoa_server.env,
                            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stdout == "", f"stdout must carry only the protocol: {result.stdout!r}"
    assert "nobody@example.com" in result.stderr, result.stderr


def test_http_sessions_per_user_are_bounded(stoa_server: Server):
    """A user who keeps opening sessions loses the least recently used one (16 per user)."""
    alice = sign_up(stoa_server, "Alice")
    headers = {**MCP_HEADERS, **alice.auth}
    sids = []
    for _ in range(17):
        r = raw_mcp(stoa_server, "POST", headers, INITIALIZE)
        assert r.status_code == 200, r.text
        sids.append(r.headers["Mcp-Session-Id"])
    assert len(set(sids)) == 17
    ping = {"jsonrpc": "2.0", "id": 9, "method": "ping"}
    r = raw_mcp(stoa_server, "POST", {**headers, "Mcp-Session-Id": sids[0]}, ping)
    assert r.status_code == 404, f"the oldest session should have been closed: {r.status_code} {r.text}"
    for sid in sids[1:]:
        r = raw_mcp(stoa_server, "POST", {**headers, "Mcp-Session-Id": sid}, ping)
        assert r.status_code == 200, r.text
