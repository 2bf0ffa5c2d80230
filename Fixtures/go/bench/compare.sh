#!/bin/sh
# Side-by-side measurement on one Go trace: our reader drained to the end (go-reader-bench,
# release build) vs. `go tool trace` preparing its viewer (from start until its HTTP server
# answers, i.e. the trace is parsed and the viewer data is ready). Both under /usr/bin/time -v.
# Usage: compare.sh TRACE [GO]   (loopback only; the go tool trace server is stopped afterwards)
set -eu
TRACE=$1
GO=${2:-go}
HERE=$(cd "$(dirname "$0")" && pwd)
BENCH="$HERE/.build/release/go-reader-bench"
[ -x "$BENCH" ] || (cd "$HERE" && swift build -c release)
OUT=$(mktemp -d -t go-reader-compare-XXXXXX)

echo "== tracexport Go reader (drain)"
/usr/bin/time -v "$BENCH" "$TRACE" 2> "$OUT/go-reader-bench.time"
grep -E "Elapsed|Maximum resident" "$OUT/go-reader-bench.time"

echo "== go tool trace (until the viewer is served)"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
START=$(date +%s.%N)
/usr/bin/time -v "$GO" tool trace -http=127.0.0.1:$PORT "$TRACE" > "$OUT/go-tool-trace.out" 2> "$OUT/go-tool-trace.time" &
# At most 10 minutes: a server that never answers ends the script instead of hanging it.
tries=0
until curl -s -o /dev/null "http://127.0.0.1:$PORT/"; do
    tries=$((tries + 1))
    [ "$tries" -lt 6000 ] || { echo "go tool trace never served its viewer" >&2; exit 1; }
    sleep 0.1
done
READY=$(date +%s.%N)
# The process tree: time -> go -> trace tool; stop the tool (the server), which ends the others.
TOOL=$(pgrep -f "trace -http=127.0.0.1:$PORT" | while read p; do [ "$(cat /proc/$p/comm)" = "trace" ] && echo $p; done | head -1)
kill "$TOOL"
wait || true
echo "ready after $(echo "$READY - $START" | bc) s"
grep -E "Maximum resident" "$OUT/go-tool-trace.time"
