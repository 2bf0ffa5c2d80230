#!/usr/bin/env python3
"""Compares `tracexport summary --format json` with Go's goroutine analysis, goroutine by goroutine.

For each trace given, reads TRACE.goroutines.json (written by goroutine_goldens.py) and the
summary of the same trace, and prints every goroutine whose group, execution, scheduling wait,
syscall or block time by reason differ by more than 1% or 2 us, then a count. Go's names are
mapped to ours first: its "" group is "(Inactive, no stack trace sampled)", waits without a
reason ("") are ours "unknown (before window)" and "unknown", and its syscall execution and
syscall block times are our one syscall time. Exit status 1 if any goroutine differs.

Usage: compare_summary.py PATH_TO_TRACEXPORT TRACE...
"""
import json
import subprocess
import sys

GROUP_WITHOUT_STACK = "(Inactive, no stack trace sampled)"
REASONS_WITHOUT_NAME = ("unknown (before window)", "unknown")


def close(a, b):
    return abs(a - b) <= max(2000, 0.01 * max(abs(a), abs(b)))


def compare(tool, trace):
    with open(trace + ".goroutines.json") as f:
        go = {g["id"]: g for g in json.load(f)["goroutines"]}
    summary = subprocess.run([tool, "summary", "--format", "json", "--max-tasks", "0", trace],
                             capture_output=True, text=True, check=True).stdout
    ours = {t["id"]: t for t in json.loads(summary)["tasks"]}
    differ = 0
    for gid, g in sorted(go.items()):
        t = ours.get(gid)
        if t is None:
            print(f"{trace} G{gid}: missing")
            differ += 1
            continue
        diffs = []
        group = g["group"] or GROUP_WITHOUT_STACK
        if t["group"] != group:
            diffs.append(f"group {t['group']!r} vs {group!r}")
        if not close(t["execNs"], g["exec_ns"]):
            diffs.append(f"exec {t['execNs']} vs {g['exec_ns']}")
        if not close(t["schedWaitNs"], g["sched_wait_ns"]):
            diffs.append(f"sched wait {t['schedWaitNs']} vs {g['sched_wait_ns']}")
        syscall = g["syscall_ns"] + g["syscall_block_ns"]
        if not close(t["syscallNs"], syscall):
            diffs.append(f"syscall {t['syscallNs']} vs {syscall}")
        blocked = dict(t["blockedNs"])
        for reason in REASONS_WITHOUT_NAME:
            if reason in blocked:
                blocked[""] = blocked.get("", 0) + blocked.pop(reason)
        for reason in sorted(set(blocked) | set(g["block_ns"])):
            a, b = blocked.get(reason, 0), g["block_ns"].get(reason, 0)
            if not close(a, b):
                diffs.append(f"block({reason}) {a} vs {b}")
        if diffs:
            differ += 1
            print(f"{trace} G{gid}: " + "; ".join(diffs))
    print(f"{trace}: {len(go)} goroutines, {differ} differ")
    return differ


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    tool = sys.argv[1]
    differ = sum(compare(tool, trace) for trace in sys.argv[2:])
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
