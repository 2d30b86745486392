#!/usr/bin/env python3
"""The cost of following lineage, for Scripts/bench: a fork storm (perl: fork, the child exits,
the parent waits; FORKS times) timed in forks per second,
  - on the host with no supervisor listening (the floor),
  - on the host while an `overseer serve` with `lineage = auto` listens (every fork on the
    host is an event it reads, none of them its agents'),
  - as an agent of a supervisor with `lineage = off`, and with `lineage = auto` (each fork is
    one of its agent's: tracked, start time read, dropped at exit).
Configurations alternate, ROUNDS times; medians. The storm times itself (its own clock), so
the supervisor's API is not in the figure.

Usage: lineage_bench.py OVERSEER_BINARY ROWS_MARKDOWN
Environment: BENCH_FORKS (default 5000), BENCH_ROUNDS (default 5).
"""
import os, shutil, statistics, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402

OVERSEER, OUTPUT = sys.argv[1:3]
FORKS = int(os.environ.get("BENCH_FORKS", "5000"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
STORM = ("use Time::HiRes qw(time); my $t = time; "
         "for (1..$ARGV[0]) { my $p = fork; die unless defined $p; if (!$p) { POSIX::_exit(0) } waitpid($p, 0) } "
         "my $r = $ARGV[0] / (time - $t); open(my $f, '>', $ARGV[1]) or die; print $f $r; close $f")


def storm_here(work):
    out = os.path.join(work, "here.txt")
    subprocess.run(["perl", "-MPOSIX", "-e", STORM, str(FORKS), out], check=True)
    return float(open(out).read())


def storm_as_agent(sup, work, name):
    out = os.path.join(work, f"{name}.txt")
    sup.spawn(name, ["perl", "-MPOSIX", "-e", STORM, str(FORKS), out])
    deadline = time.monotonic() + 300
    while not (os.path.exists(out) and os.path.getsize(out) > 0):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{name}: the storm did not finish")
        time.sleep(0.05)
    value = float(open(out).read())
    sup.call("POST", f"/v1/agents/{name}/release")
    return value


def supervisor(lineage):
    os.environ["OVERSEER_LINEAGE"] = lineage
    try:
        return bench.Supervisor()
    finally:
        os.environ.pop("OVERSEER_LINEAGE", None)


def stop(sup):
    sup.proc.terminate()
    sup.proc.wait(timeout=60)
    shutil.rmtree(sup.dir, ignore_errors=True)


def main():
    bench.OVERSEER = OVERSEER
    work = tempfile.mkdtemp(prefix="overseer-lineage-bench-")
    floor, listening, agent_off, agent_on = [], [], [], []
    try:
        for round_ in range(ROUNDS):
            print(f"(lineage) round {round_ + 1}/{ROUNDS}: {FORKS} forks x 4 configurations ...", file=sys.stderr)
            floor.append(storm_here(work))
            sup = supervisor("auto")
            try:
                listening.append(storm_here(work))
                agent_on.append(storm_as_agent(sup, work, f"on{round_}"))
            finally:
                stop(sup)
            sup = supervisor("off")
            try:
                agent_off.append(storm_as_agent(sup, work, f"off{round_}"))
            finally:
                stop(sup)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    def med(values):
        return statistics.median(values)

    rows = [
        (f"| (l1) fork storm on the host ({FORKS} forks) while a supervisor follows lineage | "
         f"{med(listening):.0f} forks/s | no supervisor: {med(floor):.0f} forks/s | | "
         f"{med(listening) / med(floor):.2f}× | ≥ 0.90× (forks/s: higher is better) |"),
        (f"| (l2) fork storm inside an agent ({FORKS} forks, each tracked) | "
         f"lineage = auto: {med(agent_on):.0f} forks/s | lineage = off: {med(agent_off):.0f} forks/s | | "
         f"{med(agent_on) / med(agent_off):.2f}× | ≥ 0.90× (forks/s: higher is better) |"),
    ]
    with open(OUTPUT, "a") as f:
        for row in rows:
            f.write(row + "\n")
    for row in rows:
        print(row)


if __name__ == "__main__":
    main()
