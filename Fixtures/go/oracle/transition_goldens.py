#!/usr/bin/env python3
"""Goldens of Go's own event order: every goroutine state transition `go tool trace -d=parsed`
prints (except first sightings, Undetermined->X, which the event model places at the window
start, and X->X restatements), one per line: TIME GOID TO "REASON", in Go's order.

Usage: transition_goldens.py [--go PATH_TO_GO] TRACE...   (writes TRACE.transitions.txt)
"""
import re
import subprocess
import sys

LINE = re.compile(r'StateTransition Time=(\d+) GoID=(\d+) (\w+)->(\w+) Reason=("(?:[^"\\]|\\.)*")')


def main():
    args = sys.argv[1:]
    go = "go"
    if args[:1] == ["--go"]:
        go, args = args[1], args[2:]
    for trace in args:
        parsed = subprocess.run([go, "tool", "trace", "-d=parsed", trace], check=True,
                                capture_output=True, text=True).stdout
        out = []
        for m in LINE.finditer(parsed):
            time, goid, old, new, reason = m.groups()
            if old == "Undetermined" or old == new:
                continue
            out.append(f"{time} {goid} {new} {reason}")
        with open(trace + ".transitions.txt", "w") as f:
            f.write("\n".join(out) + "\n")
        print(f"{trace}.transitions.txt: {len(out)} transitions")


if __name__ == "__main__":
    main()
