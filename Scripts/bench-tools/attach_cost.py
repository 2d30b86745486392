#!/usr/bin/env python3
"""Cost of one keystroke typed through `overseer attach`: supervisor CPU time and fsync calls.

A release-built `overseer serve` runs a `cat` agent; `overseer attach` runs in a PTY of its own
and this script types KEYSTROKES letters into it one at a time, each only after the previous one
came back (the agent's terminal echoes it), so every keystroke is its own chunk on the wire.

Two passes: one measures the supervisor's utime+stime (/proc/PID/stat) and the per-keystroke
round trip; the other counts fsync/fdatasync calls of every supervisor thread with
`strace -f -c` (strace slows the process, so its pass is not timed). Then Ctrl-] detaches and
the agent must still be running.

Usage: attach_cost.py OVERSEER_BINARY [KEYSTROKES]   (default 1000)
"""
import os, pty, re, select, signal, statistics, string, subprocess, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402  (its Supervisor; bench.py reads argv only in main)

HZ = os.sysconf("SC_CLK_TCK")


class Attach:
    """`overseer attach NAME` in a PTY of its own."""

    def __init__(self, overseer, socket_path, name):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.execv(overseer, [overseer, "attach", "--socket", socket_path, name])
        self.seen = b""
        self.expect(b"detach with Ctrl-]", timeout=20)

    def read_some(self, timeout):
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            raise RuntimeError(f"attach ended early; it printed {self.seen[-300:]!r}")
        self.seen += data
        return True

    def expect(self, needle, timeout=10):
        deadline = time.monotonic() + timeout
        while needle not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"no {needle!r} within {timeout} s; attach printed {self.seen[-300:]!r}")
            self.read_some(left)

    def type_letters(self, count):
        """Types `count` letters, each after the previous one echoed; returns round trips (s)."""
        letters = string.ascii_lowercase
        trips = []
        for i in range(count):
            key = letters[i % len(letters)].encode()
            marker = len(self.seen)
            t0 = time.monotonic()
            os.write(self.fd, key)
            deadline = t0 + 10
            while key not in self.seen[marker:]:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"keystroke {i} ({key!r}) did not echo within 10 s")
                self.read_some(left)
            trips.append(time.monotonic() - t0)
        return trips

    def detach(self):
        os.write(self.fd, b"\x1d")
        deadline = time.monotonic() + 10
        while True:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
                raise RuntimeError("attach did not exit after Ctrl-]")
            try:
                self.read_some(0.05)
            except RuntimeError:
                pass
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)


def fsync_counts(summary):
    """{syscall: calls} from strace -c's table."""
    counts = {}
    for line in summary.splitlines():
        fields = line.split()
        if len(fields) >= 5 and fields[-1] in ("fsync", "fdatasync") and fields[3].isdigit():
            counts[fields[-1]] = int(fields[3])
    return counts


def main():
    overseer = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    bench.OVERSEER = overseer
    sup = bench.Supervisor()
    try:
        sup.spawn("typist", ["cat"])
        # Pass 1: CPU time and round trips.
        attach = Attach(overseer, sup.socket, "typist")
        c0 = sup.cpu_ticks()
        trips = attach.type_letters(count)
        c1 = sup.cpu_ticks()
        code = attach.detach()
        if code != 0:
            raise RuntimeError(f"attach exited with {code}")
        # Pass 2: fsync/fdatasync calls, every thread of the supervisor.
        log = os.path.join(sup.dir, "strace.txt")
        tracer = subprocess.Popen(["strace", "-f", "-c", "-e", "trace=fsync,fdatasync", "-o", log, "-p", str(sup.proc.pid)],
                                  stderr=subprocess.DEVNULL)
        attach = Attach(overseer, sup.socket, "typist")
        # strace prints nothing when attached; wait for it to show up as the tracer in /proc.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            status = open(f"/proc/{sup.proc.pid}/status").read()
            if re.search(rf"^TracerPid:\s+{tracer.pid}$", status, re.M):
                break
            time.sleep(0.01)
        attach.type_letters(count)
        attach.detach()
        tracer.send_signal(signal.SIGINT)
        tracer.wait(timeout=30)
        syncs = fsync_counts(open(log).read())
        info = sup.call("GET", "/v1/agents/typist")
        alive = info.get("state") == "running" and os.path.exists(f"/proc/{info['pid']}")
        sup.release("typist")
    finally:
        sup.stop()
    cpu_ms = (c1 - c0) * 1000 / HZ
    total_syncs = sum(syncs.values())
    print(f"keystrokes: {count}")
    print(f"supervisor CPU: {cpu_ms:.0f} ms ({c1 - c0} ticks), {cpu_ms * 1000 / count:.0f} µs per keystroke")
    print(f"fsync+fdatasync: {total_syncs} ({syncs}), {total_syncs / count:.2f} per keystroke")
    print(f"round trip keystroke → echo: median {statistics.median(trips) * 1000:.2f} ms, p95 {bench.p95(trips) * 1000:.2f} ms")
    print(f"agent still running after detach: {alive}")
    if not alive:
        sys.exit(1)


if __name__ == "__main__":
    main()
