using Memtrace.Pipeline.Fragmentation;

namespace Memtrace.Pipeline.Allocators;

public enum TraceOp : byte
{
    Alloc,
    FreeRequested,
    FreeCompleted,
    SegmentAlloc,
    SegmentFree,
    SegmentMap,
    SegmentUnmap,
    Oom,
    Other,
}

/// <summary>One gpu_alloc_events row of a torch-caching pool, as the model replays it. Size is the requested size (for an oom, the rounded one PyTorch records).</summary>
public readonly record struct TraceEvent(long Seq, long TsNs, TraceOp Op, long Address, long Size, long Stream, long DeviceFree = -1)
{
    public bool IsSegmentOp => Op is TraceOp.SegmentAlloc or TraceOp.SegmentFree or TraceOp.SegmentMap or TraceOp.SegmentUnmap;

    public SegmentOp ToSegmentOp() => new(Op switch
    {
        TraceOp.SegmentAlloc => SegmentOpKind.Alloc,
        TraceOp.SegmentFree => SegmentOpKind.Free,
        TraceOp.SegmentMap => SegmentOpKind.Map,
        _ => SegmentOpKind.Unmap,
    }, Address, Size, Seq);

    /// <summary>The action as the snapshot writes it: OpOf read backwards.</summary>
    public static string NameOf(TraceOp op) => op switch
    {
        TraceOp.Alloc => "alloc",
        TraceOp.FreeRequested => "free_requested",
        TraceOp.FreeCompleted => "free_completed",
        TraceOp.SegmentAlloc => "segment_alloc",
        TraceOp.SegmentFree => "segment_free",
        TraceOp.SegmentMap => "segment_map",
        TraceOp.SegmentUnmap => "segment_unmap",
        TraceOp.Oom => "oom",
        _ => "other",
    };

    public static TraceOp OpOf(string? op) => op switch
    {
        "alloc" => TraceOp.Alloc,
        "free_requested" => TraceOp.FreeRequested,
        "free_completed" or "free" => TraceOp.FreeCompleted,
        "segment_alloc" => TraceOp.SegmentAlloc,
        "segment_free" => TraceOp.SegmentFree,
        "segment_map" => TraceOp.SegmentMap,
        "segment_unmap" => TraceOp.SegmentUnmap,
        "oom" => TraceOp.Oom,
        _ => TraceOp.Other,
    };
}

/// <summary>
/// One torch-caching pool as the what-if replay needs it: its events in the order the allocator recorded them
/// (seq, the file order), the snapshot's final segments, and the allocator settings the snapshot recorded.
/// </summary>
public sealed class AllocatorTrace
{
    public required PoolKey Key { get; init; }
    public required TraceEvent[] Events { get; init; }
    public required IReadOnlyList<SegmentState> FinalSegments { get; init; }
    public required AllocatorConfig Recorded { get; init; }
    /// <summary>False when the snapshot carried no allocator_settings (PyTorch before 2.1): PyTorch's defaults are assumed.</summary>
    public bool SettingsRecorded { get; init; }

    public int Requests => Events.Count(e => e.Op is TraceOp.Alloc or TraceOp.Oom);

    // Computed once and shared by the replays that run in parallel: each is set by one reference write (a boxed
    // long, a delegate), so a racing replay computes the same value again and never reads half of one.
    private object? _highestAddress;
    private Func<long, string>? _poolIdOf;

    /// <summary>The end of the highest range the trace names (final segments, every event but an oom): every replay of the what-if's bisection needs it.</summary>
    public long HighestAddress => (long)(_highestAddress ??= Highest());

    /// <summary>One pass over the events (a LINQ Concat and Max took 60–70 ms on magma27 ×100's 516,300); 0 when nothing is named.</summary>
    private long Highest()
    {
        var (max, named) = (long.MinValue, false);
        foreach (var s in FinalSegments) (max, named) = (Math.Max(max, s.Address + s.Size), true);
        foreach (ref readonly var e in Events.AsSpan())
        {
            if (e.Op != TraceOp.Oom) (max, named) = (Math.Max(max, e.Address + e.Size), true);
        }
        return named ? max : 0;
    }

    /// <summary>
    /// Which private pool each recorded allocation address belongs to: the segment_pool_id of the final segment
    /// holding it. The trace entries do not name the pool; an address in no final segment counts as the default pool.
    /// </summary>
    public Func<long, string> PoolIdOf() => _poolIdOf ??= BuildPoolIdOf();

    private Func<long, string> BuildPoolIdOf()
    {
        var privates = FinalSegments.Where(s => s.PoolId != CachingAllocatorModel.DefaultPoolId).OrderBy(s => s.Address).ToArray();
        if (privates.Length == 0) return _ => CachingAllocatorModel.DefaultPoolId;
        var starts = privates.Select(s => s.Address).ToArray();
        return addr =>
        {
            var i = Array.BinarySearch(starts, addr);
            if (i < 0) i = ~i - 1;
            return i >= 0 && addr < privates[i].Address + privates[i].Size ? privates[i].PoolId : CachingAllocatorModel.DefaultPoolId;
        };
    }

    /// <summary>
    /// Whether the run of recorded segment_free/segment_unmap events ending at <paramref name="i"/> was a release
    /// the program asked for (torch.cuda.empty_cache) rather than one a request caused. A release under pressure
    /// happens inside a malloc whose cudaMalloc failed, so it is followed by that malloc's segment_alloc or
    /// segment_map (the retry succeeded) or by its oom; a run followed by an alloc, or by anything else, was the
    /// program's. Before an oom both are possible, and <paramref name="cacheServes"/> decides: a request the
    /// cache could serve never reaches the release, so such a run came first, from the program.
    /// </summary>
    public bool EndsExternalRelease(int i, Func<TraceEvent, bool> cacheServes)
    {
        if (Events[i].Op is not (TraceOp.SegmentFree or TraceOp.SegmentUnmap)) return false;
        if (i + 1 >= Events.Length) return true;
        var next = Events[i + 1];
        return next.Op switch
        {
            TraceOp.SegmentFree or TraceOp.SegmentUnmap => false,
            TraceOp.SegmentAlloc or TraceOp.SegmentMap => false,
            TraceOp.Oom => cacheServes(next),
            _ => true,
        };
    }
}
