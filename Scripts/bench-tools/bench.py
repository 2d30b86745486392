#!/usr/bin/env python3
"""Overseer benchmarks, each side by side with its peer in one run.

Usage: bench.py OVERSEER_BINARY PTY_FLOOR_BINARY OUTPUT_MARKDOWN
Environment: BENCH_IDLE_SECONDS (default 60), BENCH_AGENTS_LATENCY (100), BENCH_AGENTS_RSS (100),
BENCH_REPEATS (3).
"""
import http.client, json, os, platform, pty, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

# Imported by delivery_bench.py for its Supervisor, which then sets OVERSEER itself.
OVERSEER, FLOOR, OUTPUT = sys.argv[1:4] if __name__ == "__main__" else (None, None, None)
IDLE_SECONDS = float(os.environ.get("BENCH_IDLE_SECONDS", "60"))
LATENCY_AGENTS = int(os.environ.get("BENCH_AGENTS_LATENCY", "100"))
RSS_AGENTS = int(os.environ.get("BENCH_AGENTS_RSS", "100"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
DRAIN_BYTES = 20_000_000
HZ = os.sysconf("SC_CLK_TCK")


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path, timeout=120):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.socket_path)
        self.sock = sock


class Supervisor:
    """A release-built `overseer serve` in a temp directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="overseer-bench-")
        self.socket = os.path.join(self.dir, "overseer.sock")
        env = dict(os.environ, OVERSEER_MAX_AGENTS="1000")
        env.pop("NOTIFY_SOCKET", None)
        self.log = open(os.path.join(self.dir, "serve.log"), "w")
        self.proc = subprocess.Popen([OVERSEER, "serve", "--socket", self.socket, "--state-dir", self.dir + "/state",
                                      "--kill-grace", "1", "--log-level", "warning"], stdout=self.log, stderr=self.log, env=env)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                self.call("GET", "/healthz")
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("supervisor did not start")

    def call(self, method, path, body=None, timeout=120):
        conn = UnixConnection(self.socket, timeout)
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Content-Type": "application/json"} if body is not None else {})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        if response.status >= 300:
            raise RuntimeError(f"{method} {path}: {response.status} {data[:200]!r}")
        return json.loads(data) if data and response.getheader("Content-Type", "").startswith("application/json") else data

    def spawn(self, name, argv):
        return self.call("POST", "/v1/agents", {"name": name, "argv": argv, "cwd": "/tmp"})

    def wait_output(self, name, timeout=30):
        """Waits (long polls) until the agent has printed something."""
        deadline = time.monotonic() + timeout
        while self.call("GET", f"/v1/agents/{name}/output?cursor=0&wait=10")["next"] == 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} printed nothing within {timeout} s")

    def wait_exec(self, info, comm, timeout=30):
        """Waits until the agent's process runs `comm` (its exec is done)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                if open(f"/proc/{info['pid']}/comm").read().strip() == comm:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{info['name']} does not run {comm} after {timeout} s")
            time.sleep(0.01)

    def release(self, name):
        return self.call("POST", f"/v1/agents/{name}/release", {})

    def cpu_ticks(self):
        fields = open(f"/proc/{self.proc.pid}/stat").read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def rss_kib(self):
        for line in open(f"/proc/{self.proc.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def median(values):
    return statistics.median(values)


def p95(values):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def drain(sup, data_file):
    """(a) 20 MB through a PTY: overseer vs script(1) vs the bare-read floor."""
    cmd = ["cat", data_file]
    results = {"overseer": [], "script": [], "floor": []}
    for i in range(REPEATS):
        t0 = time.monotonic()
        sup.spawn(f"drain{i}", cmd)
        # One long poll past any possible end returns when the PTY closes (all output drained).
        while not sup.call("GET", f"/v1/agents/drain{i}/output?cursor={1 << 60}&wait=30")["closed"]:
            pass
        results["overseer"].append(time.monotonic() - t0)
        sup.release(f"drain{i}")

        t0 = time.monotonic()
        subprocess.run(["script", "-q", "-c", " ".join(cmd), "/dev/null"], stdout=subprocess.DEVNULL, check=True)
        results["script"].append(time.monotonic() - t0)

        t0 = time.monotonic()
        subprocess.run([FLOOR] + cmd, stdout=subprocess.DEVNULL, check=True)
        results["floor"].append(time.monotonic() - t0)
    return {k: median(v) for k, v in results.items()}


def latency(sup):
    """(b) spawn → first output byte, over N agents: overseer vs python's pty.fork."""
    ours, peer = [], []
    for i in range(LATENCY_AGENTS):
        t0 = time.monotonic()
        sup.spawn(f"lat{i}", ["echo", "ready"])
        while True:
            out = sup.call("GET", f"/v1/agents/lat{i}/output?cursor=0&wait=10")
            if out["next"] > 0:
                break
        ours.append(time.monotonic() - t0)
    for i in range(LATENCY_AGENTS):
        sup.release(f"lat{i}")
    for _ in range(LATENCY_AGENTS):
        t0 = time.monotonic()
        pid, fd = pty.fork()
        if pid == 0:
            os.execvp("echo", ["echo", "ready"])
        os.read(fd, 1024)
        peer.append(time.monotonic() - t0)
        try:
            while os.read(fd, 1024):
                pass
        except OSError:
            pass
        os.close(fd)
        os.waitpid(pid, 0)
    return ours, peer


def idle_cpu(sup):
    """(c) supervisor CPU with 50 idle agents over IDLE_SECONDS."""
    for i in range(50):
        sup.spawn(f"idle{i}", ["bash", "--norc", "-i"])
    for i in range(50):
        sup.wait_output(f"idle{i}")  # its prompt: bash is idle from here on
    t0, c0 = time.monotonic(), sup.cpu_ticks()
    time.sleep(IDLE_SECONDS)
    t1, c1 = time.monotonic(), sup.cpu_ticks()
    for i in range(50):
        sup.release(f"idle{i}")
    return 100.0 * (c1 - c0) / HZ / (t1 - t0), c1 - c0, t1 - t0


def rss(sup):
    """(d) supervisor RSS with no agents and with N agents."""
    base = sup.rss_kib()
    for i in range(RSS_AGENTS):
        sup.wait_exec(sup.spawn(f"rss{i}", ["sleep", "3600"]), "sleep")
    loaded = sup.rss_kib()
    for i in range(RSS_AGENTS):
        sup.release(f"rss{i}")
    return base, loaded


def main():
    data_dir = tempfile.mkdtemp(prefix="overseer-bench-data-")
    data_file = os.path.join(data_dir, "20mb.txt")
    line = b"a" * 99 + b"\n"
    with open(data_file, "wb") as f:
        f.write(line * (DRAIN_BYTES // len(line)))
    sup = Supervisor()
    try:
        print("(a) PTY drain ...", file=sys.stderr)
        d = drain(sup, data_file)
        print("(b) spawn latency ...", file=sys.stderr)
        ours, peer = latency(sup)
        print(f"(c) idle CPU over {IDLE_SECONDS:.0f}s ...", file=sys.stderr)
        cpu, ticks, seconds = idle_cpu(sup)
        print("(d) RSS ...", file=sys.stderr)
        base, loaded = rss(sup)
    finally:
        sup.stop()
        shutil.rmtree(data_dir, ignore_errors=True)

    mb = DRAIN_BYTES / 1e6
    rows = [
        "| benchmark | overseer | peer | floor | ratio | target |",
        "|---|---|---|---|---|---|",
        f"| (a) PTY drain, 20 MB (`cat`), median of {REPEATS} | {d['overseer']:.2f} s ({mb / d['overseer']:.1f} MB/s) | script(1): {d['script']:.2f} s ({mb / d['script']:.1f} MB/s) | bare read loop: {d['floor']:.2f} s ({mb / d['floor']:.1f} MB/s) | overseer/floor {d['overseer'] / d['floor']:.2f}×, overseer/script {d['overseer'] / d['script']:.2f}× | ≤ 1.2× floor |",
        f"| (b) spawn → first output, {LATENCY_AGENTS} agents | median {median(ours) * 1000:.1f} ms, p95 {p95(ours) * 1000:.1f} ms | python3 pty.fork: median {median(peer) * 1000:.1f} ms, p95 {p95(peer) * 1000:.1f} ms | | median ratio {median(ours) / median(peer):.2f}× | |",
        f"| (c) supervisor CPU, 50 idle `bash -i` agents, {seconds:.0f} s | {cpu:.3f} % of one core ({ticks} ticks) | | | | < 1 % |",
        f"| (d) supervisor RSS | {loaded / 1024:.1f} MiB with {RSS_AGENTS} agents ({base / 1024:.1f} MiB with none; {(loaded - base) / RSS_AGENTS:.0f} KiB per agent) | | | | |",
    ]
    extra = os.environ.get("BENCH_EXTRA_ROWS")
    if extra and os.path.exists(extra):
        rows += [line for line in open(extra).read().splitlines() if line]
    machine = f"{os.cpu_count()} cores, Linux {platform.release()}, {time.strftime('%Y-%m-%d')}"
    text = "\n".join([
        "# Benchmarks",
        "",
        f"Produced by `Scripts/bench` (release build; {machine}). Every row is one run, side by side",
        "with its peer; ratios are overseer ÷ peer (time: lower is better).",
        "",
        *rows,
        "",
        "How each is measured: (a) from the spawn request until the agent's PTY has closed with all",
        "output drained into the ring and transcript, vs `script -q -c 'cat FILE' /dev/null` and a C",
        "loop reading the master into nothing (`Scripts/bench-tools/pty_floor.c`); (b) from the spawn",
        "request until the first output byte is readable through the API (two HTTP round trips), vs",
        "`pty.fork()` + `exec` + first `read` in one Python process; (c) utime+stime of the supervisor",
        "from /proc over the window; (d) VmRSS; (e) one `overseer reap` pass over a registry of",
        "dispatch-failed entries vs `Scripts/bench-tools/psutil_reaper.py` on the same kind of trees",
        "(wall, and CPU from rusage of the child), both with a 5 s grace; (f) `OverseerBench scan` (the",
        "snapshot the reaper and kill engine use) vs `Scripts/bench-tools/proc_scan_floor.c`;",
        "(g) from the first `POST /v1/agents/NAME/messages` until every delivery is final, read back",
        "through `GET /v1/deliveries/ID`; the injection throttle (100 ms between deliveries to one",
        "agent, by design) bounds one agent at 10/s; (h) `OverseerBench store`: median cost of one",
        "mutation (markInjecting/markInjected/markVerified/enqueue) with the given number of deliveries",
        "pending, vs `JSONSnapshotQueue`, the peer that rewrites the whole pending set as a JSON file",
        "(temp file, fsync, rename, fsync of the directory) on every mutation; in a directory on disk.",
        "",
    ])
    with open(OUTPUT, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
