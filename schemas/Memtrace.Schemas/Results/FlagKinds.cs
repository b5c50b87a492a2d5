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

    private static readonly List<FlagKind> Declared = [];

    /// <summary>Declares a kind: the field is its one definition, and <see cref="All"/> lists it in declaration order.</summary>
    private static FlagKind Kind(string name, string severity, string doc)
    {
        var kind = new FlagKind(name, severity, doc);
        Declared.Add(kind);
        return kind;
    }

    public static readonly FlagKind OffHeapGrowth = Kind("off_heap_growth", Warning, "RssAnon − Go-managed grew past the threshold since the first instant: memory outside the Go runtime (cgo, C libraries, foreign mmap).");
    public static readonly FlagKind GoroutineStackGrowth = Kind("goroutine_stack_growth", Warning, "StackSys grew past the threshold since the first instant: goroutines piling up.");
    public static readonly FlagKind HeapNotReturned = Kind("heap_not_returned", Info, "HeapIdle − HeapReleased above the threshold and a quarter of Go-managed memory: free heap the runtime keeps.");
    public static readonly FlagKind PageCacheDominating = Kind("page_cache_dominating", Info, "Page cache over half of the cgroup's usage: reclaimable, but it counts against the limit until reclaimed.");
    public static readonly FlagKind KernelMemoryHigh = Kind("kernel_memory_high", Warning, "Kernel memory (slab, stacks, page tables, sockets) over a fifth of the cgroup's usage.");
    public static readonly FlagKind GoManagedNotResident = Kind("go_managed_not_resident", Info, "Go-managed bytes not resident (RssAnon below Sys − HeapReleased): mapped by the runtime, never touched.");
    public static readonly FlagKind NegativeOtherAnon = Negative("other_processes_anon");
    public static readonly FlagKind NegativePageCacheActive = Negative("page_cache_active");
    public static readonly FlagKind NegativeResidual = Negative("residual");
    public static readonly FlagKind WorkingSetOver90Pct = Kind("working_set_over_90pct", Critical, "The cgroup's working set above 90% of its limit: the OOM killer is near.");
    public static readonly FlagKind PsiDisagree = Kind("psi_avg10_avg60_disagree", Info, "memory.pressure some avg10 and avg60 ten points apart or more: a burst the minute average hides, or one that has passed.");
    public static readonly FlagKind GomemlimitUnset = Kind("gomemlimit_unset", Warning, "GOMEMLIMIT is unset (math.MaxInt64) under a cgroup limit: the GC paces on GOGC alone (info when there is no limit).");
    public static readonly FlagKind GomemlimitAboveLimit = Kind("gomemlimit_above_limit", Warning, "GOMEMLIMIT is above the cgroup limit: the runtime's soft limit cannot act before the kernel's hard one.");
    public static readonly FlagKind LimitHit = Kind("limit_hit", Warning, "The cgroup's failcnt rose: usage reached the limit and reclaim followed (not necessarily a kill).");
    public static readonly FlagKind OomKill = Kind("oom_kill", Critical, "The process was OOM-killed: the cgroup's oom_kill counter rose, narrowed by the read that first found it gone.");
    public static readonly FlagKind ProcessVanished = Kind("process_vanished", Info, "The process disappeared with no OOM-kill evidence.");
    public static readonly FlagKind ClockUnanchored = Kind("clock_unanchored", Warning, "A source's rows could not be placed on UTC; they are left out of the joins.");

    /// <summary>Every kind, in the order declared above (static fields initialise in textual order).</summary>
    public static IReadOnlyList<FlagKind> All => Declared;

    /// <summary>negative_&lt;layer&gt; for a layer of <see cref="RssGapAttribution.Layers"/> that measured below zero beyond read-timing noise.</summary>
    public static FlagKind NegativeLayer(string layer) => All.Single(k => k.Name == "negative_" + layer);

    private static FlagKind Negative(string layer) =>
        Kind("negative_" + layer, Info, $"The {layer} layer measured below zero beyond read-timing noise: pages charged elsewhere, or samples too far apart.");
}
