#!/usr/bin/env python3
"""Delivery benchmarks for Scripts/bench: (g) end-to-end deliveries per second (queued →
verified) into `cat` agents, and (h) the cost of one persisted delivery mutation with 10,
1,000 and 10,000 pending, side by side with the whole-file JSON rewrite peer.

Usage: delivery_bench.py OVERSEER_BINARY OVERSEER_BENCH_BINARY ROWS_MARKDOWN
Environment: BENCH_DELIVERIES (default 300).
"""
import json, os, shutil, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402  (its Supervisor and HTTP helpers; bench.py reads argv only in main)

OVERSEER, BENCH_TOOL, OUTPUT = sys.argv[1:4]
COUNT = int(os.environ.get("BENCH_DELIVERIES", "300"))


def throughput(sup, run, agents, per_agent):
    """Posts per_agent messages to each of `agents` cat agents; returns (seconds, verified)."""
    names = [f"{run}-cat{i}" for i in range(agents)]
    for name in names:
        # No settle pause: cat takes Enter at once; the row measures the engine, not the pause.
        sup.wait_exec(sup.call("POST", "/v1/agents", {"name": name, "argv": ["cat"], "cwd": "/tmp", "submit_delay_ms": 0}), "cat")
    ids = []
    t0 = time.monotonic()
    for n in range(per_agent):
        for name in names:
            delivery = f"{name}-{n}"
            sup.call("POST", f"/v1/agents/{name}/messages", {"id": delivery, "text": f"benchmark message {delivery}"})
            ids.append(delivery)
    pending = set(ids)
    verified = 0
    while pending:
        for delivery in list(pending):
            state = sup.call("GET", f"/v1/deliveries/{delivery}")["state"]
            if state in ("verified", "unverified", "failed", "dropped"):
                pending.discard(delivery)
                verified += state == "verified"
        if pending:
            time.sleep(0.05)
    seconds = time.monotonic() - t0
    for name in names:
        sup.release(name)
    return seconds, verified


def main():
    bench.OVERSEER = OVERSEER
    # Every message is queued at once: room for all of them (the default keeps 256 per agent).
    os.environ["OVERSEER_MAX_PENDING_DELIVERIES"] = str(max(COUNT, 256))
    sup = bench.Supervisor()
    try:
        print(f"(g) {COUNT} deliveries into one cat agent ...", file=sys.stderr)
        one_s, one_ok = throughput(sup, "one", 1, COUNT)
        print(f"(g) {COUNT} deliveries over 10 cat agents ...", file=sys.stderr)
        ten_s, ten_ok = throughput(sup, "ten", 10, COUNT // 10)
    finally:
        sup.stop()
    print("(h) store mutation cost ...", file=sys.stderr)
    work = tempfile.mkdtemp(prefix="overseer-store-bench-", dir=os.getcwd())
    try:
        out = subprocess.run([BENCH_TOOL, "store", "--dir", work, "--json"], check=True, capture_output=True, text=True).stdout
    finally:
        shutil.rmtree(work, ignore_errors=True)
    store = json.loads(out)
    rows = {row["approach"]: row for row in store["rows"]}
    ours = next(row for name, row in rows.items() if name.endswith("any mutation"))
    peer = next(row for name, row in rows.items() if "fsync+rename" in name)
    loose = next(row for name, row in rows.items() if "no fsync" in name)
    us = lambda row: ", ".join(f"{v:.0f} µs" for v in row["median_microseconds"])
    lines = [
        f"| (g) deliveries end to end (queued → verified submitted on the screen, `submit_delay_ms` 0), {COUNT} into one `cat` | {COUNT / one_s:.1f}/s ({one_ok} verified in {one_s:.1f} s) | | throttle limit: 10/s per agent | {COUNT / one_s / 10:.2f}× of the limit | |",
        f"| (g) the same, {COUNT} over 10 `cat` agents | {COUNT / ten_s:.1f}/s ({ten_ok} verified in {ten_s:.1f} s) | | limit: 100/s | {COUNT / ten_s / 100:.2f}× of the limit | |",
        f"| (h) one persisted delivery mutation with 10 / 1,000 / 10,000 pending (median) | SQLite WAL, synchronous=FULL: {us(ours)}; 10,000/10 = {ours['ratio']:.2f}× | whole pending set as JSON, temp file + fsync + rename: {us(peer)}; 10,000/10 = {peer['ratio']:.1f}× | (no fsync: {us(loose)}) | at 10,000 pending the peer costs {peer['median_microseconds'][-1] / ours['median_microseconds'][-1]:.0f}× ours | 10,000 ≤ 1.5× of 10 |",
    ]
    with open(OUTPUT, "a") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
