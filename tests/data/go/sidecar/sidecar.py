#!/usr/bin/env python3
"""A plain sidecar, written the way people write them, that is not memtrace: it starts a command (inside a fresh
memory cgroup when asked and allowed), then every interval reads /proc/<pid>/{status,smaps_rollup,stat}, the memory
cgroup's files and an expvar /debug/vars URL one after another, stamping each read with its own clock readings.

Every read goes to two places:
  all.jsonl          one file for every path, each record with a "seq" tick counter;
  split/<name>.jsonl one file per path, no "seq" (proc_status.jsonl, cg_memory.stat.jsonl, debug_vars.jsonl, ...).
driver.json says when the command exited (as the waiting thread saw it), how, and what was read.

usage: sidecar.py --out DIR [--interval-ms 250] [--after-exit 4] [--memcg-limit BYTES] [--smaps-every N]
                  [--url URL] [--max-seconds S] -- COMMAND...
"""
import argparse, json, os, signal, subprocess, sys, threading, time, urllib.request


def memcg(limit):
    """A child v1 memory cgroup under ours with the limit, or a v2 one; None where the machine does not allow it."""
    if limit is None or os.geteuid() != 0:
        return None
    with open("/proc/self/cgroup") as f:
        lines = [l.rstrip("\n").split(":", 2) for l in f]
    name = "mtest-sidecar-%d" % os.getpid()

    def make(parent, limit_file, version):
        d = parent + "/" + name
        try:
            os.mkdir(d)
            with open(d + "/" + limit_file, "w") as f:
                f.write(str(limit))
            return d, version
        except OSError:
            return None

    for _, controllers, path in lines:
        if "memory" in controllers.split(",") and os.path.isdir("/sys/fs/cgroup/memory"):
            return make("/sys/fs/cgroup/memory" + path.rstrip("/"), "memory.limit_in_bytes", 1)
    for _, controllers, path in lines:
        if controllers == "" and os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
            return make("/sys/fs/cgroup" + path.rstrip("/"), "memory.max", 2)
    return None

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--interval-ms", type=float, default=250)
    ap.add_argument("--after-exit", type=int, default=4, help="ticks to keep reading after the command exits")
    ap.add_argument("--memcg-limit", type=int)
    ap.add_argument("--smaps-every", type=int, default=1, help="read smaps_rollup every N ticks only (it is costly)")
    ap.add_argument("--url")
    ap.add_argument("--max-seconds", type=float, default=120)
    ap.add_argument("command", nargs="+")
    a = ap.parse_args()
    os.makedirs(a.out + "/split", exist_ok=True)
    cg = memcg(a.memcg_limit)

    def join_memcg():
        if cg:
            with open(cg[0] + "/cgroup.procs", "w") as f:
                f.write(str(os.getpid()))

    child = subprocess.Popen(a.command, preexec_fn=join_memcg, stdout=open(a.out + "/stdout.txt", "wb"), stderr=open(a.out + "/stderr.txt", "wb"))
    exited = {}

    def wait():
        rc = child.wait()
        exited["ts_ns"] = time.time_ns()
        exited["returncode"] = rc

    threading.Thread(target=wait, daemon=True).start()
    pid = child.pid
    cg_files = []
    if cg:
        cg_files = ["memory.stat", "memory.usage_in_bytes", "memory.limit_in_bytes", "memory.max_usage_in_bytes", "memory.failcnt", "memory.oom_control"] if cg[1] == 1 \
            else ["memory.stat", "memory.current", "memory.max", "memory.events"]
    outs = {}
    every = open(a.out + "/all.jsonl", "w")

    def write(seq, path, name, ts, mono, content=None, error=None):
        rec = {"seq": seq, "ts_ns": ts, "mono_ns": mono, "path": path}
        if error is None:
            rec["content"] = content
        else:
            rec["error"] = error
        every.write(json.dumps(rec) + "\n")
        del rec["seq"]
        if name not in outs:
            outs[name] = open("%s/split/%s.jsonl" % (a.out, name), "w")
        outs[name].write(json.dumps(rec) + "\n")

    def read_file(seq, path, name):
        ts, mono = time.time_ns(), time.monotonic_ns()
        try:
            with open(path) as f:
                write(seq, path, name, ts, mono, content=f.read())
        except OSError as e:
            write(seq, path, name, ts, mono, error=str(e))

    start = time.monotonic()
    seq = 0
    ticks_after = 0
    while ticks_after < a.after_exit and time.monotonic() - start < a.max_seconds:
        tick_start = time.monotonic()
        if "ts_ns" in exited:
            ticks_after += 1
        read_file(seq, "/proc/%d/status" % pid, "proc_status")
        if seq % a.smaps_every == 0:
            read_file(seq, "/proc/%d/smaps_rollup" % pid, "proc_smaps_rollup")
        read_file(seq, "/proc/%d/stat" % pid, "proc_stat")
        for f in cg_files:
            read_file(seq, cg[0] + "/" + f, "cg_" + f)
        if a.url:
            ts, mono = time.time_ns(), time.monotonic_ns()
            try:
                with urllib.request.urlopen(a.url, timeout=1) as r:
                    write(seq, "/debug/vars", "debug_vars", ts, mono, content=r.read().decode())
            except Exception as e:
                write(seq, "/debug/vars", "debug_vars", ts, mono, error=str(e))
        seq += 1
        time.sleep(max(0, a.interval_ms / 1000 - (time.monotonic() - tick_start)))
    if "ts_ns" not in exited:
        child.send_signal(signal.SIGKILL)
        child.wait()
    for f in list(outs.values()) + [every]:
        f.close()
    time.sleep(0.05)
    rc = exited.get("returncode", child.returncode)
    with open(a.out + "/driver.json", "w") as f:
        json.dump({"pid": pid, "exit_ts_ns": exited.get("ts_ns"), "returncode": rc, "killed_by": -rc if rc is not None and rc < 0 else None,
                   "memcg": cg[0] if cg else None, "cgroup_version": cg[1] if cg else None, "ticks": seq, "interval_ms": a.interval_ms}, f, indent=1)
    if cg:
        try:
            os.rmdir(cg[0])
        except OSError:
            pass


if __name__ == "__main__":
    main()
