#!/usr/bin/env python3
"""Measures which pause between a message's text and its Enter the real Codex CLI takes as a submit.

    measure_submit.py [--delays-ms 0,5,10,...] [--trials 8] [--text-len 40] [--answer full|basic|none]
                      [--bracketed]
    measure_submit.py --startup-only [--answer none]   # start-up queries and how long Codex waits

Runs Codex in a PTY of its own (os.openpty, 120x40) against mock_model_server.py. For each trial
it writes the text in one write(), busy-waits the pause, writes "\\r", and counts the trial as
submitted when the mock server's request log receives a request whose last user message holds the
trial's text (the ground truth), within --settle seconds. A trial that was not submitted leaves the
text in the composer; one Ctrl-C clears it. The PTY output is scanned for the terminal queries
Codex sends, answered like tmux 3.3a does (--answer basic: cursor position and device attributes),
additionally with colours (full) or not at all (none).
Prints one line per delay: delay, submitted/trials, and the pauses actually achieved.
"""

import argparse
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import fcntl
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
QUERIES = {
    rb"\x1b\[6n": "CPR (ESC[6n)",
    rb"\x1b\[c": "DA1 (ESC[c)",
    rb"\x1b\]10;\?(\x1b\\|\x07)": "OSC 10 foreground colour query",
    rb"\x1b\]11;\?(\x1b\\|\x07)": "OSC 11 background colour query",
    rb"\x1b\[\?u": "kitty keyboard flags query (ESC[?u)",
    rb"\x1b\[\?2004h": "DECSET 2004 bracketed paste on",
    rb"\x1b\[\?1004h": "DECSET 1004 focus events on",
    rb"\x1b\[>7u": "kitty keyboard push flags 7 (ESC[>7u)",
    rb"\x1b\[\?1049h": "alternate screen on (DECSET 1049)",
    rb"\x1b\]0;": "window title (OSC 0)",
}


