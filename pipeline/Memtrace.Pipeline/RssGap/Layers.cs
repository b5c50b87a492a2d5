using Memtrace.Pipeline.Host;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.RssGap;

/// <summary>One instant's attribution: a value per layer (in <see cref="RssGapAttribution.Layers"/> order) summing exactly to Total.</summary>
/// <summary>
/// One instant's layers. The evidence strings (the formula with the input values, per layer) are built
/// only when something reads them: a day of 2 Hz samples for 20 workloads is 3.5 M instants, and their
/// 13 strings each were gigabytes that only the few written rows and flags ever show.
/// </summary>
public sealed record LayerSplit(long Total, string TotalKind, long[] Bytes, long GoManaged, GoSample? Go, ProcSample Proc, CgroupSample? Cgroup)
{
    private string[]? _evidence;

    public string[] Evidence => _evidence ??= Layers.Compute(Go, Proc, Cgroup, withEvidence: true).Evidence;
}

/// <summary>
/// The one definition of the RSS-gap layers (DESIGN "RSS-gap attribution"). The split is exact by
/// construction: the five Go layers sum to Go-managed (Sys − HeapReleased); Go-managed plus the
/// not-resident correction plus off-heap is RssAnon; plus other processes' anon is cgroup anon; process
/// file/shmem plus both page-cache layers is cgroup file; then kernel, and the residual closes the
/// gap to usage. A measured negative (e.g. cgroup anon below the process's RssAnon, which happens
/// when pages were charged to another cgroup) is kept negative and flagged, never clamped, so the
/// sum still holds.
/// </summary>
public static class Layers
{
    public const int GoLiveHeap = 0, GoUnusedSpans = 1, GoFreeUnreturned = 2, Stacks = 3, GoMetadata = 4, GoNotResident = 5,
        OffHeapAnon = 6, ProcessFileShmem = 7, OtherAnon = 8, PageCacheActive = 9, PageCacheInactive = 10, Kernel = 11, Residual = 12;

    public static LayerSplit Split(GoSample? g, ProcSample p, CgroupSample? c) => Compute(g, p, c, withEvidence: false).Split;

