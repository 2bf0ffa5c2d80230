#!/bin/bash
# Server overhead of the flight recorder under wrk: ping-server in several modes, alternating
# within each round in a rotating order, so every mode sees the same machine load.
#
# Usage (from the package root, not from Benchmarks/):
#   swift build -c release --product ping-server
#   Benchmarks/Support/wrk-rounds.sh [ROUNDS=5] [SECONDS=10]
#   MODES="rec norec takeover-only norec" Benchmarks/Support/wrk-rounds.sh 10 10
#   BEFORE=/path/to/other/ping-server Benchmarks/Support/wrk-rounds.sh 10 10
#
# Needs wrk (Debian: apt-get install -y wrk), curl, bc; loopback only, ports from 6201 up.
#
# Modes (default list: rec norec rec-exec-only takeover-only):
#   norec          --no-recording: no recorder, the runtime's own global executor
#   rec            (default flags): recorder on + GlobalExecutorTakeover, every job stamped
#   rec-exec-only  --no-global-takeover: recorder on, only tasks on the RecordingExecutor
#   takeover-only  --no-recording --takeover-without-recording (hidden): the takeover's hook
#                  and hand-off for every job, nothing recorded
#   rec-before     the binary in $BEFORE, recording (added when BEFORE is set)
# MODES="..." replaces the list of modes (a mode may appear twice per round, e.g. norec).
#
# Each run starts the server with --slow-probability 0 (every request fast), warms up with
# `wrk -t1 -c32 -d2s`, then measures `wrk -t1 -c32 -dSECONDSs` on /ping. One line per run:
#   MODE rps=REQUESTS_PER_S requests=N cpu_us_per_req=US load=LOADAVG_1MIN
# where cpu_us_per_req is the server process's utime + stime (/proc/PID/stat) during the
# measured run divided by the requests completed.
set -u
BIN=$(pwd)/.build/release/ping-server    # swift build -c release --product ping-server; run from the package root
ROUNDS=${1:-5}; SECS=${2:-10}
DIR=$(mktemp -d -t wrk-ping-XXXXXX)
HZ=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14+$15}' /proc/$1/stat; }
run() { # mode port binary extra-args...
  local mode=$1 port=$2 bin=$3; shift 3
  (cd $DIR && exec $bin --port $port --slow-probability 0 "$@" > $DIR/$mode.$port.log 2>&1) &
  local pid=$!
  for i in $(seq 1 50); do curl -s -o /dev/null 127.0.0.1:$port/ping && break; sleep 0.1; done
  wrk -t1 -c32 -d2s http://127.0.0.1:$port/ping > /dev/null   # warm-up
  local t0=$(cpu_ticks $pid)
  local out=$(wrk -t1 -c32 -d${SECS}s http://127.0.0.1:$port/ping)
  local t1=$(cpu_ticks $pid)
  kill $pid; wait $pid 2>/dev/null
  local rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  local n=$(echo "$out" | awk '/requests in/ {print $1}')
  echo "$mode rps=$rps requests=$n cpu_us_per_req=$(echo "scale=2; ($t1-$t0)*1000000/$HZ/$n" | bc) load=$(cut -d' ' -f1 /proc/loadavg)"
}
port=6200
modes=(rec norec rec-exec-only takeover-only)
[ -n "${BEFORE:-}" ] && modes+=(rec-before)
[ -n "${MODES:-}" ] && read -ra modes <<< "$MODES"
M=${#modes[@]}
for r in $(seq 1 $ROUNDS); do
  for k in $(seq 0 $((M-1))); do
    m=${modes[$(( (k + r) % M ))]}
    port=$((port+1))
    case $m in
      rec) run rec $port $BIN ;;
      norec) run norec $port $BIN --no-recording ;;
      rec-exec-only) run rec-exec-only $port $BIN --no-global-takeover ;;
      takeover-only) run takeover-only $port $BIN --no-recording --takeover-without-recording ;;
      rec-before) run rec-before $port $BEFORE ;;
    esac
  done
done
rm -rf $DIR
