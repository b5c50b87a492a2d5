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

/// <summary>
/// Optional readings stored without Nullable's 8-byte flag: absent is long.MinValue (no byte count or counter
/// takes it) or NaN (no PSI average is). A day of 2 Hz reads for 20 workloads is 3.5 M samples of each kind;
/// as positional records with long? fields a cgroup read took 192 bytes, now 112, and a /proc read 112, now 72.
/// </summary>
internal static class Packed
{
    public const long Absent = long.MinValue;
    public static long Put(long? v) => v ?? Absent;
    public static long? Get(long v) => v == Absent ? null : v;
    public static double Put(double? v) => v ?? double.NaN;
    public static double? Get(double v) => double.IsNaN(v) ? null : v;
}

/// <summary>One /proc/&lt;pid&gt; read.</summary>
public sealed record ProcSample
{
    private readonly long _vmRss, _rssAnon, _rssFile, _rssShmem, _cpuTicks;

    public ProcSample(long Ts, bool Alive, long? VmRss, long? RssAnon, long? RssFile, long? RssShmem, long? CpuTicks)
    {
        this.Ts = Ts;
        this.Alive = Alive;
        this.VmRss = VmRss;
        this.RssAnon = RssAnon;
        this.RssFile = RssFile;
        this.RssShmem = RssShmem;
        this.CpuTicks = CpuTicks;
    }

    public long Ts { get; init; }
    public bool Alive { get; init; }

    /// <summary>Which files the row was read from (<see cref="HostInputs"/>' field groups), for <see cref="SampleTicks"/>.</summary>
    public byte Fields { get; init; }

    public long? VmRss { get => Packed.Get(_vmRss); init => _vmRss = Packed.Put(value); }
    public long? RssAnon { get => Packed.Get(_rssAnon); init => _rssAnon = Packed.Put(value); }
    public long? RssFile { get => Packed.Get(_rssFile); init => _rssFile = Packed.Put(value); }
    public long? RssShmem { get => Packed.Get(_rssShmem); init => _rssShmem = Packed.Put(value); }
    public long? CpuTicks { get => Packed.Get(_cpuTicks); init => _cpuTicks = Packed.Put(value); }
}

/// <summary>One memory-cgroup read. Kernel is the sum of the kernel stat terms (v2) or kmem (v1).</summary>
public sealed record CgroupSample
{
    private readonly long _usage, _limit, _anon, _file, _inactiveFile, _kernel, _oomKill, _failcnt;
    private readonly double _psiSome10, _psiSome60;

    public CgroupSample(long Ts, int Version, long? Usage, long? Limit, long? Anon, long? File, long? InactiveFile, long? Kernel,
        long? OomKill, long? Failcnt, double? PsiSome10, double? PsiSome60)
    {
        this.Ts = Ts;
        this.Version = Version;
        this.Usage = Usage;
        this.Limit = Limit;
        this.Anon = Anon;
        this.File = File;
        this.InactiveFile = InactiveFile;
        this.Kernel = Kernel;
        this.OomKill = OomKill;
        this.Failcnt = Failcnt;
        this.PsiSome10 = PsiSome10;
        this.PsiSome60 = PsiSome60;
    }

    public long Ts { get; init; }
    public int Version { get; init; }

    /// <summary>Which files the row was read from (<see cref="HostInputs"/>' field groups), for <see cref="SampleTicks"/>.</summary>
    public byte Fields { get; init; }

    public long? Usage { get => Packed.Get(_usage); init => _usage = Packed.Put(value); }
    public long? Limit { get => Packed.Get(_limit); init => _limit = Packed.Put(value); }
    public long? Anon { get => Packed.Get(_anon); init => _anon = Packed.Put(value); }
    public long? File { get => Packed.Get(_file); init => _file = Packed.Put(value); }
    public long? InactiveFile { get => Packed.Get(_inactiveFile); init => _inactiveFile = Packed.Put(value); }
    public long? Kernel { get => Packed.Get(_kernel); init => _kernel = Packed.Put(value); }
    public long? OomKill { get => Packed.Get(_oomKill); init => _oomKill = Packed.Put(value); }
    public long? Failcnt { get => Packed.Get(_failcnt); init => _failcnt = Packed.Put(value); }
    public double? PsiSome10 { get => Packed.Get(_psiSome10); init => _psiSome10 = Packed.Put(value); }
    public double? PsiSome60 { get => Packed.Get(_psiSome60); init => _psiSome60 = Packed.Put(value); }

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
