#!/bin/bash
# Re-captures the sidecar fixture on a cgroup-v1 host (run as root; needs go and python3).
# Usage: capture.sh OUTDIR
set -euo pipefail
out=$1
here=$(cd "$(dirname "$0")" && pwd)
(cd "$here/../oomsvc" && go build -o /tmp/oomsvc .)
rm -rf "$out"
python3 "$here/sidecar.py" --out "$out" --interval-ms 500 --memcg-limit $((512 << 20)) --smaps-every 4 \
  --url http://127.0.0.1:16072/debug/vars -- /tmp/oomsvc 127.0.0.1:16072 3000
mv "$out/stdout.txt" "$out/phases.jsonl"
rm -f "$out/stderr.txt"
