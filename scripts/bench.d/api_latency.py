"""Measures per-request latency of Stoa's API routes (used by scripts/bench).

Two figures per route: the client's round trip, and Stoa's own time from the `Server-Timing:
app;dur=` header (routing to response, without the client and the socket). List routes are
judged on the round trip; the chat turn on Stoa's own time, as its goal asks."""
import argparse
import random
import statistics
import sys
import time

import bench_users


def percentile(values, p):
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1)))))
    return ordered[k]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--goal-ms", type=float, default=20)
    parser.add_argument("--chat-goal-ms", type=float, default=5)
    parser.add_argument("--label", default="")
    parser.add_argument("--only", choices=["lists", "chat"], help="measure only the list routes or only the chat turn")
    parser.add_argument("emails", nargs="+")
    args = parser.parse_args()

    http = bench_users.client()
    users = []
    for email in args.emails[:20]:
        _, jwt = bench_users.sign_in(http, args.base, email)
        auth = {"Authorization": f"Bearer {jwt}"}
        convs = http.get(f"{args.base}/api/conversations?limit=20", headers=auth).json()["items"]
        users.append((auth, [c["id"] for c in convs]))
    if not any(ids for _, ids in users):
        sys.exit("no conversations to read: was the database seeded?")

    routes = {
        "GET /api/conversations?limit=20": lambda auth, ids: f"/api/conversations?limit=20",
        "GET /api/conversations/{id}/messages?limit=50": lambda auth, ids: f"/api/conversations/{random.choice(ids)}/messages?limit=50",
    }
    failed = False
    print(f"{args.label}")
    print(f"{'route':50} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'stoa p50':>9} {'stoa p95':>9}  goal (p95)")

    def measure(name, goal, send, judge_server_time=False):
        nonlocal failed
        timings, server, phases = [], [], {}
        for i in range(args.requests + 50):
            auth, ids = random.choice(users)
            start = time.perf_counter()
            r = send(auth, ids)
            elapsed = (time.perf_counter() - start) * 1000
            if r.status_code not in (200, 201):
                sys.exit(f"{name} answered {r.status_code}: {r.text[:200]}")
            if i >= 50:  # warm-up excluded
                timings.append(elapsed)
                timing = r.headers.get("Server-Timing", "")
                if not timing.startswith("app;dur="):
                    sys.exit(f"{name}: no Server-Timing header")
                server.append(float(timing.split(",")[0].split("=", 1)[1]))
                for part in timing.split(",")[1:]:
                    phase, _, dur = part.strip().partition(";dur=")
                    phases.setdefault(phase, []).append(float(dur))
        judged = server if judge_server_time else timings
        p95 = percentile(judged, 95)
        ok = p95 < goal
        failed |= not ok
        what = "stoa's own time" if judge_server_time else "round trip"
        print(f"{name:50} {len(timings):6d} {statistics.median(timings):8.2f} {percentile(timings, 95):8.2f} {percentile(timings, 99):8.2f}"
              f" {statistics.median(server):9.2f} {percentile(server, 95):9.2f}  {what} < {goal:g} ms {'PASS' if ok else 'FAIL'}")
        if phases:
            print("    phases (p50 / p95 ms): " + ", ".join(f"{k} {statistics.median(v):.2f} / {percentile(v, 95):.2f}" for k, v in phases.items()))

    for name, path_for in routes.items() if args.only != "chat" else []:
        measure(name, args.goal_ms, lambda auth, ids: http.get(args.base + path_for(auth, ids), headers=auth))
    # A whole chat turn with the built-in model (no model latency): save the user message, load
    # the context, run a tool round (add_task), save the reply — Stoa's own time per turn.
    counter = iter(range(10**9))
    if args.only == "lists":
        sys.exit(1 if failed else 0)
    measure("POST /api/conversations/{id}/messages (turn)", args.chat_goal_ms,
            lambda auth, ids: http.post(f"{args.base}/api/conversations/{random.choice(ids)}/messages",
                                        json={"content": f"add a task to benchmark item {next(counter)}"}, headers=auth),
            judge_server_time=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
