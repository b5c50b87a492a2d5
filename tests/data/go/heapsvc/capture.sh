#!/bin/bash
# Re-captures the heapsvc pprof fixtures (needs go and curl). Usage: capture.sh OUTDIR
set -euo pipefail
out=$1; here=$(cd "$(dirname "$0")" && pwd)
(cd "$here" && go build -o /tmp/heapsvc .)
mkdir -p "$out"
/tmp/heapsvc 127.0.0.1:16064 & pid=$!
sleep 1.5
curl -s -o "$out/heap.pb.gz" http://127.0.0.1:16064/debug/pprof/heap
curl -s -o "$out/heap-debug1.txt" "http://127.0.0.1:16064/debug/pprof/heap?debug=1"
curl -s -o "$out/goroutine.pb.gz" http://127.0.0.1:16064/debug/pprof/goroutine
kill $pid
