#!/usr/bin/env python3
"""The flame graph SVGs in a real browser: for every fixture, headless Chromium loads
`tracexport flamegraph`'s output; its script must run without errors and count the frames
and the time that `tracexport folded` implies (every folded prefix at least --min-width
pixels wide at full width, 0.1 by default; the bottom row adds up to the folded total).

Usage: .ci/check-flamegraph.py PATH/TO/tracexport
"""
import glob
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WIDTH, MIN_PIXELS = 1200, 0.1
AREA = WIDTH - 20


def fixtures():
    found = sorted(glob.glob(os.path.join(ROOT, "Fixtures", "*.out")))
    for go in ("go/pingserver/trace.1.out", "go/workload/go126.trace"):
        path = os.path.join(ROOT, "Fixtures", go)
        if os.path.exists(path):
            found.append(path)
    return found


def expected_from_folded(folded):
    prefixes = {}
    for line in folded.splitlines():
        stack, weight = line.rsplit(" ", 1)
        frames = stack.split(";")
        for n in range(1, len(frames) + 1):
            key = tuple(frames[:n])
            prefixes[key] = prefixes.get(key, 0) + int(weight)
    total = sum(w for k, w in prefixes.items() if len(k) == 1)
    kept = {k: w for k, w in prefixes.items() if w * AREA >= MIN_PIXELS * total}
    return len(kept), sum(w for k, w in kept.items() if len(k) == 1)


def main():
    tracexport = sys.argv[1]
    chromium = next((c for c in ("chromium", "chromium-browser") if subprocess.run(
        ["sh", "-c", f"command -v {c}"], capture_output=True).returncode == 0), None)
    if chromium is None:
        sys.exit("check-flamegraph: chromium is not installed")
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for fixture in fixtures():
            name = os.path.relpath(fixture, ROOT)
            folded = subprocess.run([tracexport, "folded", fixture], capture_output=True, text=True, check=True).stdout
            frames, total = expected_from_folded(folded)
            svg = os.path.join(tmp, os.path.basename(fixture) + ".svg")
            subprocess.run([tracexport, "flamegraph", fixture, "-o", svg], check=True)
            dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom",
                                  "file://" + svg], capture_output=True, text=True, timeout=60).stdout
            root = re.search(r"<svg[^>]*>", dom)
            attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', root.group(0))) if root else {}
            if "data-script-error" in attributes:
                problems.append(f"{name}: script error: {attributes['data-script-error']}")
            elif "data-frames" not in attributes:
                problems.append(f"{name}: the script did not finish (no data-frames on the root)")
            elif (int(attributes["data-frames"]), int(attributes["data-drawn-total-ns"])) != (frames, total):
                problems.append(f"{name}: browser counts {attributes['data-frames']} frames, "
                                f"{attributes['data-drawn-total-ns']} ns; folded gives {frames} frames, {total} ns")
            else:
                print(f"ok {name}: {frames} frames, {total} ns")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