class Agent:
    """Codex on a PTY, its output read by a thread that answers terminal queries."""

    def __init__(self, command, env, cwd, answer, cols=120, rows=40):
        self.master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.proc = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
                                     env=env, start_new_session=True,
                                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
        os.close(slave)
        self.answer = answer
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.output = bytearray()
        self.events = []          # (seconds since start, label)
        self.chunks = []          # (seconds since start, bytes read)
        self.last_output = time.monotonic()
        self.thread = threading.Thread(target=self.read_loop, daemon=True)
        self.thread.start()

    def read_loop(self):
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            now = time.monotonic()
            with self.lock:
                start = max(0, len(self.output) - 16)
                fresh = len(self.output) - start
                self.output += data
                self.last_output = now
                window = bytes(self.output[start:])
                self.chunks.append((now - self.started, data))
            for pattern, label in QUERIES.items():
                for match in re.finditer(pattern, window):
                    if match.end() > fresh:
                        self.events.append((now - self.started, label))
            self.reply(data)

    def reply(self, data):
        if self.answer == "none":
            return
        answers = b""
        if b"\x1b[6n" in data:
            answers += b"\x1b[1;1R"
        if self.answer == "full":
            if b"\x1b]10;?" in data:
                answers += b"\x1b]10;rgb:ffff/ffff/ffff\x1b\\"
            if b"\x1b]11;?" in data:
                answers += b"\x1b]11;rgb:0000/0000/0000\x1b\\"
        if b"\x1b[c" in data:
            answers += b"\x1b[?1;2c"
        if answers:
            os.write(self.master, answers)
            self.events.append((time.monotonic() - self.started, f"answered {answers!r}"))

    def write(self, data):
        os.write(self.master, data)

    def wait_quiet(self, quiet=0.3, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                idle = time.monotonic() - self.last_output
            if idle >= quiet:
                return True
            time.sleep(0.02)
        return False

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        os.close(self.master)


def submitted_texts(log_path):
    texts = []
    if not os.path.exists(log_path):
        return texts
    with open(log_path, encoding="utf-8") as f:
        for line in f:
            body = json.loads(line).get("body") or {}
            for item in reversed(body.get("input") or []):
                if item.get("role") == "user":
                    texts.append("".join(c.get("text", "") for c in item.get("content", [])))
                    break
    return texts


def wait_raw(agent, timeout=30.0):
    """Seconds from spawn until the program turned canonical mode and echo off on its PTY."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lflag = termios.tcgetattr(agent.master)[3]
        if not lflag & (termios.ICANON | termios.ECHO):
            return time.monotonic() - agent.started
        time.sleep(0.001)
    raise RuntimeError("the program never left cooked mode")


def early_type(agent, log, options):
    """Types a message (bracketed, then Enter) --early-type-ms after raw mode; reports if it arrived."""
    pause(options.early_type_ms / 1000)
    at = time.monotonic() - agent.started
    text = "early message"
    agent.write(b"\x1b[200~" + text.encode() + b"\x1b[201~")
    pause(0.05)
    agent.write(b"\r")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if text in submitted_texts(log):
            print(f"typed at {at * 1000:.1f} ms: submitted")
            return 0
        time.sleep(0.05)
    print(f"typed at {at * 1000:.1f} ms: NOT submitted")
    return 1


def pause(seconds):
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def start(tmp, answer):
    port_file = os.path.join(tmp, "port")
    log = os.path.join(tmp, "requests.jsonl")
    server = subprocess.Popen([sys.executable, os.path.join(HERE, "mock_model_server.py"),
                               "--port", "0", "--port-file", port_file, "--log", log])
    while not os.path.exists(port_file):
        if server.poll() is not None:
            raise RuntimeError("mock server exited")
        time.sleep(0.05)
    work = os.path.join(tmp, "work")
    os.makedirs(work)
    home = os.path.join(tmp, "home")
    with open(port_file) as f:
        port = f.read().strip()
    subprocess.run([sys.executable, os.path.join(HERE, "codex_home.py"), "--home", home, "--port", port,
                    "--workdir", work], check=True, capture_output=True)
    env = dict(os.environ, CODEX_HOME=home, MOCK_API_KEY="mock", TERM="xterm-256color")
    agent = Agent(["codex"], env, work, answer)
    return server, agent, log


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--delays-ms", default="0,4,8,10,12,14,16,18,20,25,33,50,100,300")
    p.add_argument("--trials", type=int, default=8)
    p.add_argument("--text-len", type=int, default=40)
    p.add_argument("--settle", type=float, default=2.5)
    p.add_argument("--answer", default="basic", choices=["none", "basic", "full"])
    p.add_argument("--startup-only", action="store_true")
    p.add_argument("--early-type", action="store_true",
                   help="type one message --early-type-ms after Codex leaves cooked mode; report if it arrived")
    p.add_argument("--early-type-ms", type=float, default=0.0)
    p.add_argument("--bracketed", action="store_true",
                   help="send the text as a bracketed paste (ESC[200~ text ESC[201~)")
    options = p.parse_args(argv)
    tmp = tempfile.mkdtemp(prefix="overseer-measure-", dir=os.path.expanduser("~"))
    server, agent, log = start(tmp, options.answer)
    try:
        if options.startup_only or options.early_type:
            raw_at = wait_raw(agent)
            print(f"{raw_at * 1000:8.1f} ms  terminal left cooked mode (ICANON and ECHO off in termios)")
            if options.early_type:
                return early_type(agent, log, options)
        if not agent.wait_quiet(quiet=1.0, timeout=30):
            raise RuntimeError("Codex never went quiet after start-up")
        if options.startup_only:
            for at, label in agent.events:
                print(f"{at * 1000:8.1f} ms  {label}")
            print("output chunks (ms, bytes, start):")
            for at, data in agent.chunks[:12]:
                print(f"{at * 1000:8.1f} ms {len(data):6d}  {data[:70]!r}")
            return 0
        for delay_ms in (float(d) for d in options.delays_ms.split(",")):
            ok = 0
            achieved = []
            for trial in range(options.trials):
                text = f"d{delay_ms:g} t{trial} " + "x" * max(0, options.text_len - 10)
                before = len(submitted_texts(log))
                t0 = time.perf_counter()
                agent.write(b"\x1b[200~" + text.encode() + b"\x1b[201~" if options.bracketed else text.encode())
                pause(delay_ms / 1000)
                t1 = time.perf_counter()
                agent.write(b"\r")
                achieved.append((t1 - t0) * 1000)
                deadline = time.monotonic() + options.settle
                got = False
                while time.monotonic() < deadline:
                    if any(t.strip() == text for t in submitted_texts(log)[before:]):
                        got = True
                        break
                    time.sleep(0.05)
                if got:
                    ok += 1
                else:
                    agent.write(b"\x03")
                agent.wait_quiet(quiet=0.4)
            print(f"delay {delay_ms:6g} ms: submitted {ok}/{options.trials}"
                  f"  (achieved {min(achieved):.2f}-{max(achieved):.2f} ms)", flush=True)
    finally:
        agent.stop()
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
