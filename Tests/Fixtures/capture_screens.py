#!/usr/bin/env python3
"""Regenerates Tests/Fixtures/screens/*.txt: `tmux capture-pane -p` of real programs in known states.

    capture_screens.py [--out DIR] [--sizes 80x24,120x40] [--only codex,ptk,bash,python]

Runs each program in a private tmux server (its own socket, killed at the end), drives it with
send-keys (text, a 300 ms pause, Enter) and waits for a positive sign on the screen before each
capture. Codex runs against mock_model_server.py with a CODEX_HOME from codex_home.py.
Files: <program>-<state>-<cols>x<rows>.txt (and .title: the window title, tmux's pane_title),
states idle, typed (text typed, not submitted), and for Codex also pasted-3-lines, pasted-large
(a >1000-char paste shown as a placeholder), working, working-typed, working-queued (Enter
pressed while working), answered, blocked (asking for approval).
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TYPED = "typed but not sent"


class Tmux:
    def __init__(self, socket):
        self.socket = socket

    def run(self, *args, check=True):
        return subprocess.run(["tmux", "-S", self.socket, "-f", "/dev/null", *args],
                              check=check, capture_output=True, text=True).stdout

    def start(self, name, cols, rows, command, cwd, env=None):
        prefix = ["env", *[f"{k}={v}" for k, v in (env or {}).items()]] if env else []
        self.run("new-session", "-d", "-s", name, "-x", str(cols), "-y", str(rows), "-c", cwd,
                 *prefix, *command)

    def capture(self, name):
        return self.run("capture-pane", "-p", "-t", name)

    def type(self, name, text):
        self.run("send-keys", "-t", name, "-l", text)

    def keys(self, name, *keys):
        self.run("send-keys", "-t", name, *keys)

    def kill(self):
        self.run("kill-server", check=False)


def wait_for(tmux, name, predicate, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    screen = ""
    while time.monotonic() < deadline:
        screen = tmux.capture(name)
        if predicate(screen):
            return screen
        time.sleep(0.1)
    raise RuntimeError(f"{name}: timed out waiting for {what}; screen:\n{screen}")


def save(out, program, state, cols, rows, screen, tmux=None, name=None):
    """Writes the screen, and beside it (.title) the window title the program set, if any."""
    path = os.path.join(out, f"{program}-{state}-{cols}x{rows}.txt")
    with open(path, "w", encoding="utf-8") as f:
        f.write(screen)
    if tmux is not None:
        title = tmux.run("display-message", "-p", "-t", name, "#{pane_title}")
        with open(path[:-len(".txt")] + ".title", "w", encoding="utf-8") as f:
            f.write(title)
    print(path)


def paste(tmux, name, text, buffer="fixture"):
    """Pastes text the way a terminal does: bracketed (ESC[200~...ESC[201~) when the program enabled it."""
    tmux.run("set-buffer", "-b", buffer, text)
    tmux.run("paste-buffer", "-p", "-d", "-b", buffer, "-t", name)


def submit(tmux, name, text):
    tmux.type(name, text)
    time.sleep(0.3)
    tmux.keys(name, "Enter")


class MockServer:
    def __init__(self, tmp, extra):
        self.port_file = os.path.join(tmp, "port")
        self.log = os.path.join(tmp, "requests.jsonl")
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "mock_model_server.py"),
                                      "--port", "0", "--port-file", self.port_file, "--log", self.log, *extra])
        deadline = time.monotonic() + 10
        while not os.path.exists(self.port_file):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("mock server did not start")
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.port = int(f.read())

    def requests(self):
        if not os.path.exists(self.log):
            return 0
        with open(self.log) as f:
            return sum(1 for _ in f)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def codex_session(tmux, tmp, name, cols, rows, server_args, approval):
    server = MockServer(tmp, server_args)
    work = os.path.join(os.path.dirname(tmp), "work")
    home = os.path.join(tmp, "home")
    os.makedirs(work, exist_ok=True)
    subprocess.run([sys.executable, os.path.join(HERE, "codex_home.py"), "--home", home,
                    "--port", str(server.port), "--workdir", work, "--approval", approval],
                   check=True, capture_output=True)
    tmux.start(name, cols, rows, ["codex"], work, {"CODEX_HOME": home, "MOCK_API_KEY": "mock"})
    wait_for(tmux, name, lambda s: "OpenAI Codex" in s and "›" in s, "the composer")
    time.sleep(1.0)
    return server


def capture_codex(tmux, out, cols, rows, root):
    tmp = tempfile.mkdtemp(prefix="a", dir=root)
    name = f"codex{cols}"
    server = codex_session(tmux, tmp, name, cols, rows, ["--delay-seconds", "4"], "never")
    try:
        save(out, "codex", "idle", cols, rows, tmux.capture(name), tmux, name)
        tmux.type(name, TYPED)
        save(out, "codex", "typed", cols, rows,
             wait_for(tmux, name, lambda s: TYPED in s, "the typed text"), tmux, name)
        tmux.keys(name, "C-c")
        wait_for(tmux, name, lambda s: TYPED not in s, "the composer to clear")
        paste(tmux, name, "pasted line one\npasted line two\npasted line three")
        save(out, "codex", "pasted-3-lines", cols, rows,
             wait_for(tmux, name, lambda s: "pasted line three" in s, "the pasted text"), tmux, name)
        tmux.keys(name, "C-c")
        wait_for(tmux, name, lambda s: "pasted line three" not in s, "the composer to clear")
        paste(tmux, name, "\n".join(f"long pasted row {i} " + "w" * 80 for i in range(12)))
        save(out, "codex", "pasted-large", cols, rows,
             wait_for(tmux, name, lambda s: "[Pasted Content" in s, "the paste placeholder"), tmux, name)
        tmux.keys(name, "C-c")
        wait_for(tmux, name, lambda s: "[Pasted Content" not in s, "the composer to clear")
        submit(tmux, name, "first message")
        wait_for(tmux, name, lambda s: "Working" in s or "esc to interrupt" in s, "working")
        time.sleep(1.5)
        save(out, "codex", "working", cols, rows, tmux.capture(name), tmux, name)
        tmux.type(name, "typed while working")
        save(out, "codex", "working-typed", cols, rows,
             wait_for(tmux, name, lambda s: "typed while working" in s, "the typed text"), tmux, name)
        time.sleep(0.3)
        tmux.keys(name, "Enter")
        save(out, "codex", "working-queued", cols, rows,
             wait_for(tmux, name, lambda s: "↳ typed while working" in s, "the queued message"), tmux, name)
        save(out, "codex", "answered", cols, rows,
             wait_for(tmux, name, lambda s: s.count("Mock reply number") >= 2 and "esc to interrupt" not in s,
                      "both replies", timeout=30), tmux, name)
    finally:
        tmux.run("kill-session", "-t", name, check=False)
        server.stop()

    tmp = tempfile.mkdtemp(prefix="b", dir=root)
    name = f"codexb{cols}"
    server = codex_session(tmux, tmp, name, cols, rows,
                           ["--tool-call", "touch approved-by-user"], "on-request")
    try:
        submit(tmux, name, "please run a command")
        screen = wait_for(tmux, name, lambda s: "allow" in s.lower() or "approve" in s.lower()
                          or "run the following" in s.lower(), "an approval prompt")
        time.sleep(1.0)
        save(out, "codex", "blocked", cols, rows, tmux.capture(name), tmux, name)
    finally:
        tmux.run("kill-session", "-t", name, check=False)
        server.stop()


def capture_repl(tmux, out, cols, rows, program, command, ready, root):
    name = f"{program}{cols}"
    tmux.start(name, cols, rows, command, root, {"PS1": "$ "} if program == "bash" else None)
    try:
        save(out, program, "idle", cols, rows, wait_for(tmux, name, ready, "the prompt"), tmux, name)
        tmux.type(name, TYPED)
        save(out, program, "typed", cols, rows, wait_for(tmux, name, lambda s: TYPED in s, "the typed text"),
             tmux, name)
    finally:
        tmux.run("kill-session", "-t", name, check=False)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=os.path.join(HERE, "screens"))
    p.add_argument("--sizes", default="80x24,120x40")
    p.add_argument("--only", default="codex,ptk,bash,python")
    options = p.parse_args(argv)
    os.makedirs(options.out, exist_ok=True)
    # A fixed place (outside /tmp, where Codex warns about its helper links) keeps the paths
    # shown on the screens the same from one run to the next.
    root = os.path.join(os.path.expanduser("~"), "overseer-screens")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    tmux = Tmux(os.path.join(root, "tmux.sock"))
    programs = options.only.split(",")
    try:
        # Keeps the server up between sessions (it exits when its last session ends).
        tmux.start("keeper", 80, 24, ["sleep", "86400"], root)
        for size in options.sizes.split(","):
            cols, rows = (int(x) for x in size.split("x"))
            if "ptk" in programs:
                capture_repl(tmux, options.out, cols, rows, "ptk",
                             [sys.executable, os.path.join(HERE, "ptk_repl.py"), "--log", os.path.join(root, "ptk.jsonl")],
                             lambda s: "ptk>" in s, root)
            if "bash" in programs:
                capture_repl(tmux, options.out, cols, rows, "bash", ["bash", "--norc", "-i"],
                             lambda s: s.rstrip().endswith("$"), root)
            if "python" in programs:
                capture_repl(tmux, options.out, cols, rows, "python", ["python3", "-i"],
                             lambda s: ">>>" in s, root)
            if "codex" in programs:
                capture_codex(tmux, options.out, cols, rows, root)
    finally:
        tmux.kill()
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
