#!/usr/bin/env python3
"""Scales a real PyTorch memory snapshot up for speed work, keeping its shape: K copies of the same allocator, copy k
shifted by k * 2^34 in every address and by k * (trace span + 1 us) in every trace time, segments and traces
concatenated. The result is a valid history of K disjoint allocators in one device's pool, with K times the events,
segments and blocks, and the same size mix, lifetimes and free-block counts per allocator as the real file.

usage: scale_snapshot.py IN.pickle OUT.pickle K
"""
import copy, pickle, sys

SHIFT = 1 << 34


def shifted(entry, k, dt):
    e = dict(entry)
    if "addr" in e:
        e["addr"] += k * SHIFT
    if "time_us" in e and e["time_us"]:
        e["time_us"] += k * dt
    return e


def main():
    src, dst, k_count = sys.argv[1], sys.argv[2], int(sys.argv[3])
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
            c["blocks"] = [dict(b, address=b["address"] + k * SHIFT) for b in s["blocks"]]
            segments.append(c)
    out["segments"] = segments
    out["device_traces"] = [[shifted(e, k, dt) for k in range(k_count) for e in trace] for trace in snap["device_traces"]]
    with open(dst, "wb") as f:
        pickle.dump(out, f, protocol=pickle.HIGHEST_PROTOCOL)


if __name__ == "__main__":
    main()
