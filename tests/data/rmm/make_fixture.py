#!/usr/bin/env python3
"""Writes pool.dev1.csv: an RMM logging_resource_adaptor log built to the letter of RMM's source.

No real RMM log is committed publicly, and recording one needs a GPU. RMM's
include/rmm/mr/device/logging_resource_adaptor.hpp writes the header
"Thread,Time,Action,Pointer,Size,Stream" and then sets the spdlog pattern "%t,%H:%M:%S.%f,%v"
(thread id, local time of day with microseconds, no date) before logging
"allocate,{ptr},{bytes},{stream}", "free,{ptr},{bytes},{stream}" and, when upstream throws,
"allocate failure,{nullptr},{bytes},{stream}". fmt prints pointers as 0x-prefixed hex, and 0x0 for null.

The scenario: eight 64 MiB buffers from a 512 MiB pool base, every other one freed, then a 96 MiB
request fails although 256 MiB is free (four 64 MiB holes): a fragmentation OOM by construction.
The log crosses midnight (23:59:59 -> 00:00:00). Two malformed lines test tier-2 handling.
"""
MiB = 1 << 20
base = 0x7F3A40000000
thread = 140213184464704
stream = "0x5581f6a3c2d0"
rows = []
t = [23 * 3600 + 59 * 60 + 59, 100000]  # seconds, microseconds


def tick(us=250):
    t[1] += us
    while t[1] >= 1_000_000:
        t[1] -= 1_000_000
        t[0] = (t[0] + 1) % 86400


def stamp():
    s = t[0]
    return f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}.{t[1]:06d}"


for i in range(8):
    rows.append(f"{thread},{stamp()},allocate,{hex(base + i * 64 * MiB)},{64 * MiB},{stream}")
    tick(300000)
for i in range(0, 8, 2):
    rows.append(f"{thread},{stamp()},free,{hex(base + i * 64 * MiB)},{64 * MiB},{stream}")
    tick(300000)
rows.append(f"{thread},{stamp()},allocate failure,0x0,{96 * MiB},{stream}")
tick()
rows.append(f"{thread},{stamp()},allocate,{hex(base)},{32 * MiB},{stream}")
tick()
rows.append(f"{thread},not-a-time,allocate,{hex(base + 40 * MiB)},4096,{stream}")
rows.append(f"{thread},{stamp()},reallocate,{hex(base + 40 * MiB)},4096,{stream}")
tick()
rows.append(f"{thread},{stamp()},free,{hex(base)},{32 * MiB},{stream}")
with open("pool.dev1.csv", "w", newline="\n") as f:
    f.write("Thread,Time,Action,Pointer,Size,Stream\n")
    f.write("\n".join(rows) + "\n")
