#!/usr/bin/env python3
"""Reference-counting calls per span by part, from arc-calls.sh's `perf script` text.

Each probe hit is one runtime call; its stack is put in one of span-share.py's parts (the same
classification as the CPU samples). Hits of `spanstart` count the spans. Prints calls per span
per part and function; with a part's name (a prefix) as second argument, also that part's calls
by the function that made them.

Usage: arc-calls.py PERF_SCRIPT_TEXT [PART]
"""
import collections
import importlib.util
import os
import re
import sys

spec = importlib.util.spec_from_file_location(
    "span_share", os.path.join(os.path.dirname(os.path.abspath(__file__)), "span-share.py"))
span_share = importlib.util.module_from_spec(spec)
spec.loader.exec_module(span_share)


def main():
    counts = collections.Counter()
    callers = collections.Counter()
    spans = 0
    for block in span_share.samples(sys.argv[1]):
        event = block[0].strip().rstrip(":").split(":")[-1]
        stack = [m.group(1) for m in (re.match(r"\s+[0-9a-f]+ (.*)$", line) for line in block[1:]) if m]
        if event == "spanstart":
            spans += 1
            continue
        part = span_share.part(stack)
        if part is None:
            continue
        counts[(part, event)] += 1
        if len(sys.argv) > 2 and part.startswith(sys.argv[2]) and len(stack) > 1:
            callers[(event, stack[1].split("+0x")[0][:90])] += 1
    if spans == 0:
        sys.exit("no span started (is the spanstart probe on FlightRecorderTracer.startSpan?)")
    print(f"spans {spans}")
    for (part, event), count in sorted(counts.items()):
        print(f"{count / spans:7.2f}  {part[:48]:48s} {event}")
    for (event, caller), count in callers.most_common(30):
        print(f"{count / spans:7.2f}  {event:28s} {caller}")


if __name__ == "__main__":
    main()
