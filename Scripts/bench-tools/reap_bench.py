#!/usr/bin/env python3
"""Reap pass benchmark: a host with 2,000 unrelated processes and 50 stranded agent trees of
10 processes each. `overseer reap` vs a psutil reaper vs the /proc scan floor, in one run.
Usage: reap_bench.py OVERSEER OVERSEER_BENCH SCAN_FLOOR OUTPUT_ROWS"""
import json, os, resource, shutil, subprocess, sys, tempfile, time

OVERSEER, BENCH_TOOL, FLOOR, OUTPUT = sys.argv[1:5]
UNRELATED = int(os.environ.get("BENCH_UNRELATED", "2000"))
TREES = int(os.environ.get("BENCH_TREES", "50"))
HERE = os.path.dirname(os.path.abspath(__file__))
TICKS = os.sysconf("SC_CLK_TCK")


def boot_id():
    return open("/proc/sys/kernel/random/boot_id").read().strip()


def start_time(pid):
    return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[19])


def count_live(pids):
    alive = 0
    for pid in pids:
        try:
            state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
            alive += state != "Z"
        except OSError:
            pass
    return alive


def make_trees(tag):
    """TREES trees of 10 processes: a shell and 9 sleeps, each carrying a marker."""
    trees = []
    for i in range(TREES):
        marker = f"bench-{tag}-{os.getpid()}-{i}"
        p = subprocess.Popen(["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9; do sleep 3600 & done; wait"],
                             env=dict(os.environ, OVERSEER_AGENT_ID=marker), start_new_session=True)
        trees.append((marker, p))
    deadline = time.time() + 30
    while time.time() < deadline:
        kids = subprocess.run(["ps", "-e", "-o", "ppid="], capture_output=True, text=True).stdout.split()
        counts = {}
        for k in kids:
            counts[k] = counts.get(k, 0) + 1
        if all(counts.get(str(p.pid), 0) >= 9 for _, p in trees):
            break
        time.sleep(0.1)
    return trees


def tree_pids(trees):
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid="], capture_output=True, text=True).stdout.split("\n")
    roots = {p.pid for _, p in trees}
    pids = set(roots)
    for line in out:
        parts = line.split()
        if len(parts) == 2 and int(parts[1]) in roots:
            pids.add(int(parts[0]))
    return pids


def timed(argv):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    result = subprocess.run(argv, capture_output=True, text=True)
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, result


def main():
    work = tempfile.mkdtemp(prefix="overseer-reap-bench-")
    unrelated = [subprocess.Popen(["sleep", "3600"]) for _ in range(UNRELATED)]
    try:
        floor, host_processes = map(float, subprocess.run([FLOOR, "20"], capture_output=True, text=True).stdout.split())
        scan = float(subprocess.run([BENCH_TOOL, "scan", "--repeats", "20"], capture_output=True, text=True).stdout.split()[0])

        trees = make_trees("ov")
        pids = tree_pids(trees)
        entries = [{"id": marker, "name": f"agent-{i}", "incarnation": "i1", "state": "dispatch_failed",
                    "roots": [{"pid": p.pid, "start_time": start_time(p.pid), "boot_id": boot_id()}],
                    "created_at": 1, "updated_at": 1, "reap_attempts": 0} for i, (marker, p) in enumerate(trees)]
        registry = os.path.join(work, "registry.json")
        with open(registry, "w") as f:
            json.dump({"version": 1, "updated_at": 1, "agents": entries}, f)
        os.chmod(registry, 0o600)
        open(os.path.join(work, "none.toml"), "w").close()
        ov_wall, ov_cpu, result = timed([OVERSEER, "reap", "--json", "--registry", registry, "--config", os.path.join(work, "none.toml"),
                                         "--kill-grace", "5"])
        report = json.loads(result.stdout)
        ov_killed, ov_left = len(report["reaped"]), count_live(pids)
        for _, p in trees:
            p.wait()

        trees = make_trees("ps")
        pids = tree_pids(trees)
        ps_wall, ps_cpu, result = timed([sys.executable, os.path.join(HERE, "psutil_reaper.py")] + [str(p.pid) for _, p in trees])
        ps_killed, ps_left = int(result.stdout.strip() or 0), count_live(pids)
        for _, p in trees:
            p.wait()
    finally:
        for p in unrelated:
            p.kill()
        for p in unrelated:
            p.wait()
        shutil.rmtree(work, ignore_errors=True)

    rows = [
        f"| (e) reap pass: {TREES} stranded trees × 10 among {int(host_processes)} processes | wall {ov_wall:.2f} s, CPU {ov_cpu:.2f} s; {ov_killed} killed, {ov_left} left | psutil reaper: wall {ps_wall:.2f} s, CPU {ps_cpu:.2f} s; {ps_killed} killed, {ps_left} left | | psutil/overseer: wall {ps_wall / ov_wall:.1f}×, CPU {ps_cpu / max(ov_cpu, 1e-9):.1f}× | ≥ 5× faster |",
        f"| (f) /proc scan of {int(host_processes)} processes (median of 20) | {scan * 1000:.1f} ms | | C loop reading every stat once: {floor * 1000:.1f} ms | overseer/floor {scan / floor:.2f}× | ≤ 2× floor |",
    ]
    with open(OUTPUT, "w") as f:
        f.write("\n".join(rows) + "\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
