#!/bin/bash
# Re-captures the oomsvc fixture on a cgroup-v1 host (run as root; needs go, gcc and a built memtrace).
# Usage: capture.sh MEMTRACE_BIN OUTDIR
set -euo pipefail
memtrace=$1; out=$2
here=$(cd "$(dirname "$0")" && pwd)
parent=$(awk -F: '$2=="memory"{print $3}' /proc/self/cgroup)
cg=/sys/fs/cgroup/memory${parent%/}/mtest-oomsvc
rmdir "$cg" 2>/dev/null || true
mkdir -p "$cg"
echo $((512 << 20)) > "$cg/memory.limit_in_bytes"
(cd "$here" && go build -o /tmp/oomsvc .)
rm -rf "$out" && mkdir -p "$out"
arch=$(mktemp -d)
# The child joins the memcg before exec, so every page it ever touches is charged there.
sh -c "echo \$\$ > $cg/cgroup.procs; exec env GODEBUG=gctrace=1 /tmp/oomsvc 127.0.0.1:16062 3000" > "$out/phases.jsonl" 2> "$out/gctrace.log" &
pid=$!
"$memtrace" collect procfs --pid "$pid" --cgroup "$cg" --interval 250 --duration 45 --archive "$arch" > "$out/collect-procfs.txt" &
"$memtrace" collect go --url http://127.0.0.1:16062/debug/vars --pid "$pid" --interval 1000 --duration 45 --archive "$arch" > "$out/collect-go.txt" &
wait
# Kernel log lines of this run only: those mentioning the pid or the memcg, with their [uptime] stamps.
dmesg | grep -E "mtest-oomsvc|oomsvc|\b$pid\b" > "$out/dmesg.txt" || true
cp "$arch"/raw/*.jsonl "$out/"
echo "$pid" > "$out/pid"
rmdir "$cg" 2>/dev/null || true
