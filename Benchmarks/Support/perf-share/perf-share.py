#!/usr/bin/env python3
"""Attributes ping-server's CPU samples to the flight recorder's components.

Reads `perf script -F tid,ip,sym,dso --no-inline` output, demangled (`swift demangle
--simplified`), on stdin. Each sample's call chain is walked from the leaf outwards:

- a *boundary* frame (the job body the takeover runs, the runtime's own task creation the
  interposer forwards to, Dispatch's hand-off) ends the walk: what lies under it is the
  application's or the runtime's work, not the recorder's;
- otherwise the sample belongs to the first *specific* recorder frame found (job stamps, actor
  hops, task origins, ...); a sample seen only in *shared* recorder frames (record appends,
  thread buffers, interning, the clock) belongs to that shared component.
- Samples with no recorder frame are the server's own work; the middleware's frames are
  reported separately (they run with recording off too, so compare them across modes).

Prints, per component, samples, microseconds of CPU per request and share of the server's
CPU per request.
"""
import argparse
import re
import sys
from collections import Counter

# (component, pattern on the demangled symbol, required dso substring or None). First match wins
# within a frame; the walk decides between frames.
SPECIFIC = [
    ("actor hops", re.compile(r"ActorHops\.|\bfr_hop_|\bfr_actor_hop"), None),
    ("actor hops", re.compile(r"^swift_task_switch$"), "ping-server"),
    ("task origins", re.compile(r"TaskOrigins\.|\bfr_capture_stack|\bfr_task_origins"), None),
    ("task origins", re.compile(r"^swift_task_create$"), "ping-server"),
    ("suspension points", re.compile(r"SuspensionPoints\."), None),
    ("logical request task", re.compile(r"Trace\.beginTask|Trace\.endTask|Trace\.inTask|RequestTask|LogicalTask|"
                                        r"OpenTask|Emit\.logicalTask|TaskIdentity\.newLogicalTask"), None),
    ("request log + trace API", re.compile(r"Trace\.log|Logfmt|StringBytes|ServedRequest\.logServed|UTF8Line"), None),
    ("job stamps", re.compile(r"JobStamps\.|GlobalExecutorTakeover|RuntimeTask\.|EnqueueStamp|JobStamp\b"), None),
    ("job stamps", re.compile(r"^sched_"), "ping-server"),
]
SHARED = [
    ("stacks and strings interning", re.compile(r"Stacks\.|StackTable|StringTable|fr_stack_|fr_name_cache"), None),
    ("ring, chunks, fold", re.compile(r"ThreadBuffer|RecorderCore|FoldWorker|fold_scan|fr_fold|WindowFold|IDMap|fr_chunk|"
                                       r"fr_ring|RecorderLock"), None),
    ("record appends", re.compile(r"\bEmit\.|EventRecord|fr_state_|fr_ticks|fr_task_slot|TaskIdentity\."), None),
]
MIDDLEWARE = re.compile(r"SlowRequestSnapshotMiddleware|ServedRequest|SlowRequestStatistics|DurationText")
# The job body under the takeover, the runtime's task creation under the interposer, and the
# hand-off to Dispatch (the runtime's own global executor makes the same call).
BOUNDARY = [
    (re.compile(r"^swift_job_run$"), None),
    (re.compile(r"^swift_task_create$"), "libswift_Concurrency"),
    (re.compile(r"^swift_task_switch$"), "libswift_Concurrency"),
    (re.compile(r"^dispatch_async_f$|^_dispatch_"), "libdispatch"),
]
FRAME = re.compile(r"^\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")


def matches(rules, sym, dso):
    for entry in rules:
        name, pattern, need = entry if len(entry) == 3 else (None,) + entry
        if pattern.search(sym) and (need is None or need in dso):
            return name or True
    return None


def classify(frames):
    """(component or None, the frame that decided it)."""
    shared = None
    for sym, dso in frames:
        if matches(BOUNDARY, sym, dso):
            break
        specific = matches(SPECIFIC, sym, dso)
        if specific:
            return specific, sym
        if shared is None:
            shared = matches(SHARED, sym, dso)
            shared_sym = sym
    if shared:
        return shared, shared_sym
    for sym, dso in frames:
        if MIDDLEWARE.search(sym):
            return "middleware (not recorder: also without recording)", sym
    return None, None


def samples(stream):
    frames = []
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if frames:
                yield frames
            frames = []
            continue
        m = FRAME.match(line)
        if m:
            sym = re.sub(r"\+0x[0-9a-f]+$", "", m.group(2))
            frames.append((sym, m.group(3)))
    if frames:
        yield frames


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", required=True)
    ap.add_argument("--requests", type=int, required=True)
    ap.add_argument("--frequency", type=float, required=True)
    ap.add_argument("--detail", type=int, default=0, help="top N deciding frames and leaves per component")
    args = ap.parse_args()
    counts = Counter()
    deciding = {}
    total = 0
    for frames in samples(sys.stdin):
        total += 1
        name, sym = classify(frames)
        name = name or "server (not recorder)"
        counts[name] += 1
        if sym:
            deciding.setdefault(name, Counter())[(sym[:110], frames[0][0][:60])] += 1
    us = lambda n: n / args.frequency * 1e6 / max(args.requests, 1)
    print(f"== {args.mode}: {args.requests} requests, {total} samples, "
          f"{us(total):.2f} us CPU per request")
    recorder = 0
    for name, n in counts.most_common():
        if not name.startswith(("server", "middleware")):
            recorder += n
        print(f"  {name:55s} {n:7d}  {us(n):6.3f} us/req  {100 * n / max(total, 1):5.2f}%")
        for (sym, leaf), k in deciding.get(name, Counter()).most_common(args.detail):
            print(f"      {k:6d}  {sym}  <- leaf {leaf}")
    print(f"  {'recorder, all components':55s} {recorder:7d}  {us(recorder):6.3f} us/req  "
          f"{100 * recorder / max(total, 1):5.2f}%")


if __name__ == "__main__":
    main()