    /// <summary>The one definition of the layers: bytes always, the evidence strings when asked for.</summary>
    internal static (LayerSplit Split, string[] Evidence) Compute(GoSample? g, ProcSample p, CgroupSample? c, bool withEvidence)
    {
        var ev = withEvidence;
        var n = RssGapAttribution.Layers.Count;
        var b = new long[n];
        var e = new string[n];
        var rssAnon = p.RssAnon ?? 0;
        var goManaged = 0L;
        if (g is not null)
        {
            b[GoLiveHeap] = g.HeapAlloc; if (ev) e[GoLiveHeap] = $"HeapAlloc {g.HeapAlloc}";
            b[GoUnusedSpans] = g.HeapInuse - g.HeapAlloc; if (ev) e[GoUnusedSpans] = $"HeapInuse {g.HeapInuse} − HeapAlloc {g.HeapAlloc}";
            b[GoFreeUnreturned] = g.HeapIdle - g.HeapReleased; if (ev) e[GoFreeUnreturned] = $"HeapIdle {g.HeapIdle} − HeapReleased {g.HeapReleased}";
            b[Stacks] = g.StackSys; if (ev) e[Stacks] = $"StackSys {g.StackSys} (StackInuse {g.StackInuse})";
            b[GoMetadata] = g.MSpanSys + g.MCacheSys + g.BuckHashSys + g.GcSys + g.OtherSys;
            if (ev) e[GoMetadata] = $"MSpanSys {g.MSpanSys} + MCacheSys {g.MCacheSys} + BuckHashSys {g.BuckHashSys} + GCSys {g.GcSys} + OtherSys {g.OtherSys}";
            goManaged = g.GoManaged;
            // Sys is the sum of HeapSys, StackSys and the metadata fields, and HeapSys = HeapInuse + HeapIdle,
            // so the five layers above add up to Sys − HeapReleased exactly when MemStats is self-consistent.
            var goSum = b[GoLiveHeap] + b[GoUnusedSpans] + b[GoFreeUnreturned] + b[Stacks] + b[GoMetadata];
            if (ev && goSum != goManaged) e[GoMetadata] += $" (MemStats inconsistent: the Go layers sum to {goSum}, Sys − HeapReleased is {goManaged}; Go-managed taken as the layer sum)";
            goManaged = goSum;
        }
        else
        {
            for (var i = GoLiveHeap; i <= GoMetadata; i++) if (ev) e[i] = "no Go runtime sample within tolerance";
        }
        var offHeap = rssAnon - goManaged;
        b[GoNotResident] = Math.Min(0, offHeap);
        if (ev) e[GoNotResident] = $"min(0, RssAnon {rssAnon} − Go-managed {goManaged})";
        b[OffHeapAnon] = Math.Max(0, offHeap);
        if (ev) e[OffHeapAnon] = $"max(0, RssAnon {rssAnon} − Go-managed {goManaged})";
        var procFile = (p.RssFile ?? 0) + (p.RssShmem ?? 0);
        b[ProcessFileShmem] = procFile;
        if (ev) e[ProcessFileShmem] = $"RssFile {p.RssFile ?? 0} + RssShmem {p.RssShmem ?? 0}";

        if (c?.Usage is { } usage)
        {
            var anon = c.Anon ?? 0;
            var file = c.File ?? 0;
            var inactive = c.InactiveFile ?? 0;
            var kernel = c.Kernel ?? 0;
            b[OtherAnon] = anon - rssAnon; if (ev) e[OtherAnon] = $"cgroup anon {anon} − RssAnon {rssAnon}";
            b[PageCacheActive] = file - inactive - procFile; if (ev) e[PageCacheActive] = $"cgroup file {file} − inactive_file {inactive} − process file/shmem {procFile}";
            b[PageCacheInactive] = inactive; if (ev) e[PageCacheInactive] = $"inactive_file {inactive}";
            b[Kernel] = kernel; if (ev) e[Kernel] = c.Version == 1 ? $"kmem {kernel}" : $"slab + kernel_stack + pagetables + percpu + sock + vmalloc = {kernel}";
            b[Residual] = usage - anon - file - kernel; if (ev) e[Residual] = $"usage {usage} − anon {anon} − file {file} − kernel {kernel}";
            return (new LayerSplit(usage, "cgroup_usage", b, goManaged, g, p, c), e);
        }
        var rss = p.VmRss ?? rssAnon + procFile;
        foreach (var i in new[] { OtherAnon, PageCacheActive, PageCacheInactive, Kernel }) if (ev) e[i] = "no cgroup sample";
        b[Residual] = rss - rssAnon - procFile;
        if (ev) e[Residual] = $"VmRSS {rss} − RssAnon {rssAnon} − RssFile − RssShmem";
        return (new LayerSplit(rss, "vm_rss", b, goManaged, g, p, c), e);
    }

    /// <summary>
    /// RssAnon − Go-managed, signed (off_heap_anon + go_managed_not_resident). The off-heap layer is a
    /// lower bound: Go-managed bytes that are mapped but not resident (runtime metadata reservations)
    /// hide the same amount of off-heap memory, so changes are measured on this difference.
    /// </summary>
    public static long AnonOutsideGo(LayerSplit s) => s.Bytes[OffHeapAnon] + s.Bytes[GoNotResident];

    /// <summary>What each layer holds, for the cause column.</summary>
    public static string Cause(int layer, bool haveGo) => layer switch
    {
        GoLiveHeap => "reachable Go objects",
        GoUnusedSpans => "Go spans in use but not filled (size-class rounding, partly free spans)",
        GoFreeUnreturned => "free Go heap the scavenger has not yet returned to the OS",
        Stacks => "goroutine stacks",
        GoMetadata => "Go runtime metadata (span structs, mcaches, GC bitmaps, profiling buckets)",
        GoNotResident => "Go-managed bytes that are mapped but not resident (only negative)",
        OffHeapAnon => haveGo ? "anonymous memory outside the Go runtime: cgo/C malloc, foreign mmap" : "all anonymous memory of the process (no Go runtime sample)",
        ProcessFileShmem => "file-backed and shared pages mapped by the process (binary, libraries, mmap'd files)",
        OtherAnon => "anonymous memory of other processes in the cgroup",
        PageCacheActive => "active page cache not mapped by the process",
        PageCacheInactive => "inactive page cache: reclaimable, not in the working set",
        Kernel => "kernel memory charged to the cgroup",
        _ => "usage the memory.stat terms do not cover (per-CPU charge batching, accounting lag)",
    };
}
