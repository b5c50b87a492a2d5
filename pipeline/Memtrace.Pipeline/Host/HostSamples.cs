using Memtrace.Schemas.Model;

namespace Memtrace.Pipeline.Host;

/// <summary>One runtime.MemStats read; fields the source did not expose are 0.</summary>
public sealed record GoSample(long Ts, long HeapAlloc, long HeapInuse, long HeapIdle, long HeapReleased, long HeapSys,
    long StackInuse, long StackSys, long MSpanSys, long MCacheSys, long BuckHashSys, long GcSys, long OtherSys, long Sys,
    long? NumGoroutine, long? Gomemlimit)
{
    /// <summary>Sys − HeapReleased: the bytes GOMEMLIMIT counts.</summary>
    public long GoManaged => Sys - HeapReleased;

    /// <summary>Sys − HeapSys: stacks and runtime metadata (seed 004's non-heap term).</summary>
    public long NonHeap => Sys - HeapSys;
}

/// <summary>One /proc/&lt;pid&gt; read.</summary>
public sealed record ProcSample(long Ts, bool Alive, long? VmRss, long? RssAnon, long? RssFile, long? RssShmem, long? CpuTicks);

/// <summary>One memory-cgroup read. Kernel is the sum of the kernel stat terms (v2) or kmem (v1).</summary>
public sealed record CgroupSample(long Ts, int Version, long? Usage, long? Limit, long? Anon, long? File, long? InactiveFile, long? Kernel,
    long? OomKill, long? Failcnt, double? PsiSome10, double? PsiSome60)
{
    /// <summary>max(0, usage − inactive_file): kubelet's and cAdvisor's working set.</summary>
    public long? WorkingSet => Usage is { } u ? Math.Max(0, u - (InactiveFile ?? 0)) : null;
}

/// <summary>A (host, cgroup, pid) and its samples, each series sorted by time with duplicates dropped.</summary>
public sealed class Workload(string host, string cgroupPath, long pid)
{
    public string Host { get; } = host;
    public string CgroupPath { get; } = cgroupPath;
    public long Pid { get; } = pid;
    public List<GoSample> Go { get; } = [];
    public List<ProcSample> Proc { get; } = [];
    public List<CgroupSample> Cgroup { get; } = [];

    public override string ToString() => $"{Host}:{CgroupPath}:{Pid}";
}

internal static class Cells
{
    public static long? L(Table t, string col, int row) => t.I64(col).Get(row);
    public static long Z(Table t, string col, int row) => t.I64(col).Get(row) ?? 0;
    public static double? D(Table t, string col, int row) => t.F64(col).Get(row);
}
