#!/usr/bin/env python3
"""A reaper written on psutil, doing the work `overseer reap` does for a list of roots:
children(recursive=True), terminate, wait_procs, kill the rest. Usage: psutil_reaper.py PID..."""
import sys
import psutil

procs = []
for pid in map(int, sys.argv[1:]):
    try:
        root = psutil.Process(pid)
        procs.append(root)
        procs.extend(root.children(recursive=True))
    except psutil.NoSuchProcess:
        pass
for p in procs:
    try:
        p.terminate()
    except psutil.NoSuchProcess:
        pass
gone, alive = psutil.wait_procs(procs, timeout=5)
for p in alive:
    try:
        p.kill()
    except psutil.NoSuchProcess:
        pass
psutil.wait_procs(alive, timeout=5)
print(len(procs))
