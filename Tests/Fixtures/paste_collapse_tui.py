#!/usr/bin/env python3
"""A fixture TUI that enables bracketed paste and shows a multi-line paste as a placeholder.

    paste_collapse_tui.py --log FILE [--prompt "> "]

At start it writes DECSET 2004 (ESC[?2004h). A bracketed paste (ESC[200~ ... ESC[201~) that
holds a newline is shown in the input line as "[Pasted text #K +N lines]" (K counts pastes in
this session, N is the number of lines pasted); a single-line paste is inserted as it is.
Enter submits the input line at once (no burst logic), and what is submitted and appended to
--log is the full text with every placeholder replaced by its paste. Plain keystrokes are
typed into the line; a "\\r" arriving outside a paste always submits. Submitted messages are
echoed above the prompt as "sent N: <chars> chars". Ctrl-C clears the line (exits when empty),
Ctrl-D on an empty line exits. Bracketed paste is turned off again on exit.
"""

import argparse
import sys

from tui_common import ESC, KeyDecoder, SubmitLog, Terminal, clear_line


class InputLine:
    def __init__(self):
        self.parts = []           # list of (shown, real)
        self.pastes = 0

    def shown(self):
        return "".join(shown for shown, _ in self.parts)

    def real(self):
        return "".join(real for _, real in self.parts)

    def type(self, char):
        self.parts.append((char, char))

    def paste(self, text):
        if "\n" in text:
            self.pastes += 1
            lines = len(text.rstrip("\n").split("\n"))
            self.parts.append((f"[Pasted text #{self.pastes} +{lines} lines]", text))
        else:
            self.parts.extend((c, c) for c in text)

    def backspace(self):
        if self.parts:
            self.parts.pop()

    def clear(self):
        self.parts = []


def main(argv):
    p = argparse.ArgumentParser(description="Fixture TUI: bracketed paste collapsed to a placeholder.")
    p.add_argument("--log", required=True, help="append one JSON line per submitted message")
    p.add_argument("--prompt", default="> ")
    options = p.parse_args(argv)
    log = SubmitLog(options.log)
    terminal = Terminal()
    terminal.write(ESC + "[?2004h")
    line = InputLine()
    decoder = KeyDecoder()

    def redraw():
        terminal.write("\r" + clear_line() + options.prompt + line.shown())

    redraw()
    try:
        while True:
            data = terminal.read(0.5)
            if not data:
                decoder.idle()  # a lone Esc key: nothing to do
                continue
            for kind, value in decoder.feed(data):
                if kind == "char":
                    line.type(value)
                elif kind == "paste":
                    line.paste(value)
                elif kind == "backspace":
                    line.backspace()
                elif kind == "ctrl" and value == "C":
                    if not line.parts:
                        return 0
                    line.clear()
                elif kind == "ctrl" and value == "D" and not line.parts:
                    return 0
                elif kind == "enter" and line.parts:
                    text = line.real()
                    n = log.append(text)
                    terminal.write("\r\n" + f"sent {n}: {len(text)} chars\r\n")
                    line.clear()
            redraw()
    except EOFError:
        return 0
    finally:
        terminal.close(ESC + "[?2004l\r\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
