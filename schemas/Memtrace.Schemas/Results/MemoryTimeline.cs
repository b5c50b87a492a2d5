using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>The Go runtime, /proc and cgroup views of one workload on one time axis.</summary>
public static class MemoryTimeline
{
    private static I64Key B(string name, string doc) => I64(name, "bytes", doc, nullable: true);

    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly StrKey CgroupPath = Str("cgroup_path", "Memory cgroup of the workload, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id; 0 for a cgroup-only workload.");
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Grid instant, UTC.");
    public static readonly I64Key GoTsNs = I64("go_ts_ns", "ns", "Time of the MemStats read used, when one lies within tolerance.", nullable: true);
    public static readonly I64Key HeapAlloc = B("heap_alloc", "MemStats.HeapAlloc.");
    public static readonly I64Key HeapInuse = B("heap_inuse", "MemStats.HeapInuse.");
    public static readonly I64Key HeapIdle = B("heap_idle", "MemStats.HeapIdle.");
    public static readonly I64Key HeapReleased = B("heap_released", "MemStats.HeapReleased.");
    public static readonly I64Key HeapSys = B("heap_sys", "MemStats.HeapSys.");
    public static readonly I64Key StackSys = B("stack_sys", "MemStats.StackSys.");
    public static readonly I64Key Sys = B("sys", "MemStats.Sys.");
    public static readonly I64Key GoManaged = B("go_managed", "Sys − HeapReleased: what GOMEMLIMIT counts.");
    public static readonly I64Key NumGoroutine = I64("num_goroutine", "", "runtime.NumGoroutine().", nullable: true);
    public static readonly I64Key Gomemlimit = B("gomemlimit", "GOMEMLIMIT in effect (math.MaxInt64 = unset).");
    public static readonly I64Key ProcTsNs = I64("proc_ts_ns", "ns", "Time of the /proc read used.", nullable: true);
    public static readonly BoolKey Alive = Bool("alive", "Whether the process still existed at that read.", nullable: true);
    public static readonly I64Key VmRss = B("vm_rss", "VmRSS.");
    public static readonly I64Key RssAnon = B("rss_anon", "RssAnon.");
    public static readonly I64Key RssFile = B("rss_file", "RssFile.");
    public static readonly I64Key RssShmem = B("rss_shmem", "RssShmem.");
    public static readonly F64Key CpuPercent = F64("cpu_percent", "%", "(Δutime + Δstime) / CLK_TCK / Δt × 100 since the previous /proc read (100 = one core).", nullable: true);
    public static readonly I64Key CgroupTsNs = I64("cgroup_ts_ns", "ns", "Time of the cgroup read used.", nullable: true);
    public static readonly I64Key Usage = B("usage", "Cgroup usage (memory.current / memory.usage_in_bytes).");
    public static readonly I64Key Limit = B("limit", "Cgroup limit; null when unlimited.");
    public static readonly I64Key InactiveFile = B("inactive_file", "memory.stat inactive_file (v1 total_inactive_file).");
    public static readonly I64Key WorkingSet = B("working_set", "max(0, usage − inactive_file), as kubelet and cAdvisor compute it.");
    public static readonly I64Key Headroom = B("headroom", "limit − working_set.");
    public static readonly I64Key OomKill = I64("oom_kill", "", "Cgroup oom_kill counter.", nullable: true);

    public static readonly TableDef Def = new(
        "memory_timeline", 1, TableKind.Result,
        "One row per grid instant of a workload (host, cgroup, pid). The grid is the densest sampled source's instants, or a regular --step. Each source contributes its nearest sample within its tolerance, or nulls. At most --max-instants rows per workload (default 5,000): past that, time is cut into that many buckets and each keeps its one instant of largest cgroup usage (else VmRSS, else Go Sys), exact, never averaged.",
        [Host, CgroupPath, Pid, TsNs],
        [
            Host,
            CgroupPath,
            Pid,
            TsNs,
            GoTsNs,
            HeapAlloc,
            HeapInuse,
            HeapIdle,
            HeapReleased,
            HeapSys,
            StackSys,
            Sys,
            GoManaged,
            NumGoroutine,
            Gomemlimit,
            ProcTsNs,
            Alive,
            VmRss,
            RssAnon,
            RssFile,
            RssShmem,
            CpuPercent,
            CgroupTsNs,
            Usage,
            Limit,
            InactiveFile,
            WorkingSet,
            Headroom,
            OomKill,
        ]);
}
