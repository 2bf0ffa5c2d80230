#!/bin/bash
# Where the flight recorder's cost goes in ping-server under wrk: CPU samples of the server
# process (perf, software clock), attributed to the recorder's components per request.
#
# Usage (from the package root):
#   swift build -c release --product ping-server --traits Hummingbird --scratch-path .build-rel-hb
#   Benchmarks/Support/perf-share/perf-share.sh BINARY [SECONDS=20] [MODES="rec norec"]
#
# Needs perf (linux-perf), wrk, curl, python3, swift-demangle (the toolchain's); loopback only,
# ports from 6301 up. Each mode starts the server with --slow-probability 0, warms up with
# `wrk -t1 -c32 -d2s`, then samples the server (`perf record -e cpu-clock -F 2000 -g`) during
# `wrk -t1 -c32 -dSECONDSs /ping`. The software clock counts CPU time, so a sample's share of
# a request does not depend on how loaded the machine is (unlike wall-clock throughput).
#
# DETAIL=N also lists, per component, the N commonest deciding frames with their leaf frames.
# KEEP=1 keeps the perf data (the directory is printed).
# Output per mode: requests, server CPU per request (from the samples), and per component the
# samples' microseconds per request and share of the server's CPU (perf-share.py says how
# samples are attributed). Modes: rec (default flags), norec (--no-recording), takeover-only
# (--no-recording --takeover-without-recording).
set -u
BIN=$(realpath "${1:?usage: perf-share.sh BINARY [SECONDS] [MODES]}")  # the server runs in DIR
SECS=${2:-20}
MODES=${3:-"rec norec"}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d -t perf-share-XXXXXX)
port=6300
for mode in $MODES; do
  port=$((port+1))
  case $mode in
    rec) args=() ;;
    norec) args=(--no-recording) ;;
    takeover-only) args=(--no-recording --takeover-without-recording) ;;
    *) echo "unknown mode $mode" >&2; exit 2 ;;
  esac
  (cd $DIR && exec $BIN --port $port --slow-probability 0 "${args[@]}" > $DIR/$mode.log 2>&1) &
  pid=$!
  for i in $(seq 1 50); do curl -s -o /dev/null 127.0.0.1:$port/ping && break; sleep 0.1; done
  wrk -t1 -c32 -d2s http://127.0.0.1:$port/ping > /dev/null
  perf record -e cpu-clock -F 2000 -g -p $pid -o $DIR/$mode.data -- sleep $((SECS + 1)) > /dev/null 2>&1 &
  perf_pid=$!
  sleep 0.5
  out=$(wrk -t1 -c32 -d${SECS}s http://127.0.0.1:$port/ping)
  wait $perf_pid
  kill $pid; wait $pid 2>/dev/null
  # perf samples from 0.5 s before wrk's run to 0.5 s after it: the server idles then.
  requests=$(echo "$out" | awk '/requests in/ {print $1}')
  perf script -i $DIR/$mode.data -F tid,ip,sym,dso --no-inline 2>/dev/null \
    | swift demangle --simplified \
    | python3 $HERE/perf-share.py --mode $mode --requests $requests --frequency 2000 --detail ${DETAIL:-0}
done
if [ -n "${KEEP:-}" ]; then echo "perf data: $DIR"; else rm -rf $DIR; fi
