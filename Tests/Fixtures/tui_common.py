"""What the fixture TUIs share: raw terminal mode, a key reader, the submitted-message log.

Standard library only. The fixtures run on a PTY (under Overseer or tmux); they leave cooked
mode at start (so "the program has taken the terminal" is observable in termios) and restore it
on exit. Output goes through write(), which uses "\\r\\n" because raw mode turns off OPOST.
"""

import json
import os
import select
import signal
import sys
import termios
import time
import tty

ESC = "\x1b"


class Terminal:
    """The controlling terminal on fds 0/1 in raw mode, restored by close()."""

    def __init__(self):
        self.fd = sys.stdin.fileno()
        self.saved = termios.tcgetattr(self.fd)
        tty.setraw(self.fd)
        self.pending = b""
        self.resized = False
        signal.signal(signal.SIGWINCH, self.on_resize)

    def on_resize(self, signum, frame):
        self.resized = True

    def size(self):
        try:
            size = os.get_terminal_size(self.fd)
            return size.columns, size.lines
        except OSError:
            return 80, 24

    def write(self, text):
        data = text.encode("utf-8")
        while data:
            written = os.write(sys.stdout.fileno(), data)
            data = data[written:]

    def read(self, timeout):
        """Bytes that arrived within timeout seconds (b"" if none); raises EOFError when the PTY is gone."""
        if self.pending:
            data, self.pending = self.pending, b""
            return data
        try:
            ready, _, _ = select.select([self.fd], [], [], timeout)
        except InterruptedError:
            return b""
        if not ready:
            return b""
        try:
            data = os.read(self.fd, 4096)
        except OSError:
            raise EOFError
        if not data:
            raise EOFError
        return data

    def close(self, extra_reset=""):
        self.write(extra_reset)
        termios.tcsetattr(self.fd, termios.TCSADRAIN, self.saved)


class KeyDecoder:
    """Splits input bytes into keys: text characters, "\\r", named keys, and bracketed pastes.

    Yields ("char", c), ("enter", None), ("backspace", None), ("ctrl", letter), ("paste", text)
    and ("escape", sequence) for any other escape sequence (ignored by the fixtures).
    """

    def __init__(self):
        self.buffer = ""
        self.raw = b""
        self.in_paste = False
        self.paste = ""

    def feed(self, data):
        self.raw += data
        try:
            text = self.raw.decode("utf-8")
            self.raw = b""
        except UnicodeDecodeError as error:
            text = self.raw[:error.start].decode("utf-8")
            self.raw = self.raw[error.start:]
        self.buffer += text
        return list(self.drain())

    def idle(self):
        """Called when no byte came for a while: a lone ESC left in the buffer is the Esc key."""
        if self.buffer == ESC and not self.in_paste:
            self.buffer = ""
            return [("escape", ESC)]
        return []

    def drain(self):
        while self.buffer:
            if self.in_paste:
                end = self.buffer.find(ESC + "[201~")
                if end < 0:
                    self.paste += self.buffer
                    self.buffer = ""
                    return
                self.paste += self.buffer[:end]
                self.buffer = self.buffer[end + 6:]
                self.in_paste = False
                yield ("paste", self.paste.replace("\r\n", "\n").replace("\r", "\n"))
                self.paste = ""
                continue
            c = self.buffer[0]
            if c == ESC:
                sequence = self.escape_sequence()
                if sequence is None:
                    return  # incomplete; wait for more bytes
                self.buffer = self.buffer[len(sequence):]
                if sequence == ESC + "[200~":
                    self.in_paste = True
                else:
                    yield ("escape", sequence)
                continue
            self.buffer = self.buffer[1:]
            if c in "\r\n":
                yield ("enter", None)
            elif c in "\x7f\x08":
                yield ("backspace", None)
            elif ord(c) < 32:
                yield ("ctrl", chr(ord(c) + 64))
            else:
                yield ("char", c)

    def escape_sequence(self):
        """The escape sequence at the start of the buffer, or None if it is not complete yet."""
        b = self.buffer
        if len(b) < 2:
            return None
        if b[1] == "[":
            for i in range(2, len(b)):
                if "\x40" <= b[i] <= "\x7e":
                    return b[:i + 1]
            return None
        if b[1] == "]":
            for i in range(2, len(b)):
                if b[i] == "\x07":
                    return b[:i + 1]
                if b[i] == ESC and i + 1 < len(b) and b[i + 1] == "\\":
                    return b[:i + 2]
            return None
        return b[:2]


class SubmitLog:
    """Appends each message the fixture accepted as submitted: one JSON line, the exact text."""

    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8")
        self.count = 0

    def append(self, text, **extra):
        self.count += 1
        entry = {"n": self.count, "text": text, "time": time.time(), **extra}
        self.file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.file.flush()
        return self.count


def move(row, col):
    """Cursor to 1-based row and column."""
    return f"{ESC}[{row};{col}H"


def clear_line():
    return f"{ESC}[2K"


def set_title(title):
    return f"{ESC}]0;{title}\x07"
