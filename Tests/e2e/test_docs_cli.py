"""`stoa docs ingest|list|remove|search` on the real binary, on SQLite and PostgreSQL:
2,000 generated Markdown files ingest with a progress bar; re-ingest re-chunks only the
changed file; the running server's search and the assistant see the documents."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from conftest import clean_env, client
from test_admin_cli import run


@pytest.fixture(params=["sqlite", "postgres"])
def docs_env(request, home: Path) -> dict[str, str]:
    env = clean_env(home, BETTER_AUTH_SECRET="docs-test-secret-docs-test-secret-01")
    if request.param == "postgres":
        env["DATABASE_URL"] = request.getfixturevalue("pg_database")
    return env


def write_corpus(root: Path, files: int) -> None:
    for i in range(files):
        folder = root / f"part{i // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"page{i:04d}.md").write_text(
            f"---\ntitle: Page {i}\n---\n# Page {i}\n\n## Overview\n\n"
            + f"This page explains topic{i} in plain words. " * 20
            + "\n\n## Details\n\n"
            + f"More about topic{i}: settings, limits and examples. " * 3
        )


def test_ingest_2000_files_with_progress_then_reingest_one(stoa_bin: str, workdir: Path, tmp_path: Path, docs_env: dict[str, str]) -> None:
    corpus = tmp_path / "corpus"
    write_corpus(corpus, 2000)
    started = time.monotonic()
    first = run(stoa_bin, workdir, docs_env, "docs", "ingest", str(corpus), "--base-url", "https://book.example/docs")
    took = time.monotonic() - started
    print(f"ingest of 2000 files: {took:.1f} s; {first.stdout.strip()}")
    assert "2000 added, 0 updated, 0 unchanged, 0 failed; 4000 chunk(s) written" in first.stdout
    # Not a terminal: the bar prints a line every 10 %, ending at 100 %.
    bars = [line for line in first.stderr.splitlines() if line.startswith("[")]
    assert len(bars) >= 10 and bars[-1].startswith("[" + "#" * 30 + "] 100% 2000/2000 files"), first.stderr[-500:]

    changed = corpus / "part07" / "page0700.md"
    changed.write_text("# Page 700\n\n## Overview\n\nNow this page is about zanzibar ferries.\n")
    second = run(stoa_bin, workdir, docs_env, "docs", "ingest", str(corpus), "--base-url", "https://book.example/docs")
    assert "0 added, 1 updated, 1999 unchanged, 0 failed; 1 chunk(s) written" in second.stdout

    found = json.loads(run(stoa_bin, workdir, docs_env, "docs", "search", "zanzibar ferries", "--json").stdout)
    assert [hit["source"] for hit in found] == ["https://book.example/docs/part07/page0700#overview"]
    listed = json.loads(run(stoa_bin, workdir, docs_env, "docs", "list", "--json").stdout)
    assert len(listed) == 2000 and all(d["chunkCount"] >= 1 for d in listed)
    removed = run(stoa_bin, workdir, docs_env, "docs", "remove", "part07/")
    assert removed.stdout.count("removed ") == 100
    gone = json.loads(run(stoa_bin, workdir, docs_env, "docs", "search", "zanzibar", "--json").stdout)
    assert gone == []


def test_bad_input_is_one_clear_line(stoa_bin: str, workdir: Path, tmp_path: Path, docs_env: dict[str, str]) -> None:
    missing = run(stoa_bin, workdir, docs_env, "docs", "ingest", str(tmp_path / "nope"), check=False)
    assert missing.returncode != 0 and "no such file or folder" in missing.stderr
    (tmp_path / "x.pdf").write_bytes(b"%PDF")
    unsupported = run(stoa_bin, workdir, docs_env, "docs", "ingest", str(tmp_path / "x.pdf"), check=False)
    assert unsupported.returncode != 0 and "not a Markdown, MDX, text or HTML file" in unsupported.stderr
    bad_url = run(stoa_bin, workdir, docs_env, "docs", "ingest", str(tmp_path), "--base-url", "ftp://x", check=False)
    assert bad_url.returncode != 0 and "--base-url" in bad_url.stderr
    nothing = run(stoa_bin, workdir, docs_env, "docs", "remove", "no/such.md", check=False)
    assert nothing.returncode != 0 and "no document matches" in nothing.stderr


def test_server_answers_from_ingested_documents(stoa_bin: str, workdir: Path, tmp_path: Path, start_server, home: Path) -> None:
    corpus = Path(__file__).resolve().parent.parent / "Fixtures" / "corpus"
    env = {"BETTER_AUTH_SECRET": "docs-test-secret-docs-test-secret-01"}
    run(stoa_bin, workdir, clean_env(home, **env), "docs", "ingest", str(corpus))
    server = start_server(env=env)
    s = client()
    r = s.post(server.url("/api/auth/sign-up/email"), json={"name": "A", "email": "a@x.io", "password": "password123"},
               headers={"Origin": server.url("")})
    assert r.status_code == 200, r.text
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    hits = s.get(server.url("/api/search"), params={"q": "rotate signing keys", "limit": 3}, headers=auth).json()["items"]
    assert hits and hits[0]["title"] == "Tokens and signing keys"
    answer = s.post(server.url("/api/chat"), json={"query": "What happens to my JWTs when a key is rotated?"}, headers=auth).json()
    assert answer["sources"] and answer["sources"][0]["title"] == "Tokens and signing keys"
    assert "[1]" in answer["response"]
