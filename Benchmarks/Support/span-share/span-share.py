#!/usr/bin/env python3
"""Shares of the span benchmarks' loop that a recorded span adds, from CPU samples.

Reads `perf script` output of a span benchmark (OTelTracingBenchmarks or TracingBenchmarks,
recording variant), demangled (`swift demangle --simplified`), from the file given. Only samples
on the benchmark's loop (a frame `spans<A>`, the calling thread) count. Each is walked from the
loop towards the leaf and put in one part:

- `rec: ids`: reading the wrapped span's and its parent's ids (the context reader, the wrapped
  tracer's `inject`, the `traceparent` parse);
- `rec: start`: the span's recording object, its lock, task, region and start record;
- under a span's end: the wrapped tracer's own end (`wrapped end`, not the recording's), the
  wrapped attributes read back, the end record, and the rest of the recording (region, task,
  lock); the end's clock read is base; the end's other frames outside the recording are
  forwarding (whichever of them the compiler inlined: the parts are found by frame names,
  the total does not depend on where they fall);
- `fwd: forwarding`: the rest of our own frames (the wrapping tracer's start, the forwarder's
  closures around the wrapped tracer's calls), with the runtime's work they ask for;
- `base`: everything else on the loop (the wrapped tracer's start, attributes and end, the end
  instant's clock read, which the wrapped tracer alone makes as well, the loop itself): what the
  wrapped tracer alone costs.

Prints the parts, loop / (loop - recording parts) (the recording's cost) and loop / (loop -
recording - forwarding): the recorded span's cost over the wrapped tracer alone, the figure
BENCHMARKS.md gives. With a part's name as second argument, also its commonest leaf frames.

Usage: span-share.py PERF_SCRIPT_TEXT [PART]
"""
import collections
import re
import sys


def samples(path):
    block = []
    for line in open(path, errors="replace"):
        if line.strip() == "":
            if block:
                yield block
            block = []
        else:
            block.append(line.rstrip("\n"))
    if block:
        yield block


def frames(block):
    """The sample's symbols, leaf first."""
    out = []
    for line in block[1:]:
        match = re.match(r"\s+[0-9a-f]+ (.*) \(([^)]*)\)$", line)
        if match:
            out.append(match.group(1))
    return out


def loop_index(stack):
    return next((k for k, f in enumerate(stack) if re.match(r"(specialized )?spans<", f)), None)


IDS = re.compile(r"ContextIdentityReader|IdentityLayout|TraceparentInjector|WrappedSpan\.identity|\bHex\.|"
                 r"Span\.context\.getter in conformance|"
                 r"\.inject<|inject\(_:into:using:\)|FlightRecorderSpanContext\.init\(traceparent")
RECORDED_END = re.compile(r"SpanRecording|endRecorded|recordEnd|Trace\.endSpan|Emit\.|\bfr_")
START = re.compile(r"SpanRecording|recordedWrapped|OpenTask|beginTask|beginRegion|beginSpan")
# Simplified demangling drops module names: the recorder's own types and C functions are named.
OURS = re.compile(r"FlightRecorder|SpanForwarder|SpanHolding|WrappedSpan|EpochInstant|TracerForwarder|SpanBox|"
                  r"\bTrace\.|\bEmit\.|ThreadBuffer|StringBytes|TaskIdentity|SpanRecord|EventRecord|Varint|"
                  r"AttributeList|\bfr_")
# Frames that take the part of the frame that called them: the runtime, libc, the kernel, and
# compiler-made helpers.
HELPER = re.compile(r"_*swift|__|\[|(clock_gettime|mem(move|cpy|set)|c?free|malloc|_int_|replacement_|syscall)\b|"
                    r"(do|asm|entry)_|(outlined|initializeWithCopy|destroy|partial apply|reabstraction thunk)\b")


def ours(stack, i):
    """Whether the deepest frame between the loop and the leaf that is not a helper is ours."""
    own = [f for f in stack[:i] if not HELPER.match(f)]
    return bool(own) and bool(OURS.search(own[0]))


def end_instant(stack, i):
    """Whether the sample reads the clock for a span's end instant: directly (after helpers) under
    the span's `end` or the instant's closure, whichever of our frames the compiler inlined."""
    own = [f for f in stack[:i] if not HELPER.match(f)]
    reads_clock = any(re.match(r"(__vdso_)?clock_gettime", f) for f in stack[:i])
    return bool(own) and reads_clock and bool(
        re.match(r"(implicit closure #1 in )?FlightRecorderSpan\.end", own[0]))


def part(stack):
    i = loop_index(stack)
    if i is None:
        return None
    text = "\n".join(reversed(stack[:i]))
    if end_instant(stack, i):
        return "base"  # the end instant: swift-otel alone reads it too
    if re.search(r"FlightRecorderSpan\.end|SpanRecording\.(end|recordEnd)|endRecorded", text):
        if (re.search(r"OTelSpan\.end|W3CSpan.*end|Span\.end<A>\(at:\) in conformance (OTel|W3C)Span", text)
                and "SpanEndRecord" not in text and "Trace." not in text):
            return "wrapped end (not the recording's)"
        if re.search(r"(OTelSpan|W3CSpan)\.attributes|Span\.attributes\.getter in conformance", text):
            return "rec: end, wrapped attributes read"
        if "SpanEndRecord" in text or "appendSpanRecord" in text:
            return "rec: end, end record"
        if RECORDED_END.search(text):
            return "rec: end, region, task, lock"
        # The end's own frames (its checks, the forwarder's end closure), inlined recording code
        # among them: not recording (`OTelSpan.2`), this is all forwarding.
        return "fwd: forwarding (our frames around the wrapped tracer's)"
    if IDS.search(text):
        return "rec: ids"
    if START.search(text):
        return "rec: start (object, lock, task, region, record)"
    if ours(stack, i):
        return "fwd: forwarding (our frames around the wrapped tracer's)"
    return "base"


def main():
    parts = collections.Counter()
    total = 0
    for block in samples(sys.argv[1]):
        total += 1
        p = part(frames(block))
        if p:
            parts[p] += 1
    loop = sum(parts.values())
    recording = sum(v for k, v in parts.items() if k.startswith("rec"))
    forwarding = sum(v for k, v in parts.items() if k.startswith("fwd"))
    print(f"samples {total}, loop {loop} ({100 * loop / total:.1f}%), recording {recording} "
          f"({100 * recording / total:.1f}%), forwarding {forwarding}; "
          f"loop / (loop - recording) = {loop / (loop - recording):.3f}, "
          f"loop / (loop - recording - forwarding) = {loop / (loop - recording - forwarding):.3f}")
    for name, count in sorted(parts.items()):
        print(f"  {name}: {count} ({100 * count / total:.1f}% of all samples)")
    if len(sys.argv) > 2:
        leaves = collections.Counter()
        for block in samples(sys.argv[1]):
            stack = frames(block)
            if part(stack) == sys.argv[2]:
                i = loop_index(stack)
                leaves[" <- ".join(f[:60] for f in stack[:min(i, 4)])] += 1
        for leaf, count in leaves.most_common(25):
            print(count, leaf)


if __name__ == "__main__":
    main()
