#!/usr/bin/env python3
"""A prompt_toolkit REPL (a PromptSession, like most Python agent CLIs) for tests.

Every line it accepts as submitted is appended to --log as one JSON line {"n": N, "text": ...}
with the exact text (a bracketed paste of several lines arrives as one text with newlines).
It answers each message with "reply N: <chars> chars" and prompts again.

    ptk_repl.py --log FILE [--no-bracketed-paste] [--prompt "> "] [--busy-seconds S]

--no-bracketed-paste: the program never enables bracketed paste (no DECSET 2004), so a pasted
multi-line text arrives as plain keystrokes and each newline submits a line of its own.
Needs prompt_toolkit (3.0.52 pinned by the project).
"""

import argparse
import json
import sys
import time

from prompt_toolkit import PromptSession
from prompt_toolkit.output.vt100 import Vt100_Output


class NoBracketedPasteOutput(Vt100_Output):
    """A VT100 output that never turns bracketed paste on."""

    def enable_bracketed_paste(self):
        pass

    def disable_bracketed_paste(self):
        pass


def main(argv):
    p = argparse.ArgumentParser(description="prompt_toolkit REPL that logs what it receives.")
    p.add_argument("--log", required=True, help="append one JSON line per submitted message")
    p.add_argument("--no-bracketed-paste", action="store_true", help="never enable DECSET 2004")
    p.add_argument("--prompt", default="ptk> ")
    p.add_argument("--busy-seconds", type=float, default=0.0, help="sleep this long after each message")
    options = p.parse_args(argv)

    output = None
    if options.no_bracketed_paste:
        output = NoBracketedPasteOutput.from_pty(sys.stdout)
    session = PromptSession(output=output)
    count = 0
    with open(options.log, "a", encoding="utf-8") as log:
        while True:
            try:
                text = session.prompt(options.prompt)
            except KeyboardInterrupt:
                continue
            except EOFError:
                return 0
            count += 1
            log.write(json.dumps({"n": count, "text": text, "time": time.time()}, ensure_ascii=False) + "\n")
            log.flush()
            if options.busy_seconds > 0:
                time.sleep(options.busy_seconds)
            print(f"reply {count}: {len(text)} chars")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
