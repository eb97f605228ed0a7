"""Document search benchmark (used by scripts/bench).

`generate DIR --chunks N`: writes N/20 Markdown files of 20 sections each (one chunk per
section, ~120 words drawn from a Zipf-distributed 30,000-word vocabulary plus English
function words), deterministic.
`measure --base URL --email E --requests N --goal-ms G`: signs in, then times
`GET /api/search?q=…&limit=10` for queries of 2–4 words taken from random sections (some
with a common word mixed in), one at a time over a kept-alive connection.
"""
import argparse
import random
import statistics
import sys
import time
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path

import requests

FUNCTION = ("the of and to in is that for it with as on be by this are or from at an not which can "
            "you your when how what if will all one has have more use used into also any each only").split()
SYLLABLES = "ka lo mi ra te su vi no pe da zo fi gu ne bo ri sa tu me li".split()


def vocabulary(n, rng):
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def generate(directory, chunks):
    rng = random.Random(7)
    vocab = vocabulary(30000, rng)
    cum, total = [], 0.0
    for i in range(len(vocab)):  # Zipf weights, accumulated once (choices() is slow otherwise)
        total += 1 / (i + 1)
        cum.append(total)
    root = Path(directory)
    files = max(1, chunks // 20)
    for f in range(files):
        folder = root / f"book{f // 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        parts = [f"---\ntitle: Chapter {f}\n---\n# Chapter {f}\n"]
        for s in range(20):
            heading = " ".join(rng.choices(vocab, cum_weights=cum, k=3))
            words = rng.choices(vocab, cum_weights=cum, k=80) + rng.choices(FUNCTION, k=40)
            rng.shuffle(words)
            parts.append(f"## {s + 1}. {heading}\n\n" + " ".join(words) + ".\n")
        (folder / f"chapter{f:05d}.md").write_text("\n".join(parts))
    print(f"generated {files} files, {files * 20} sections under {root}")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1)))))]


def measure(base, email, count, goal, corpus):
    http = requests.Session()
    http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    r = http.post(f"{base}/api/auth/sign-in/email", json={"email": email, "password": "password123"})
    r.raise_for_status()
    jwt = http.get(f"{base}/api/auth/token", headers={"Authorization": f"Bearer {r.json()['token']}"}).json()["token"]
    auth = {"Authorization": f"Bearer {jwt}"}
    rng = random.Random(11)
    files = sorted(Path(corpus).rglob("*.md"))
    queries = []
    while len(queries) < count + 50:
        text = rng.choice(files).read_text()
        section = rng.choice(text.split("## ")[1:])
        words = [w.strip(".") for w in section.split() if w.strip(".").isalpha() and w not in FUNCTION]
        q = rng.sample(words, k=min(len(words), rng.randint(2, 4)))
        if rng.random() < 0.3:
            q.append(rng.choice(FUNCTION))
        queries.append(" ".join(q))
    timings, server, empty = [], [], 0
    for i, q in enumerate(queries):
        start = time.perf_counter()
        r = http.get(f"{base}/api/search", params={"q": q, "limit": 10}, headers=auth)
        elapsed = (time.perf_counter() - start) * 1000
        if r.status_code != 200:
            sys.exit(f"search answered {r.status_code}: {r.text[:200]}")
        if i >= 50:
            timings.append(elapsed)
            server.append(float(r.headers["Server-Timing"].split(",")[0].split("=", 1)[1]))
            empty += not r.json()["items"]
    p95 = percentile(timings, 95)
    ok = p95 < goal
    print(f"{'GET /api/search?q=…&limit=10':50} {len(timings):6d} {statistics.median(timings):8.2f} {p95:8.2f} "
          f"{percentile(timings, 99):8.2f} {statistics.median(server):9.2f} {percentile(server, 95):9.2f}  round trip < {goal:g} ms "
          f"{'PASS' if ok else 'FAIL'}  ({empty} queries found nothing)")
    return ok


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("directory")
    g.add_argument("--chunks", type=int, default=100000)
    m = sub.add_parser("measure")
    m.add_argument("--base", required=True)
    m.add_argument("--email", required=True)
    m.add_argument("--corpus", required=True)
    m.add_argument("--requests", type=int, default=2000)
    m.add_argument("--goal-ms", type=float, default=20)
    args = parser.parse_args()
    if args.cmd == "generate":
        generate(args.directory, args.chunks)
    else:
        print(f"{'route':50} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'stoa p50':>9} {'stoa p95':>9}  goal (p95)")
        sys.exit(0 if measure(args.base, args.email, args.requests, args.goal_ms, args.corpus) else 1)


if __name__ == "__main__":
    main()
