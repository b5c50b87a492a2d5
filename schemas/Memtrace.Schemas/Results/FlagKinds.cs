namespace Memtrace.Schemas.Results;

/// <summary>A kind of host flag: its name in flags.kind, its severity, and what it means.</summary>
public sealed record FlagKind(string Name, string Severity, string Doc);

/// <summary>
/// Every kind of row the flags table holds, declared once (as the stats catalogue declares counters): the analyzer
/// names its flags from here, the table's documentation is generated from here, and a test fails when the analyzer
/// stops using a kind or uses one not declared.
/// </summary>
public static class FlagKinds
{
    public const string Info = "info";
    public const string Warning = "warning";
    public const string Critical = "critical";

    public static readonly FlagKind OffHeapGrowth = new("off_heap_growth", Warning, "RssAnon − Go-managed grew past the threshold since the first instant: memory outside the Go runtime (cgo, C libraries, foreign mmap).");
    public static readonly FlagKind GoroutineStackGrowth = new("goroutine_stack_growth", Warning, "StackSys grew past the threshold since the first instant: goroutines piling up.");
    public static readonly FlagKind HeapNotReturned = new("heap_not_returned", Info, "HeapIdle − HeapReleased above the threshold and a quarter of Go-managed memory: free heap the runtime keeps.");
    public static readonly FlagKind PageCacheDominating = new("page_cache_dominating", Info, "Page cache over half of the cgroup's usage: reclaimable, but it counts against the limit until reclaimed.");
    public static readonly FlagKind KernelMemoryHigh = new("kernel_memory_high", Warning, "Kernel memory (slab, stacks, page tables, sockets) over a fifth of the cgroup's usage.");
    public static readonly FlagKind GoManagedNotResident = new("go_managed_not_resident", Info, "Go-managed bytes not resident (RssAnon below Sys − HeapReleased): mapped by the runtime, never touched.");
    public static readonly FlagKind NegativeOtherAnon = Negative("other_processes_anon");
    public static readonly FlagKind NegativePageCacheActive = Negative("page_cache_active");
    public static readonly FlagKind NegativeResidual = Negative("residual");
    public static readonly FlagKind WorkingSetOver90Pct = new("working_set_over_90pct", Critical, "The cgroup's working set above 90% of its limit: the OOM killer is near.");
    public static readonly FlagKind PsiDisagree = new("psi_avg10_avg60_disagree", Info, "memory.pressure some avg10 and avg60 ten points apart or more: a burst the minute average hides, or one that has passed.");
    public static readonly FlagKind GomemlimitUnset = new("gomemlimit_unset", Warning, "GOMEMLIMIT is unset (math.MaxInt64) under a cgroup limit: the GC paces on GOGC alone (info when there is no limit).");
    public static readonly FlagKind GomemlimitAboveLimit = new("gomemlimit_above_limit", Warning, "GOMEMLIMIT is above the cgroup limit: the runtime's soft limit cannot act before the kernel's hard one.");
    public static readonly FlagKind LimitHit = new("limit_hit", Warning, "The cgroup's failcnt rose: usage reached the limit and reclaim followed (not necessarily a kill).");
    public static readonly FlagKind OomKill = new("oom_kill", Critical, "The process was OOM-killed: the cgroup's oom_kill counter rose, narrowed by the read that first found it gone.");
    public static readonly FlagKind ProcessVanished = new("process_vanished", Info, "The process disappeared with no OOM-kill evidence.");
    public static readonly FlagKind ClockUnanchored = new("clock_unanchored", Warning, "A source's rows could not be placed on UTC; they are left out of the joins.");

    public static readonly IReadOnlyList<FlagKind> All =
    [
        OffHeapGrowth, GoroutineStackGrowth, HeapNotReturned, PageCacheDominating, KernelMemoryHigh, GoManagedNotResident,
        NegativeOtherAnon, NegativePageCacheActive, NegativeResidual, WorkingSetOver90Pct, PsiDisagree, GomemlimitUnset,
        GomemlimitAboveLimit, LimitHit, OomKill, ProcessVanished, ClockUnanchored,
    ];

    /// <summary>negative_&lt;layer&gt; for a layer of <see cref="RssGapAttribution.Layers"/> that measured below zero beyond read-timing noise.</summary>
    public static FlagKind NegativeLayer(string layer) => All.Single(k => k.Name == "negative_" + layer);

    private static FlagKind Negative(string layer) =>
        new("negative_" + layer, Info, $"The {layer} layer measured below zero beyond read-timing noise: pages charged elsewhere, or samples too far apart.");
}
