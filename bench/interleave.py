"""Times commands interleaved: each round starts every command once, in turn, so a change in the
machine's load hits all of them alike; each round in a new random order, so no command always
follows the same neighbour (a 50 ms `list --long` just before it, say). Used by bench/startup.sh
and bench/scale.sh.

    python3 bench/interleave.py CASES.json ROUNDS

CASES.json: a list of {"name", "argv", "env" (the whole environment), "cwd" (optional),
"expect" (optional text the first run's output must contain)}. Each run is a posix_spawn +
wait4 from this process: wall time, and the child's CPU time from wait4. A command slower than
1 s per run is timed only 3 times. Prints one JSON object per case on stdout: name, median,
p10, p90 (ms), cpu (ms, mean), runs.
"""
import json
import os
import random
import statistics
import sys
import tempfile
import time


def spawn(case, out):
    here = os.getcwd()
    if case.get("cwd"):
        os.chdir(case["cwd"])
    try:
        t0 = time.perf_counter_ns()
        pid = os.posix_spawn(case["argv"][0], case["argv"], case["env"], file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, out, 2)])
        _, status, ru = os.wait4(pid, 0)
        t1 = time.perf_counter_ns()
    finally:
        os.chdir(here)
    return status, (t1 - t0) / 1e6, (ru.ru_utime + ru.ru_stime) * 1000


def main():
    cases = json.load(open(sys.argv[1]))
    rounds = int(sys.argv[2])
    slow = set()
    # Each command must work before it is timed: exit 0, and the expected text.
    for c in cases:
        with tempfile.TemporaryFile() as f:
            status, ms, _ = spawn(c, f.fileno())
            f.seek(0)
            text = f.read().decode(errors="replace")
        if status != 0 or c.get("expect", "") not in text:
            sys.exit(f"bench: `{c['name']}` failed (status {status}): {text[:500]}")
        if ms > 1000:
            slow.add(c["name"])
    null = os.open(os.devnull, os.O_WRONLY)
    wall = {c["name"]: [] for c in cases}
    cpu = {c["name"]: [] for c in cases}
    order = list(cases)
    for r in range(rounds + 10):
        random.shuffle(order)
        for c in order:
            if c["name"] in slow and r >= 3:
                continue
            status, ms, cpu_ms = spawn(c, null)
            if status != 0:
                sys.exit(f"bench: `{c['name']}` failed (status {status})")
            if r >= 10 or c["name"] in slow:  # the first 10 rounds warm up
                wall[c["name"]].append(ms)
                cpu[c["name"]].append(cpu_ms)
    for c in cases:
        xs = sorted(wall[c["name"]])
        q = lambda p: xs[min(len(xs) - 1, int(p * len(xs)))]
        print(json.dumps({"name": c["name"], "median": statistics.median(xs), "p10": q(.1),
                          "p90": q(.9), "cpu": statistics.mean(cpu[c["name"]]), "runs": len(xs)}))


main()
