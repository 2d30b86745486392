#!/usr/bin/env python3
"""Prints Overseer's in-flight registry as one JSON document: the snapshot (registry.json)
with its journal (registry.json.journal) replayed, the way `overseer reap` reads them.

Usage: registry_view.py REGISTRY_PATH

Written apart from the Swift reader on purpose: the shell tests check the files with a
second implementation of the format (README, "In-flight registry"). Exits 1 with a message
when the snapshot is missing or does not parse; a torn last journal line is ignored, a
journal naming another snapshot's token is stale and ignored.
"""
import json
import sys


def load(path):
    with open(path, "rb") as f:
        snapshot = json.load(f)
    agents = list(snapshot.get("agents", []))
    token = snapshot.get("journal")
    try:
        with open(path + ".journal", "rb") as f:
            lines = f.read().split(b"\n")
    except FileNotFoundError:
        lines = []
    complete = lines[:-1]  # the part after the last newline is a torn (or empty) tail
    if token and complete and json.loads(complete[0]).get("journal") == token:
        for raw in complete[1:]:
            record = json.loads(raw)
            gone = set(record.get("remove", []))
            agents = [a for a in agents if a.get("id") not in gone]
            for entry in record.get("put", []):
                for i, a in enumerate(agents):
                    if a.get("id") == entry.get("id"):
                        agents[i] = entry
                        break
                else:
                    agents.append(entry)
            if "supervisor" in record:
                snapshot["supervisor"] = record["supervisor"]
            if "updated_at" in record:
                snapshot["updated_at"] = record["updated_at"]
    snapshot["agents"] = agents
    snapshot.pop("journal", None)
    return snapshot


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: registry_view.py REGISTRY_PATH")
    try:
        document = load(sys.argv[1])
    except (OSError, ValueError) as error:
        sys.exit(f"registry_view.py: {sys.argv[1]}: {error}")
    json.dump(document, sys.stdout, indent=2, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
