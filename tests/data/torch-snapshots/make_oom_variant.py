#!/usr/bin/env python3
"""Derives bcrafton_oom_variant.pickle from the real bcrafton snapshot.

None of the real snapshots in shared/data hit an OOM, and recording one needs a GPU. This appends trace
entries shaped exactly as PyTorch writes them (c10/cuda/CUDACachingAllocator.cpp), telling a story the
allocator's own rules allow:

1. The program calls torch.cuda.empty_cache(): release_cached_blocks frees every unsplit cached segment, the
   large pool's first, each pool in its (stream, size, address) order, and records one SEGMENT_FREE per
   segment ({'action': 'segment_free', 'addr', 'size', 'stream', 'time_us', ...}). The final 'segments' list
   loses those segments, as a snapshot taken afterwards would.
2. Another tenant of the GPU takes that memory back, so the driver has 8 MiB free.
3. A request 2 MiB larger than the largest remaining free block (all in split segments) fails: no cached block
   fits, cudaMalloc of its 2 MiB-rounded size fails, there is nothing unsplit left to release, and PyTorch
   records TraceEntry::OOM with the driver's free bytes and the rounded request, which _dump_snapshot names
   {'action': 'oom', 'device_free', 'size', 'stream', 'time_us', 'frames'}. The request is at most the free
   bytes left in those segments, so the right verdict is fragmentation.

An earlier version appended only the OOM, with the unsplit segments still cached: the real allocator would
have released them and served the request, which memtrace's allocator model showed (allocator_model_check).
Everything else is the real file, unchanged. Run: python3 make_oom_variant.py
"""
import pickle

src = pickle.load(open("bcrafton_memory_snapshot.pickle", "rb"))
segments = src["segments"]


def unsplit_free(s):
    return len(s["blocks"]) == 1 and s["blocks"][0]["state"] == "inactive"


released = [s for s in segments if unsplit_free(s)]
order = sorted(released, key=lambda s: (s["segment_type"] != "large", s["stream"], s["total_size"], s["address"]))
kept = [s for s in segments if not unsplit_free(s)]
inactive = [b["size"] for s in kept for b in s["blocks"] if b["state"] == "inactive"]
largest, total = max(inactive), sum(inactive)
request = largest + (2 << 20)
assert request <= total, (request, total)
assert request % 512 == 0 and request > (1 << 20)

trace = src["device_traces"][0]
t_end = trace[-1]["time_us"]
template = {k: v for k, v in trace[-1].items() if k in ("compile_context", "user_metadata")}
for s in order:
    trace.append({"action": "segment_free", "addr": s["address"], "size": s["total_size"], "stream": s["stream"],
                  "time_us": t_end + 500, **template, "frames": []})
last_alloc = [e for e in trace if e["action"] == "alloc"][-1]
trace.append({
    "action": "oom",
    "device_free": 8 << 20,
    "size": request,
    "stream": 0,
    "time_us": t_end + 1000,
    "frames": last_alloc["frames"],
})
src["segments"] = kept
with open("bcrafton_oom_variant.pickle", "wb") as f:
    pickle.dump(src, f, protocol=4)
print(f"released {len(released)} unsplit segments ({sum(s['total_size'] for s in released)} bytes); "
      f"largest free block {largest}, free in split segments {total}, oom request {request}")
