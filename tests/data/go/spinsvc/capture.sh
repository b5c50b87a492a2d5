#!/bin/bash
# Re-captures the spinsvc fixture (run as root; needs go, perf and a built memtrace).
# Usage: capture.sh MEMTRACE_BIN OUTDIR
set -euo pipefail
memtrace=$1; out=$2
here=$(cd "$(dirname "$0")" && pwd)
(cd "$here" && go build -o /tmp/spinsvc .)
rm -rf "$out" && mkdir -p "$out"
arch=$(mktemp -d)
/tmp/spinsvc 127.0.0.1:16063 1.5 > "$out/phases.jsonl" &
pid=$!
sleep 0.2
"$memtrace" collect procfs --pid "$pid" --interval 250 --duration 8 --archive "$arch" > "$out/collect-procfs.txt" &
"$memtrace" collect go --url http://127.0.0.1:16063/debug/vars --pid "$pid" --interval 500 --duration 8 --archive "$arch" > "$out/collect-go.txt" &
# CLOCK_MONOTONIC timestamps, so the procfs capture's (realtime, monotonic) pairs can place them on UTC.
perf record -q -k CLOCK_MONOTONIC -e syscalls:sys_enter_epoll_pwait,syscalls:sys_exit_epoll_pwait,syscalls:sys_enter_epoll_wait,syscalls:sys_exit_epoll_wait \
  -p "$pid" -o "$out/perf.data" -- sleep 7.5 2> "$out/perf-record.txt" || true
wait
perf script --ns -i "$out/perf.data" -F comm,pid,tid,cpu,time,event,trace | gzip -9n > "$out/perf-script.txt.gz"
rm -f "$out/perf.data"
cp "$arch"/raw/*.jsonl "$out/"
echo "$pid" > "$out/pid"
