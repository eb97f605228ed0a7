"""History pages from memory while a server is alone on its PostgreSQL database (issue 20;
README, Roles: "Reads from memory only while alone"), with the real binary and the real lease
timings.

Shown: a lone `stoa serve` says it answers repeated reads from memory; a second replica
starting on the same database makes it stop before the second one serves, so a message saved
through the second replica is in the first one's very next history page; once the second
replica stops, the first is alone again; a CLI command (`stoa users list`) makes it stop too,
and waits well under the 5 s limit for that."""

from __future__ import annotations

import time

from cluster_support import cluster_env, new_account, run_stoa_cli, start_replicas
from conftest import client, free_port

ALONE = "the only Stoa process on the database"
SHARED = "another Stoa process uses the database"


def wait_for_log(server, text: str, count: int = 1, timeout: float = 20.0) -> float:
    """Seconds until `text` appears `count` times in the server's log."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if server.logs().count(text) >= count:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"no {count}× {text!r} within {timeout} s in\n{server.logs()[-4000:]}")


def history(server, acct) -> list[str]:
    r = client().get(server.url("/api/user/history?limit=20"), headers=acct.auth, timeout=30)
    assert r.status_code == 200, f"history via {server.base_url}: {r.status_code} {r.text}"
    return [m["id"] for m in r.json()["items"]]


def turn(server, acct, conversation: str, text: str) -> None:
    r = client().post(server.url(f"/api/conversations/{conversation}/messages"), json={"content": text},
                      headers=acct.auth, timeout=30)
    assert r.status_code == 201, f"turn via {server.base_url}: {r.status_code} {r.text}"


def test_history_from_memory_only_while_alone(pg_database, start_server, stoa_bin, tmp_path, home):
    port = free_port()
    env = cluster_env(pg_database, f"http://127.0.0.1:{port}", STOA_LOG_FORMAT="text")
    (a,) = start_replicas(start_server, tmp_path, 1, env, ports=[port])
    wait_for_log(a, ALONE)   # after the 3 s it holds the lease alone before trusting it

    acct = new_account(a, "Ada")
    r = client().post(a.url("/api/conversations"), json={"title": ""}, headers=acct.auth, timeout=30)
    assert r.status_code == 201, r.text
    conversation = r.json()["id"]
    turn(a, acct, conversation, "add buy milk")
    assert len(history(a, acct)) == 2
    assert len(history(a, acct)) == 2   # this one from memory

    # A second replica: replica A stops answering from memory before B is up.
    (b,) = start_replicas(start_server, tmp_path, 1, env, migrate=False, ports=[free_port()])
    assert SHARED in a.logs(), "replica B serves while replica A still answers from memory"
    turn(b, acct, conversation, "what's on my list?")
    assert len(history(a, acct)) == 4, "replica A served a page from before replica B's write"
    turn(a, acct, conversation, "add call mum")
    assert len(history(b, acct)) == 6

    # B gone: A is alone again (its 2 s retry, then 3 s of holding the lock alone).
    b.stop()
    wait_for_log(a, ALONE, count=2)
    assert len(history(a, acct)) == 6

    # A CLI command shares the database too: A steps down for it, and it waits well under 5 s.
    started = time.monotonic()
    run_stoa_cli(stoa_bin, ["users", "list", "--json"], {"DATABASE_URL": pg_database, "BETTER_AUTH_SECRET": env["BETTER_AUTH_SECRET"]}, home)
    took = time.monotonic() - started
    assert a.logs().count(SHARED) == 2, "the CLI command ran while replica A answered from memory"
    assert took < 4.0, f"stoa users list took {took:.1f} s"
    turn(a, acct, conversation, "add water plants")
    assert len(history(a, acct)) == 8
    assert a.proc.poll() is None, f"replica A exited\n{a.logs()}"
