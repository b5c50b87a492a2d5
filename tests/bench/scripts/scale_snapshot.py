#!/usr/bin/env python3
"""Scales a real PyTorch memory snapshot up for speed work, keeping its shape: K copies of the same allocator, copy k
shifted by k * 2^34 in every address and by k * (trace span + 1 us) in every trace time, segments and traces
concatenated. The result is a valid history of K disjoint allocators in one device's pool, with K times the events,
segments and blocks, and the same size mix, lifetimes and free-block counts per allocator as the real file.

With --streams, copy k also runs on its own stream (stream + k in its segments and trace entries). The caching
allocator never hands one stream's blocks to another, so the file is then a valid history of one allocator with K
streams, whose every decision can be checked (memtrace's allocator model, bench `whatif`); without it, a single
allocator would place copy k's requests in other copies' free blocks, so only address-following replays (the
fragmentation stage) can use it.

usage: scale_snapshot.py IN.pickle OUT.pickle K [--streams]
"""
import copy, pickle, sys

SHIFT = 1 << 34


def shifted(entry, k, dt, streams):
    e = dict(entry)
    if "addr" in e:
        e["addr"] += k * SHIFT
    if streams and "stream" in e:
        e["stream"] += k
    if "time_us" in e and e["time_us"]:
        e["time_us"] += k * dt
    return e


def main():
    src, dst, k_count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    streams = "--streams" in sys.argv[4:]
    with open(src, "rb") as f:
        snap = pickle.load(f)
    times = [e["time_us"] for t in snap["device_traces"] for e in t if e.get("time_us")]
    dt = (max(times) - min(times) + 1) if times else 1
    out = dict(snap)
    segments = []
    for k in range(k_count):
        for s in snap["segments"]:
            c = dict(s)
            c["address"] += k * SHIFT
            if streams:
                c["stream"] += k
            c["blocks"] = [dict(b, address=b["address"] + k * SHIFT) for b in s["blocks"]]
            segments.append(c)
    out["segments"] = segments
    out["device_traces"] = [[shifted(e, k, dt, streams) for k in range(k_count) for e in trace] for trace in snap["device_traces"]]
    with open(dst, "wb") as f:
        pickle.dump(out, f, protocol=pickle.HIGHEST_PROTOCOL)


if __name__ == "__main__":
    main()
