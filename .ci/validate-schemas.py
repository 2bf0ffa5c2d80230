#!/usr/bin/env python3
"""Runs the built `tracexport` on every fixture (Fixtures/*.out, and the Go traces under
Fixtures/go/<program>/ except Go's reader corpus), whole and cut in half to exercise damaged
input, and checks its outputs:

- `chrome` output validates against Schemas/chrome-trace.schema.json, and every track
  (pid, tid) is strictly nested: B/E balanced, time never going back, no end after a begin at
  the same ts, every flow id started and finished once;
- `summary --format json` validates against Schemas/summary.schema.json and each task's and
  group's totalNs is the sum of its parts (the slow request's too, and equals its wall time);
- `folded` weights per state add up to the summary's totals (ns, --state all);
- `perfetto` output decodes with Perfetto's own protos and keeps the format's invariants, with
  as many slices, instants, counter values and flows as the chrome output (perfetto_check.py).

Usage: python3 .ci/validate-schemas.py   (after `swift build`; needs python3 jsonschema, perfetto, protobuf)
Exit status 1 on the first kind of failure, with one line per problem.
"""
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

import jsonschema

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import perfetto_check  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def binary():
    bin_dir = subprocess.run(["swift", "build", "--show-bin-path"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
    path = os.path.join(bin_dir, "tracexport")
    if not os.path.exists(path):
        sys.exit(f"validate-schemas: {path} not built (run swift build first)")
    return path


def load_schema(name):
    with open(os.path.join(ROOT, "Schemas", name)) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def run(tool, *args, binary=False):
    p = subprocess.run([tool, *args], capture_output=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: exit {p.returncode}: {p.stderr.decode(errors='replace').strip()}")
    return p.stdout if binary else p.stdout.decode()


def chrome_nesting_problems(trace):
    problems = []
    stacks = defaultdict(list)
    last_ts = {}
    last_begin = {}
    starts, ends = {}, {}
    for e in trace["traceEvents"]:
        ph = e["ph"]
        if ph in ("B", "E"):
            key = (e["pid"], e["tid"])
            ts = e["ts"]
            if key in last_ts and ts < last_ts[key]:
                problems.append(f"track {key} goes back in time at ts {ts}")
            last_ts[key] = ts
            if ph == "B":
                stacks[key].append(ts)
                last_begin[key] = ts
            else:
                if last_begin.get(key) == ts:
                    problems.append(f"track {key}: end after a begin at ts {ts}")
                if not stacks[key]:
                    problems.append(f"track {key}: end without begin at ts {ts}")
                elif ts <= stacks[key].pop():
                    problems.append(f"track {key}: empty slice ending at ts {ts}")
        elif ph in ("s", "f"):
            seen = starts if ph == "s" else ends
            if e["id"] in seen:
                problems.append(f"flow id {e['id']} used twice for '{ph}'")
            seen[e["id"]] = e["ts"]
    for key, open_slices in stacks.items():
        if open_slices:
            problems.append(f"track {key}: {len(open_slices)} slices left open")
    if set(starts) != set(ends):
        problems.append(f"unpaired flow ids: {sorted(set(starts) ^ set(ends))[:5]}")
    return problems


def summary_problems(summary):
    problems = []
    for kind in ("tasks", "groups"):
        for row in summary[kind]:
            parts = row["execNs"] + row["schedWaitNs"] + sum(row["blockedNs"].values()) + row["syscallNs"]
            if parts != row["totalNs"]:
                problems.append(f"{kind} {row.get('id', row['name'])}: totalNs {row['totalNs']} != parts {parts}")
    request = summary.get("request")
    if request is not None:
        parts = request["execNs"] + request["schedWaitNs"] + sum(request["blockedNs"].values()) + request["syscallNs"]
        if not parts == request["totalNs"] == request["wallNs"] == request["endNs"] - request["startNs"]:
            problems.append(f"request: parts {parts}, totalNs {request['totalNs']}, wallNs {request['wallNs']} differ")
    return problems


def folded_problems(folded, summary):
    by_leaf = defaultdict(int)
    for line in folded.splitlines():
        stack, _, weight = line.rpartition(" ")
        leaf = stack.split(";")[-1]
        by_leaf["blocked" if leaf.startswith("[blocked") else leaf] += int(weight)
    totals = {"[running]": 0, "[runnable]": 0, "[syscall]": 0, "blocked": 0}
    # Groups cover every task (tasks may be limited by --max-tasks).
    for group in summary["groups"]:
        totals["[running]"] += group["execNs"]
        totals["[runnable]"] += group["schedWaitNs"]
        totals["[syscall]"] += group["syscallNs"]
        totals["blocked"] += sum(group["blockedNs"].values())
    return [f"folded {k} weights {by_leaf.get(k, 0)} != summary {v}" for k, v in totals.items() if by_leaf.get(k, 0) != v]


def main():
    tool = binary()
    chrome_schema = load_schema("chrome-trace.schema.json")
    summary_schema = load_schema("summary.schema.json")
    fixtures_dir = os.path.join(ROOT, "Fixtures")
    fixtures = sorted(os.path.join(fixtures_dir, f) for f in os.listdir(fixtures_dir) if f.endswith(".out"))
    go_dir = os.path.join(fixtures_dir, "go")
    if os.path.isdir(go_dir):
        for program in sorted(os.listdir(go_dir)):
            folder = os.path.join(go_dir, program)
            if program == "corpus" or not os.path.isdir(folder):
                continue
            fixtures += sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith((".trace", ".out")))
    if not fixtures:
        sys.exit("validate-schemas: no Fixtures/*.out")
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        inputs = []
        for path in fixtures:
            inputs.append(path)
            with open(path, "rb") as f:
                data = f.read()
            cut = os.path.join(tmp, os.path.relpath(path, fixtures_dir).replace("/", "-") + ".cut-in-half")
            with open(cut, "wb") as f:
                f.write(data[: len(data) // 2])
            inputs.append(cut)
        for path in inputs:
            name = os.path.relpath(path, ROOT) if path.startswith(ROOT) else os.path.basename(path)
            problems = []
            try:
                trace = json.loads(run(tool, "chrome", path))
                problems += [f"chrome schema: {e.json_path}: {e.message}" for e in chrome_schema.iter_errors(trace)]
                problems += chrome_nesting_problems(trace)
                perfetto_problems, counts = perfetto_check.check(run(tool, "perfetto", path, binary=True))
                problems += [f"perfetto: {p}" for p in perfetto_problems]
                problems += [f"perfetto: {p}" for p in perfetto_check.count_problems(counts, trace)]
                summary = json.loads(run(tool, "summary", "--format", "json", path))
                problems += [f"summary schema: {e.json_path}: {e.message}" for e in summary_schema.iter_errors(summary)]
                problems += summary_problems(summary)
                problems += folded_problems(run(tool, "folded", "--state", "all", path), summary)
                json.loads(run(tool, "info", "--format", "json", path))
            except (RuntimeError, json.JSONDecodeError) as e:
                problems.append(str(e))
            for p in problems[:20]:
                print(f"validate-schemas: {name}: {p}")
            failures += len(problems)
            print(f"validate-schemas: {name}: {'ok' if not problems else f'{len(problems)} problems'}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
