#!/bin/bash
# Runs two builds of AppendBesideC by turns and pools their batches: the comparison of two
# versions of the recorder under the same host levels (docs/performance-notes.md, "The host's levels").
#
#   alternate.sh A_BINARY B_BINARY [ROUNDS=12] [BATCHES=50]
#
# Batches are grouped by the C pair loop's time against the fastest C batch of all runs:
# fast (within 8%), middle (8-14% above), slow (more than 14% above). Prints, per build and
# group, the batch count and the median ns per pair and per log, Swift and C.
set -euo pipefail
a=$1 b=$2 rounds=${3:-12} batches=${4:-50}
pooled=$(mktemp)
trap 'rm -f "$pooled"' EXIT
for _ in $(seq "$rounds"); do
  for build in A B; do
    binary=$a; [ "$build" = B ] && binary=$b
    # --each lines: index, then tenths of ns: Swift pair, Swift log, C pair, C log, clock read
    "$binary" "$batches" --each | awk -v build="$build" 'NF == 6 && $1 ~ /^[0-9]+$/ { print build, $2, $3, $4, $5 }' >> "$pooled"
  done
done
fastest=$(awk '{ print $4 }' "$pooled" | sort -n | head -1)
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "%.1f", v[int((NR + 1) / 2)] / 10; else printf "-" }'; }
echo "fastest C pair batch: $(awk -v f="$fastest" 'BEGIN { printf "%.1f", f / 10 }') ns"
printf "%-5s %-6s %7s  %-13s %-13s\n" build level batches "pair Swift/C" "log Swift/C"
for build in A B; do
  for level in fast middle slow; do
    rows=$(awk -v build="$build" -v level="$level" -v f="$fastest" '
      $1 == build {
        r = $4 / f
        group = r <= 1.08 ? "fast" : (r <= 1.14 ? "middle" : "slow")
        if (group == level) print
      }' "$pooled")
    [ -z "$rows" ] && continue
    count=$(wc -l <<< "$rows")
    sp=$(awk '{ print $2 }' <<< "$rows" | median); sl=$(awk '{ print $3 }' <<< "$rows" | median)
    cp=$(awk '{ print $4 }' <<< "$rows" | median); cl=$(awk '{ print $5 }' <<< "$rows" | median)
    printf "%-5s %-6s %7s  %-13s %-13s\n" "$build" "$level" "$count" "$sp/$cp" "$sl/$cl"
  done
done
