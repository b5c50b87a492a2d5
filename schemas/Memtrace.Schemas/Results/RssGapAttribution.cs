using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Every byte between the Go live heap and the cgroup's usage, split into named layers (long format).</summary>
public static class RssGapAttribution
{
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly StrKey CgroupPath = Str("cgroup_path", "Memory cgroup, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id.");
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Attribution instant (the slowest source's sample time).");
    public static readonly I64Key LayerIndex = I64("layer_index", "", "Layer order, 1 = Go live heap … 13 = residual.");
    public static readonly StrKey Layer = Str("layer", "Layer name (see schemas/README.md for the definitions).");
    public static readonly I64Key Bytes = I64("bytes", "bytes", "Bytes in the layer; negative only where a measured negative shows mis-accounting (flagged).");
    public static readonly StrKey Cause = Str("cause", "What the bytes are, in words.");
    public static readonly StrKey Evidence = Str("evidence", "The formula with the measured numbers.");
    public static readonly StrKey TotalKind = Str("total_kind", "cgroup_usage or vm_rss: what the layers sum to.");
    public static readonly I64Key GoTsNs = I64("go_ts_ns", "ns", "MemStats read used.", nullable: true);
    public static readonly I64Key ProcTsNs = I64("proc_ts_ns", "ns", "/proc read used.");
    public static readonly I64Key CgroupTsNs = I64("cgroup_ts_ns", "ns", "Cgroup read used.", nullable: true);

    public static readonly TableDef Def = new(
        "rss_gap_attribution", 1, TableKind.Result,
        "One row per (attribution instant, layer). At every instant the layers sum exactly to the total (cgroup usage, or VmRSS without a cgroup). Instants are the slowest needed source's samples, each paired with the nearest sample of every other source within tolerance. At most --max-instants instants per workload (default 5,000): past that, each of that many time buckets keeps its instant of largest total; flags, alerts and the capacity plan still use every instant.",
        [Host, CgroupPath, Pid, TsNs, LayerIndex],
        [
            Host,
            CgroupPath,
            Pid,
            TsNs,
            LayerIndex,
            Layer,
            Bytes,
            Cause,
            Evidence,
            TotalKind,
            GoTsNs,
            ProcTsNs,
            CgroupTsNs,
        ]);

    /// <summary>The layers in order. One definition, used by the analyzer, the wide table and the docs.</summary>
    public static readonly IReadOnlyList<(string Name, string Doc)> Layers =
    [
        ("go_live_heap", "HeapAlloc."),
        ("go_heap_unused_spans", "HeapInuse − HeapAlloc."),
        ("go_heap_free_unreturned", "HeapIdle − HeapReleased: free heap the runtime has not returned to the OS."),
        ("goroutine_stacks", "StackSys (StackInuse plus the stack spans not in use)."),
        ("go_runtime_metadata", "MSpanSys + MCacheSys + BuckHashSys + GCSys + OtherSys."),
        ("go_managed_not_resident", "min(0, RssAnon − (Sys − HeapReleased)): Go-managed bytes not resident; ≤ 0."),
        ("off_heap_anon", "max(0, RssAnon − (Sys − HeapReleased)): cgo, C libraries, foreign mmap."),
        ("process_file_shmem", "RssFile + RssShmem."),
        ("other_processes_anon", "cgroup anon − RssAnon."),
        ("page_cache_active", "cgroup file − inactive_file − (RssFile + RssShmem): active page cache not mapped by the process (plus other shmem)."),
        ("page_cache_inactive", "inactive_file: reclaimable, not in the working set."),
        ("kernel", "slab + kernel_stack + pagetables + percpu + sock + vmalloc (v2), or kmem (v1)."),
        ("residual", "total − Σ(the layers above): the kernel's stat sums do not equal usage exactly."),
    ];
}
