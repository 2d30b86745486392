#!/usr/bin/env python3
"""A tiny cooked-mode agent for the custom-profile tests (docs/states.md's worked example).

Shows `ASK> ` and reads a line. `deploy` asks `deploy to prod? [approve?] ` and reads the
answer; `work S` is busy for S seconds (prints `working...`); anything else is echoed back.
Every phase is appended to --log FILE as one line (`prompt N`, `asking`, `working`, `answered
TEXT`) before the program waits in it: the ground truth for which state it is really in.
"""
import argparse
import sys
import time

parser = argparse.ArgumentParser()
parser.add_argument("--log", required=True)
args = parser.parse_args()


def log(line):
    with open(args.log, "a", encoding="utf-8") as f:
        f.write(line + "\n")


n = 0
while True:
    n += 1
    sys.stdout.write("ASK> ")
    sys.stdout.flush()
    log(f"prompt {n}")
    try:
        line = sys.stdin.readline()
    except KeyboardInterrupt:
        break
    if not line:
        break
    line = line.strip()
    if line == "deploy":
        sys.stdout.write("deploy to prod? [approve?] ")
        sys.stdout.flush()
        log("asking")
        answer = sys.stdin.readline().strip()
        log(f"answered {answer}")
        print("deploying" if answer == "y" else "cancelled")
    elif line.startswith("work "):
        log("working")
        print("working...", flush=True)
        time.sleep(float(line.split()[1]))
        print("done", flush=True)
    else:
        print(f"you said: {line}", flush=True)
