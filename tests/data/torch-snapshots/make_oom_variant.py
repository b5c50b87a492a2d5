#!/usr/bin/env python3
"""Derives bcrafton_oom_variant.pickle from the real bcrafton snapshot.

None of the real snapshots in shared/data hit an OOM, and recording one needs a GPU. This appends one
trace entry shaped exactly as PyTorch writes an OOM (c10/cuda/CUDACachingAllocator.cpp records
TraceEntry::OOM with the device's free bytes in the address slot; torch/cuda/memory.py's
_dump_snapshot then names it 'device_free'): {'action': 'oom', 'device_free', 'size', 'stream',
'time_us', 'frames'}. The request is 2 MiB more than the largest inactive block at the end, and no
more than the total inactive bytes, so the right verdict is fragmentation. Everything else is the
real file, unchanged. Run: python3 make_oom_variant.py
"""
import pickle

src = pickle.load(open("bcrafton_memory_snapshot.pickle", "rb"))
inactive = [b["size"] for s in src["segments"] for b in s["blocks"] if b["state"] == "inactive"]
largest, total = max(inactive), sum(inactive)
request = largest + (2 << 20)
assert request <= total, (request, total)
trace = src["device_traces"][0]
last_alloc = [e for e in trace if e["action"] == "alloc"][-1]
trace.append({
    "action": "oom",
    "device_free": 18 << 20,
    "size": request,
    "stream": 0,
    "time_us": trace[-1]["time_us"] + 1000,
    "frames": last_alloc["frames"],
})
with open("bcrafton_oom_variant.pickle", "wb") as f:
    pickle.dump(src, f, protocol=4)
print(f"largest inactive {largest}, total inactive {total}, oom request {request}")
