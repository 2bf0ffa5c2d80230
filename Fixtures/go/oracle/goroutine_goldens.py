#!/usr/bin/env python3
"""Goldens from Go's own goroutine analysis (the oracle), for the Go reader's tests.

For each trace given, starts `go tool trace -http=127.0.0.1:PORT TRACE` (loopback only), reads
/goroutines (the groups) and /goroutine?name=GROUP (the per-goroutine breakdown table), stops
the server, and writes TRACE.goroutines.json:

  {"trace": "...", "goroutines": [{"id": 7, "group": "main.worker", "total_ns": ...,
    "exec_ns": ..., "sched_wait_ns": ..., "syscall_ns": ..., "syscall_block_ns": ...,
    "unknown_ns": ..., "block_ns": {"sleep": ..., "chan receive": ...}}, ...]}

Usage: goroutine_goldens.py [--go PATH_TO_GO] TRACE...
"""
import html
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request

UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
         "m": 60_000_000_000, "h": 3_600_000_000_000}


def parse_duration(text):
    """Go's time.Duration.String() back to integer nanoseconds."""
    text = text.strip()
    if text in ("0", "0s"):
        return 0
    sign = -1 if text.startswith("-") else 1
    text = text.lstrip("-")
    total = 0.0
    for number, unit in re.findall(r"([0-9.]+)(ns|us|µs|μs|ms|s|m|h)", text):
        total += float(number) * UNITS[unit]
    return sign * int(round(total))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def fetch(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=60) as r:
        return r.read().decode("utf-8")


def cells(row_html):
    return [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row_html, re.S)]


def goldens(go, trace):
    port = free_port()
    server = subprocess.Popen([go, "tool", "trace", f"-http=127.0.0.1:{port}", trace],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while True:
            try:
                page = fetch(port, "/goroutines")
                break
            except Exception:
                if time.time() > deadline or server.poll() is not None:
                    raise SystemExit(f"go tool trace did not serve {trace}")
                time.sleep(0.3)
        names = [html.unescape(urllib.parse.unquote_plus(n))
                 for n in re.findall(r'href="/goroutine\?name=([^"]*)"', page)]
        result = []
        for name in names:
            detail = fetch(port, "/goroutine?name=" + urllib.parse.quote_plus(name))
            table = re.search(r'<table class="details">(.*?)</table>', detail, re.S).group(1)
            rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
            header = cells(rows[0])
            for row in rows[1:]:
                values = cells(row)
                stats = dict(zip(header, values))
                g = {"id": int(values[0]), "group": name, "total_ns": parse_duration(values[1]),
                     "exec_ns": 0, "sched_wait_ns": 0, "syscall_ns": 0, "syscall_block_ns": 0,
                     "unknown_ns": 0, "block_ns": {}}
                for column, value in stats.items():
                    ns = parse_duration(value) if column not in ("Goroutine", "Total", "") else 0
                    if column == "Execution time":
                        g["exec_ns"] = ns
                    elif column == "Sched wait time":
                        g["sched_wait_ns"] = ns
                    elif column == "Syscall execution time":
                        g["syscall_ns"] = ns
                    elif column == "Block time (syscall)":
                        g["syscall_block_ns"] = ns
                    elif column == "Unknown time":
                        g["unknown_ns"] = ns
                    elif column.startswith("Block time (") and column.endswith(")"):
                        if ns:
                            g["block_ns"][column[len("Block time ("):-1]] = ns
                result.append(g)
        result.sort(key=lambda g: g["id"])
        return result
    finally:
        server.terminate()
        server.wait()


def main():
    args = sys.argv[1:]
    go = "go"
    if args[:1] == ["--go"]:
        go, args = args[1], args[2:]
    for trace in args:
        gs = goldens(go, trace)
        out = trace + ".goroutines.json"
        with open(out, "w") as f:
            json.dump({"trace": os.path.basename(trace), "goroutines": gs}, f, indent=1, sort_keys=True)
            f.write("\n")
        print(f"{out}: {len(gs)} goroutines")


if __name__ == "__main__":
    main()
