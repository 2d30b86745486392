#!/usr/bin/env python3
"""Spawn cost as the fleet grows, for Scripts/bench: (j) spawn -> first output at the first
agents and at the last of BENCH_FLEET (default 1000) live agents, and the holder's CPU per
spawn, Overseer side by side with tmux (a private server, `-S SOCK -f /dev/null`, driven
through one control-mode client, as an orchestrator holding agents in tmux windows would).

Each agent is `sh -c 'echo ready; exec sleep 3600'`, and stays alive until the run ends.
Overseer: from the spawn request until the first output byte is readable through the API
(spawn, then a long-polled read). tmux: from writing `new-window` on the control client until
its `%output` for the new pane arrives. CPU: utime+stime of `overseer serve` / the tmux
server over all the spawns, divided by their number.

Usage: fleet_bench.py OVERSEER_BINARY ROWS_MARKDOWN
Environment: BENCH_FLEET (default 1000), BENCH_FLEET_WINDOW (default 20: agents per median).
"""
import os, resource, select, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402

OVERSEER, OUTPUT = sys.argv[1:3]
FLEET = int(os.environ.get("BENCH_FLEET", "1000"))
WINDOW = int(os.environ.get("BENCH_FLEET_WINDOW", "20"))
AGENT = "echo ready; exec sleep 3600"
HZ = os.sysconf("SC_CLK_TCK")


def ticks(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def overseer_run():
    bench.OVERSEER = OVERSEER
    sup = bench.Supervisor()
    latencies = []
    try:
        before = ticks(sup.proc.pid)
        for i in range(FLEET):
            t0 = time.monotonic()
            sup.spawn(f"f{i}", ["sh", "-c", AGENT])
            while sup.call("GET", f"/v1/agents/f{i}/output?cursor=0&wait=10")["next"] == 0:
                pass
            latencies.append(time.monotonic() - t0)
        cpu = (ticks(sup.proc.pid) - before) / HZ
    finally:
        sup.stop()  # releases every agent
    return latencies, cpu


class ControlClient:
    """One `tmux -C` client on a private server; reads its notifications line by line."""

    def __init__(self, work):
        self.sock = os.path.join(work, "tmux.sock")
        raise_fd_limit = lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
        self.proc = subprocess.Popen(["tmux", "-S", self.sock, "-f", "/dev/null", "-C", "new-session", "-s", "fleet", "-x", "80", "-y", "24"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, preexec_fn=raise_fd_limit, bufsize=0)
        self.buffer = b""
        self.current = None
        self.replies = []
        self.output = set()  # pane ids that printed
        self.command("display-message -p '#{pid}'")
        reply = []
        while not (reply and reply[0].strip().isdigit()):  # new-session's own (empty) reply may come first
            reply = self.wait_reply()
        self.server = int(reply[0])

    def command(self, text):
        self.proc.stdin.write(text.encode() + b"\n")

    def pump(self, timeout=10):
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise RuntimeError("tmux control client went quiet")
        data = os.read(self.proc.stdout.fileno(), 65536)
        if not data:
            raise RuntimeError("tmux control client exited")
        self.buffer += data
        *lines, self.buffer = self.buffer.split(b"\n")
        for line in lines:
            if self.current is not None:  # inside a %begin ... %end block every line is the reply
                if line.startswith(b"%end ") or line.startswith(b"%error "):
                    self.replies.append(self.current)
                    self.current = None
                else:
                    self.current.append(line.decode())
            elif line.startswith(b"%output "):
                self.output.add(line.split(b" ", 2)[1].decode())
            elif line.startswith(b"%begin "):
                self.current = []

    def wait_reply(self):
        while not self.replies:
            self.pump()
        return self.replies.pop(0)

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True)
        self.proc.wait(timeout=30)


def tmux_run(work):
    client = ControlClient(work)
    latencies = []
    try:
        before = ticks(client.server)
        for _ in range(FLEET):
            t0 = time.monotonic()
            client.command(f"new-window -d -P -F '#{{pane_id}}' \"{AGENT}\"")
            pane = client.wait_reply()[0].strip()
            while pane not in client.output:
                client.pump()
            latencies.append(time.monotonic() - t0)
        cpu = (ticks(client.server) - before) / HZ
    finally:
        client.close()
    return latencies, cpu


def main():
    work = tempfile.mkdtemp(prefix="overseer-fleet-")
    try:
        ours, our_cpu = overseer_run()
        peer, peer_cpu = tmux_run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    med = lambda values: statistics.median(values) * 1000
    first, last = med(ours[:WINDOW]), med(ours[-WINDOW:])
    peer_first, peer_last = med(peer[:WINDOW]), med(peer[-WINDOW:])
    per_spawn, peer_per_spawn = our_cpu / FLEET * 1000, peer_cpu / FLEET * 1000
    rows = [
        f"| (j) spawn → first output at the 1st–{WINDOW}th and {FLEET - WINDOW + 1}th–{FLEET}th live agent, medians "
        f"| {first:.1f} ms → {last:.1f} ms ({last / first:.2f}×) | tmux (control mode): {peer_first:.1f} ms → {peer_last:.1f} ms ({peer_last / peer_first:.2f}×) "
        f"| | last: overseer/tmux {last / peer_last:.2f}× | ≤ 1.2× own first, ≤ 1.3× tmux |",
        f"| (j) holder CPU per spawn, {FLEET} spawns | {per_spawn:.2f} ms | tmux server: {peer_per_spawn:.2f} ms | | {per_spawn / peer_per_spawn:.2f}× | ≤ 2× |",
    ]
    with open(OUTPUT, "a") as f:
        f.write("\n".join(rows) + "\n")
    print("\n".join(rows), file=sys.stderr)


if __name__ == "__main__":
    main()
