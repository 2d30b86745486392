#!/usr/bin/env python3
"""A fixture TUI that, like the Codex CLI, takes a burst of keystrokes for a paste.

    paste_burst_tui.py --log FILE [--window-ms 120]

An Enter that arrives within --window-ms of the previous keystroke is part of a paste and
becomes a newline in the composer; an Enter after a quiet gap of at least that long submits.
So "text\\r" written at once is never submitted; text, a pause longer than the window, then
"\\r" is. It never enables bracketed paste (a bracketed paste, if one arrives, is inserted as
text). The composer is a box at the bottom of the screen with the cursor in it, redrawn with
cursor motion; submitted messages are listed above it. Each submitted message is appended to
--log as {"n": N, "text": ...}. Ctrl-C clears the composer (exits when it is empty); Ctrl-D on
an empty composer exits.
"""

import argparse
import sys
import time

from tui_common import ESC, KeyDecoder, SubmitLog, Terminal, clear_line, move


class Composer:
    def __init__(self, terminal, window):
        self.terminal = terminal
        self.window = window
        self.text = ""
        self.transcript = []
        self.last_key = None

    def key(self, kind, value, now):
        """Applies one key; returns the text to submit, or None."""
        in_burst = self.last_key is not None and now - self.last_key < self.window
        self.last_key = now
        if kind == "char":
            self.text += value
        elif kind == "paste":
            self.text += value
        elif kind == "backspace":
            self.text = self.text[:-1]
        elif kind == "enter":
            if in_burst or not self.text:
                if self.text:
                    self.text += "\n"
                return None
            submitted, self.text = self.text.rstrip("\n"), ""
            return submitted
        return None

    def draw(self):
        cols, rows = self.terminal.size()
        inner = max(10, cols - 4)
        lines = self.wrapped(self.text, inner)
        box_top = rows - len(lines) - 1
        out = [ESC + "[?25l"]
        history = []
        for message in self.transcript:
            for i, line in enumerate(message.split("\n")):
                history.append(("› " if i == 0 else "  ") + line)
        history = history[-max(0, box_top - 2):] if box_top > 2 else []
        for row in range(1, box_top):
            out.append(move(row, 1) + clear_line())
            index = row - 1
            if index < len(history):
                out.append(history[index][:cols])
        out.append(move(box_top, 1) + clear_line() + "╭" + "─" * (cols - 2) + "╮")
        for i, line in enumerate(lines):
            prefix = "› " if i == 0 else "  "
            body = (prefix + line).ljust(inner)[:inner]
            out.append(move(box_top + 1 + i, 1) + clear_line() + "│ " + body + " │")
        out.append(move(rows, 1) + clear_line() + "╰" + "─" * (cols - 2) + "╯")
        cursor_row = box_top + len(lines)
        cursor_col = 3 + 2 + len(lines[-1])
        out.append(move(cursor_row, min(cursor_col, cols - 1)) + ESC + "[?25h")
        self.terminal.write("".join(out))

    @staticmethod
    def wrapped(text, width):
        width = max(1, width - 2)
        lines = []
        for line in text.split("\n"):
            while len(line) > width:
                lines.append(line[:width])
                line = line[width:]
            lines.append(line)
        return lines


def main(argv):
    p = argparse.ArgumentParser(description="Fixture TUI: an Enter inside a keystroke burst is a newline.")
    p.add_argument("--log", required=True, help="append one JSON line per submitted message")
    p.add_argument("--window-ms", type=float, default=120.0, help="burst window (default 120 ms)")
    options = p.parse_args(argv)
    log = SubmitLog(options.log)
    terminal = Terminal()
    terminal.write(ESC + "[2J")
    composer = Composer(terminal, options.window_ms / 1000.0)
    decoder = KeyDecoder()
    composer.draw()
    try:
        while True:
            data = terminal.read(0.5)
            if terminal.resized:
                terminal.resized = False
                terminal.write(ESC + "[2J")
                composer.draw()
            if not data:
                decoder.idle()  # a lone Esc key: nothing to do
                continue
            now = time.monotonic()
            for kind, value in decoder.feed(data):
                if kind == "ctrl" and value == "C":
                    if not composer.text:
                        return 0
                    composer.text = ""
                    continue
                if kind == "ctrl" and value == "D" and not composer.text:
                    return 0
                submitted = composer.key(kind, value, now)
                if submitted is not None:
                    log.append(submitted)
                    composer.transcript.append(submitted)
            composer.draw()
    except EOFError:
        return 0
    finally:
        terminal.close(move(terminal.size()[1], 1) + "\r\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
