using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>The Go runtime, /proc and cgroup views of one workload on one time axis.</summary>
public static class MemoryTimeline
{
    private static ColumnDef B(string name, string doc) => I64(name, "bytes", doc, nullable: true);

    public static readonly TableDef Def = new(
        "memory_timeline", 1, TableKind.Result,
        "One row per grid instant of a workload (host, cgroup, pid). The grid is the densest sampled source's instants, or a regular --step. Each source contributes its nearest sample within its tolerance, or nulls. At most --max-instants rows per workload (default 5,000): past that, time is cut into that many buckets and each keeps its one instant of largest cgroup usage (else VmRSS, else Go Sys), exact, never averaged.",
        ["host", "cgroup_path", "pid", "ts_ns"],
        [
            Str("host", "Host name, or empty."),
            Str("cgroup_path", "Memory cgroup of the workload, or empty."),
            I64("pid", "", "Process id; 0 for a cgroup-only workload."),
            I64("ts_ns", "ns", "Grid instant, UTC."),
            I64("go_ts_ns", "ns", "Time of the MemStats read used, when one lies within tolerance.", nullable: true),
            B("heap_alloc", "MemStats.HeapAlloc."), B("heap_inuse", "MemStats.HeapInuse."), B("heap_idle", "MemStats.HeapIdle."),
            B("heap_released", "MemStats.HeapReleased."), B("heap_sys", "MemStats.HeapSys."), B("stack_sys", "MemStats.StackSys."),
            B("sys", "MemStats.Sys."), B("go_managed", "Sys − HeapReleased: what GOMEMLIMIT counts."),
            I64("num_goroutine", "", "runtime.NumGoroutine().", nullable: true),
            B("gomemlimit", "GOMEMLIMIT in effect (math.MaxInt64 = unset)."),
            I64("proc_ts_ns", "ns", "Time of the /proc read used.", nullable: true),
            Bool("alive", "Whether the process still existed at that read.", nullable: true),
            B("vm_rss", "VmRSS."), B("rss_anon", "RssAnon."), B("rss_file", "RssFile."), B("rss_shmem", "RssShmem."),
            F64("cpu_percent", "%", "(Δutime + Δstime) / CLK_TCK / Δt × 100 since the previous /proc read (100 = one core).", nullable: true),
            I64("cgroup_ts_ns", "ns", "Time of the cgroup read used.", nullable: true),
            B("usage", "Cgroup usage (memory.current / memory.usage_in_bytes)."),
            B("limit", "Cgroup limit; null when unlimited."),
            B("inactive_file", "memory.stat inactive_file (v1 total_inactive_file)."),
            B("working_set", "max(0, usage − inactive_file), as kubelet and cAdvisor compute it."),
            B("headroom", "limit − working_set."),
            I64("oom_kill", "", "Cgroup oom_kill counter.", nullable: true),
        ]);
}
