#!/bin/bash
# Reference-counting calls per span, by part of the span (span-share.py's parts), in the
# recording variant beside swift-otel: uprobes on the Swift runtime's swift_retain,
# swift_release, swift_bridgeObjectRetain/Release and swift_allocObject, and one on
# FlightRecorderTracer.startSpan to count spans. Exact counts, not times: a call on an immortal
# object (a string literal, an empty array) is counted though it changes no count. The probes
# slow each call down, so the benchmark runs fewer spans; the counts per span do not change.
#
# Usage (from Benchmarks/, as root; needs perf with uprobes and tracefs):
#   swift build -c release --product OTelTracingBenchmarks
#   Support/span-share/arc-calls.sh .build/release/OTelTracingBenchmarks [PART]
# With a part's name (a prefix, e.g. "rec: end"), also its calls by calling function.
set -eu
BIN=$(realpath "${1:?usage: arc-calls.sh BENCHMARK_BINARY [PART]}")
HERE=$(cd "$(dirname "$0")" && pwd)
CORE=$(ldd "$BIN" | awk '/libswiftCore.so/ {print $3}')
DIR=$(mktemp -d -t arc-calls-XXXXXX)
trap 'perf probe -q -d "probe_arc:*" 2>/dev/null || true; rm -rf "$DIR"' EXIT
for f in swift_retain swift_release swift_bridgeObjectRetain swift_bridgeObjectRelease swift_allocObject; do
  perf probe -q -x "$CORE" -a "probe_arc:$f=$f" >/dev/null
done
start=$(nm "$BIN" | awk '$2 == "T" && $3 ~ /^\$s21FlightRecorderTracing0aB6TracerV9startSpan_/ {print $1; exit}')
perf probe -q -x "$BIN" -a "probe_arc:spanstart=0x$(echo "$start" | sed 's/^0*//')" >/dev/null
perf record -q -o "$DIR/arc.data" -e 'probe_arc:*' -g -- "$BIN" --quiet true --filter 'OTelSpan.3.*' >/dev/null 2>&1
perf script -i "$DIR/arc.data" -F event,ip,sym 2>/dev/null | swift demangle --simplified > "$DIR/arc.txt"
python3 "$HERE/arc-calls.py" "$DIR/arc.txt" ${2:+"$2"}
