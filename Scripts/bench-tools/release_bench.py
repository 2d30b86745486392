#!/usr/bin/env python3
"""Release of one agent's tree, for Scripts/bench: (r) `POST /v1/agents/NAME/release` of a
shell with WIDTH sleeping children (they exit on SIGTERM), timed from the request to the
answer, with `lineage = auto` and with `lineage = off` (what following the lineage costs a
release), beside psutil killing the same kind of tree (children(recursive), terminate,
wait_procs, kill: the peer scripts use). Ground truth for every side: the tree's pids are
read from /proc before, and none may be left after.

Usage: release_bench.py OVERSEER_BINARY ROWS_MARKDOWN
Environment: BENCH_TREE_WIDTH (default 200), BENCH_ROUNDS (default 5).
"""
import os, statistics, subprocess, sys, time

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402
import psutil  # noqa: E402
from lineage_bench import stop, supervisor  # noqa: E402

OVERSEER, OUTPUT = sys.argv[1:3]
WIDTH = int(os.environ.get("BENCH_TREE_WIDTH", "200"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
TREE = f"for i in $(seq {WIDTH}); do sleep 600 & done; echo up; wait"


def alive(pids):
    left = 0
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                left += 1
        except psutil.NoSuchProcess:
            pass
    return left


def wait_width(root):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        children = psutil.Process(root).children(recursive=True)
        if len(children) >= WIDTH:
            return [root] + [c.pid for c in children]
        time.sleep(0.01)
    raise RuntimeError("the tree did not grow")


def overseer_release(sup, name):
    agent = sup.spawn(name, ["sh", "-c", TREE])
    pids = wait_width(agent["pid"])
    t0 = time.monotonic()
    sup.call("POST", f"/v1/agents/{name}/release")
    elapsed = time.monotonic() - t0
    return elapsed, alive(pids)


def psutil_release():
    proc = subprocess.Popen(["sh", "-c", TREE], stdout=subprocess.DEVNULL, start_new_session=True)
    pids = wait_width(proc.pid)
    t0 = time.monotonic()
    root = psutil.Process(proc.pid)
    procs = [root] + root.children(recursive=True)
    for p in procs:
        try:
            p.terminate()
        except psutil.NoSuchProcess:
            pass
    _, still = psutil.wait_procs(procs, timeout=5)
    for p in still:
        try:
            p.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(still, timeout=5)
    proc.wait()
    elapsed = time.monotonic() - t0
    return elapsed, alive(pids)


def main():
    bench.OVERSEER = OVERSEER
    on, off, peer = [], [], []
    left = {"on": 0, "off": 0, "peer": 0}
    for round_ in range(ROUNDS):
        print(f"(r) round {round_ + 1}/{ROUNDS}: release of a {WIDTH + 1}-process tree x 3 ...", file=sys.stderr)
        for lineage, values, key in (("auto", on, "on"), ("off", off, "off")):
            sup = supervisor(lineage)
            try:
                elapsed, survivors = overseer_release(sup, f"r{round_}")
            finally:
                stop(sup)
            values.append(elapsed)
            left[key] += survivors
        elapsed, survivors = psutil_release()
        peer.append(elapsed)
        left["peer"] += survivors

    def ms(values):
        return f"median {statistics.median(values) * 1000:.0f} ms"

    rows = [
        (f"| (r1) release of a {WIDTH + 1}-process tree (request → answer), lineage = auto | {ms(on)}; {left['on']} left | "
         f"lineage = off: {ms(off)}; {left['off']} left | | {statistics.median(on) / statistics.median(off):.2f}× | ≤ 1.10× (not slower) |"),
        (f"| (r2) release of a {WIDTH + 1}-process tree, overseer (lineage = auto) vs psutil terminate/wait/kill | {ms(on)}; {left['on']} left | "
         f"psutil: {ms(peer)}; {left['peer']} left | | {statistics.median(on) / statistics.median(peer):.2f}× | overseer also freezes the tree first and verifies it gone |"),
    ]
    with open(OUTPUT, "a") as f:
        for row in rows:
            f.write(row + "\n")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
