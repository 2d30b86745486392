#!/usr/bin/env python3
"""Message -> submitted latency for Scripts/bench: (i) Overseer's delivery (typed, settle pause,
Enter, verified on the screen) side by side with tmux typing the same text, pausing 300 ms and
pressing Enter (the workaround tmux-based orchestrators use), into the same fixture TUI: one
that, like the Codex CLI, takes an Enter inside a burst of keystrokes for a newline
(Tests/Fixtures/paste_burst_tui.py). Latency is from the request until the TUI's own log shows
the message submitted (ground truth), never Overseer's verdict; a message the TUI never
submitted counts as lost.

Usage: submit_bench.py OVERSEER_BINARY ROWS_MARKDOWN
Environment: BENCH_SUBMITS (default 20).
"""
import json, os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402

OVERSEER, OUTPUT = sys.argv[1:3]
COUNT = int(os.environ.get("BENCH_SUBMITS", "20"))
FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "Tests", "Fixtures")
TUI = os.path.abspath(os.path.join(FIXTURES, "paste_burst_tui.py"))
TIMEOUT = 10.0


def submitted(log):
    try:
        return [json.loads(line)["text"] for line in open(log) if line.strip()]
    except OSError:
        return []


def wait_for(log, count, timeout=TIMEOUT):
    """Seconds until the log has `count` entries (None on timeout)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if len(submitted(log)) >= count:
            return time.monotonic() - t0
        time.sleep(0.002)
    return None


def wait_screen(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def overseer_run(work):
    log = os.path.join(work, "overseer.jsonl")
    sup = bench.Supervisor()
    latencies, lost = [], 0
    try:
        sup.spawn("tui", ["python3", TUI, "--log", log])
        sup.call("GET", "/v1/agents/tui/state?until=idle&timeout=30")
        for n in range(COUNT):
            t0 = time.monotonic()
            sup.call("POST", "/v1/agents/tui/messages", {"id": f"m{n}", "text": f"overseer message {n}"})
            got = wait_for(log, n + 1)
            if got is None:
                lost += 1
            else:
                latencies.append(time.monotonic() - t0)
            # The next message starts once this delivery is final, as an orchestrator would.
            while sup.call("GET", f"/v1/deliveries/m{n}")["state"] not in ("verified", "unverified", "failed", "dropped"):
                time.sleep(0.005)
        sup.release("tui")
    finally:
        sup.stop()
    return latencies, lost, len(submitted(log))


def tmux_run(work):
    log = os.path.join(work, "tmux.jsonl")
    sock = os.path.join(work, "tmux.sock")
    tmux = ["tmux", "-S", sock]
    subprocess.run(tmux + ["new-session", "-d", "-x", "80", "-y", "24", "python3", TUI, "--log", log], check=True)
    latencies, lost = [], 0
    try:
        if not wait_screen(lambda: subprocess.run(tmux + ["capture-pane", "-p"], capture_output=True, text=True).stdout.strip()):
            raise RuntimeError("the TUI drew nothing under tmux")
        for n in range(COUNT):
            t0 = time.monotonic()
            subprocess.run(tmux + ["send-keys", "-t", "0", "-l", f"tmux message {n}"], check=True)
            time.sleep(0.3)
            subprocess.run(tmux + ["send-keys", "-t", "0", "Enter"], check=True)
            got = wait_for(log, n + 1)
            if got is None:
                lost += 1
            else:
                latencies.append(time.monotonic() - t0)
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
    return latencies, lost, len(submitted(log))


def main():
    bench.OVERSEER = OVERSEER
    work = tempfile.mkdtemp(prefix="overseer-submit-bench-")
    try:
        print(f"(i) {COUNT} messages into a paste-burst TUI: overseer ...", file=sys.stderr)
        ours, ours_lost, ours_count = overseer_run(work)
        print(f"(i) {COUNT} messages: tmux send-keys, 300 ms pause, Enter ...", file=sys.stderr)
        peer, peer_lost, peer_count = tmux_run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def fmt(values):
        if not values:
            return "none submitted"
        return f"median {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"

    ratio = f"median ratio {statistics.median(ours) / statistics.median(peer):.2f}×" if ours and peer else "n/a"
    row = (f"| (i) message → submitted (the TUI's own log), {COUNT} messages into a paste-burst TUI | "
           f"{fmt(ours)}; {ours_count} submitted, {ours_lost} lost | tmux send-keys + 300 ms + Enter: {fmt(peer)}; "
           f"{peer_count} submitted, {peer_lost} lost | | {ratio} | every message submitted |")
    with open(OUTPUT, "a") as f:
        f.write(row + "\n")
    print(row)


if __name__ == "__main__":
    main()
