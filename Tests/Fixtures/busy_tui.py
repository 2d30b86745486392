#!/usr/bin/env python3
"""A fixture TUI that is busy for a while after each message and swallows Enter meanwhile.

    busy_tui.py --log FILE [--busy-seconds 3] [--prompt "> "]

Screen: submitted messages and replies at the top, a status line, and the input line at the
bottom. After a submit it is busy for --busy-seconds: the status line shows
"⠋ Working (Ns • esc to interrupt)" (spinner and seconds redrawn every 100 ms) and the window
title gets the spinner too. While busy, keys are still typed into the input line but Enter is
swallowed: the text stays in the input, nothing is submitted. When the turn ends it prints
"reply N" and the status line becomes "ready"; Enter submits again. Esc while busy ends the turn
early. Each submitted message is appended to --log as {"n": N, "text": ...}. Ctrl-C clears the
input (exits when empty and idle); Ctrl-D on an empty idle input exits.
"""

import argparse
import sys
import time

from tui_common import ESC, KeyDecoder, SubmitLog, Terminal, clear_line, move, set_title

SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
TITLE = "busy_tui"


class Screen:
    def __init__(self, terminal, prompt):
        self.terminal = terminal
        self.prompt = prompt
        self.transcript = []
        self.input = ""
        self.busy_since = None
        self.frame = 0

    def draw(self):
        cols, rows = self.terminal.size()
        out = [ESC + "[?25l"]
        visible = self.transcript[-max(0, rows - 2):]
        for row in range(1, rows - 1):
            out.append(move(row, 1) + clear_line())
            if row - 1 < len(visible):
                out.append(visible[row - 1][:cols])
        if self.busy_since is not None:
            spin = SPINNER[self.frame % len(SPINNER)]
            seconds = int(time.monotonic() - self.busy_since)
            status = f"{spin} Working ({seconds}s • esc to interrupt)"
            out.append(set_title(f"{spin} {TITLE}"))
        else:
            status = "ready"
            out.append(set_title(TITLE))
        out.append(move(rows - 1, 1) + clear_line() + status[:cols])
        shown = self.prompt + self.input.replace("\n", " ⏎ ")
        out.append(move(rows, 1) + clear_line() + shown[-(cols - 1):])
        out.append(ESC + "[?25h")
        self.terminal.write("".join(out))


def main(argv):
    p = argparse.ArgumentParser(description="Fixture TUI: busy after each submit, Enter swallowed while busy.")
    p.add_argument("--log", required=True, help="append one JSON line per submitted message")
    p.add_argument("--busy-seconds", type=float, default=3.0)
    p.add_argument("--prompt", default="> ")
    options = p.parse_args(argv)
    log = SubmitLog(options.log)
    terminal = Terminal()
    terminal.write(ESC + "[2J")
    screen = Screen(terminal, options.prompt)
    decoder = KeyDecoder()
    pending_reply = None
    screen.draw()
    try:
        while True:
            data = terminal.read(0.1)
            if screen.busy_since is not None:
                screen.frame += 1
                if time.monotonic() - screen.busy_since >= options.busy_seconds:
                    screen.busy_since = None
                    screen.transcript.append(f"reply {pending_reply}")
            for kind, value in decoder.feed(data) if data else decoder.idle():
                busy = screen.busy_since is not None
                if kind == "char":
                    screen.input += value
                elif kind == "paste":
                    screen.input += value
                elif kind == "backspace":
                    screen.input = screen.input[:-1]
                elif kind == "escape" and value == ESC and busy:
                    screen.busy_since = None
                    screen.transcript.append(f"reply {pending_reply} (interrupted)")
                elif kind == "ctrl" and value == "C":
                    if not screen.input and not busy:
                        return 0
                    screen.input = ""
                elif kind == "ctrl" and value == "D" and not screen.input and not busy:
                    return 0
                elif kind == "enter" and not busy and screen.input:
                    pending_reply = log.append(screen.input)
                    screen.transcript.append("› " + screen.input.replace("\n", " ⏎ "))
                    screen.input = ""
                    screen.busy_since = time.monotonic()
            screen.draw()
    except EOFError:
        return 0
    finally:
        terminal.close(set_title("") + move(terminal.size()[1], 1) + "\r\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
