namespace Memtrace.Pipeline.Allocators;

/// <summary>Where a what-if replay starts.</summary>
public enum WhatIfStart
{
    /// <summary>From the allocator's state at the trace's first event, as the recorded settings left it: the setting changed at that moment.</summary>
    Trace,
    /// <summary>From an empty allocator: the blocks live at the first event are requested first (in address order), then the trace: the setting in force from the process's start.</summary>
    Empty,
}

public static class WhatIfStarts
{
    /// <summary>The start column's values: "trace" and "empty".</summary>
    public static string Name(this WhatIfStart start) => start == WhatIfStart.Trace ? "trace" : "empty";
}

/// <summary>What one configuration did with the trace's requests.</summary>
public sealed record WhatIfResult
{
    public long Requests { get; init; }
    public int Ooms { get; init; }
    public long? FirstOomSeq { get; init; }
    public long? FirstOomTsNs { get; init; }
    public long? FirstOomRequest { get; init; }
    /// <summary>Whether the trace's own oom requests were served: null when the trace has none.</summary>
    public bool? RecordedOomsServed { get; init; }
    public long PeakReserved { get; init; }
    public long PeakAllocated { get; init; }
    public long EndFree { get; init; }
    public long EndLargestFree { get; init; }
    public long DeviceAllocations { get; init; }
    public long Retries { get; init; }
    /// <summary>Requests that went past the cache to the device (see <see cref="CachingAllocatorModel.CacheMisses"/>).</summary>
    public long CacheMisses { get; init; }

    /// <summary>
    /// The device's capacity never entered this replay: no OOM, every request served from the cache, and no garbage
    /// collection (whose threshold is a share of the capacity). The model consults the capacity nowhere else, so any
    /// capacity replays the same requests the same way, without an OOM.
    /// </summary>
    public bool CapacityUnused(AllocatorConfig config) => Ooms == 0 && CacheMisses == 0 && !CachingAllocatorModel.CollectsGarbage(config);
}

/// <summary>
/// Replays a trace's requests through the allocator model under one configuration and one device capacity,
/// from the state at the trace's first event. Each alloc is a request of its requested size on its stream;
/// free_requested and free_completed free what the request got; an oom entry is a request (of the rounded size
/// PyTorch records) that is kept if served. A request that fails is an OOM here; the program's later free of it
/// is ignored, so the replay goes on as if the program had caught the error. Segment events in the trace are
/// the recorded allocator's, not this configuration's, and are ignored, except a release the program asked
/// for (torch.cuda.empty_cache), which is replayed.
/// </summary>
public static class WhatIfReplay
{
    /// <param name="spare">Blocks earlier replays on this worker finished with: the model builds from them, and this replay's go there at its end.</param>
    public static WhatIfResult Run(AllocatorTrace trace, IReadOnlyList<SegmentState> initial, bool[] externalReleases, AllocatorConfig config, long? capacity,
        bool stopAtFirstOom = false, WhatIfStart start = WhatIfStart.Trace, SpareBlocks? spare = null)
    {
        var events = trace.Events;
        var prepared = StartState.Of(trace, initial);
        var driver = new CapacityDriver(capacity, prepared.FirstFreeAddress);
        var model = new CachingAllocatorModel(config, driver, capacity ?? 1L << 40, trackActive: false, spare);
        // The blocks handed to the program, by address: from the trace's start, those live at its first event.
        var blocks = new Dictionary<long, SimBlock>(prepared.LiveByAddress.Length);
        if (start == WhatIfStart.Trace)
        {
            model.Load(initial, handedOut: blocks);
            driver.Reserve(model.Reserved);
        }
        long deviceAllocations = 0;
        model.OnSegmentOp = op =>
        {
            if (op.Kind is SegmentOpKind.Alloc or SegmentOpKind.Map) deviceAllocations++;
        };
        var poolOf = trace.PoolIdOf();
        long requests = 0;
        var ooms = 0;
        long? firstSeq = null, firstTs = null, firstRequest = null;
        bool? recordedServed = null;
        if (start == WhatIfStart.Empty)
        {
            // The blocks live at the trace's first event were requested before it: request them first, in address
            // order (the order a fresh allocator hands out one segment's blocks), each on its segment's stream and pool.
            foreach (var (seg, b) in prepared.LiveByAddress)
            {
                requests++;
                var block = model.Malloc(Math.Max(1, b.RequestedSize), seg.Stream, seg.PoolId);
                if (block is not null) blocks[b.Address] = block;
                else
                {
                    ooms++;
                    if (firstSeq is null) (firstSeq, firstTs, firstRequest) = (-1, events.Length > 0 ? events[0].TsNs : 0, b.RequestedSize);
                    if (!stopAtFirstOom) continue;
                    model.Retire(blocks.Values);
                    return new WhatIfResult { Requests = requests, Ooms = ooms, FirstOomSeq = firstSeq, FirstOomTsNs = firstTs, FirstOomRequest = firstRequest };
                }
            }
        }
        for (var i = 0; i < events.Length; i++)
        {
            ref readonly var e = ref events[i];
            switch (e.Op)
            {
                case TraceOp.Alloc:
                case TraceOp.Oom:
                {
                    requests++;
                    var pool = e.Op == TraceOp.Oom ? CachingAllocatorModel.DefaultPoolId : poolOf(e.Address);
                    var block = model.Malloc(e.Size, e.Stream, pool);
                    // The recorded OOM counts as avoided only if nothing failed before it either.
                    if (e.Op == TraceOp.Oom) recordedServed = (recordedServed ?? true) && block is not null && ooms == 0;
                    if (block is null)
                    {
                        ooms++;
                        if (firstSeq is null) (firstSeq, firstTs, firstRequest) = (e.Seq, e.TsNs, e.Size);
                        if (e.Op == TraceOp.Alloc) blocks.Remove(e.Address);
                        if (stopAtFirstOom) i = events.Length;
                    }
                    else if (e.Op == TraceOp.Alloc) blocks[e.Address] = block;
                    break;
                }
                case TraceOp.FreeRequested or TraceOp.FreeCompleted:
                    model.FreeRecorded(blocks, e);
                    break;
                case TraceOp.SegmentFree or TraceOp.SegmentUnmap when externalReleases[i]:
                    model.ReleaseCachedBlocks();
                    break;
            }
        }
        var (free, largest, _) = model.FreeSpace();
        model.Retire(blocks.Values);
        return new WhatIfResult
        {
            Requests = requests, Ooms = ooms, FirstOomSeq = firstSeq, FirstOomTsNs = firstTs, FirstOomRequest = firstRequest,
            RecordedOomsServed = recordedServed, PeakReserved = model.PeakReserved, PeakAllocated = model.PeakAllocated,
            EndFree = free, EndLargestFree = largest, DeviceAllocations = deviceAllocations, Retries = model.Retries, CacheMisses = model.CacheMisses,
        };
    }

    /// <summary>New segments get addresses above everything the trace and the initial state name.</summary>
    public static long FirstFreeAddress(AllocatorTrace trace, IReadOnlyList<SegmentState> initial)
    {
        var max = trace.HighestAddress;
        foreach (var s in initial) max = Math.Max(max, s.Address + s.Size);
        return max + (2 << 20);
    }

    /// <summary>
    /// What every replay of one pool from one initial state starts from, worked out once: the blocks live at the first
    /// event in address order (the empty start requests them) and the first free address. The bisection replays the same
    /// pool ~15 times a configuration, and sorted the live blocks each time.
    /// </summary>
    private sealed class StartState
    {
        /// <summary>By trace, for the initial state it was worked out from (a caller may replay one trace from another).</summary>
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<AllocatorTrace, StartState> Cache = new();

        public required IReadOnlyList<SegmentState> Initial { get; init; }
        public required (SegmentState Segment, BlockState Block)[] LiveByAddress { get; init; }
        public required long FirstFreeAddress { get; init; }

        public static StartState Of(AllocatorTrace trace, IReadOnlyList<SegmentState> initial)
        {
            if (Cache.TryGetValue(trace, out var known) && ReferenceEquals(known.Initial, initial)) return known;
            var state = new StartState
            {
                Initial = initial,
                LiveByAddress = initial.SelectMany(s => s.Blocks.Where(b => b.Live).Select(b => (s, b))).OrderBy(x => x.b.Address).ToArray(),
                FirstFreeAddress = WhatIfReplay.FirstFreeAddress(trace, initial),
            };
            Cache.AddOrUpdate(trace, state);
            return state;
        }
    }

    /// <summary>
    /// The smallest capacity, in 2 MiB steps, at which the replay has no OOM: the step above a floor no device could go
    /// below when that has no OOM, else a bisection between the floor and the peak reserved of an unlimited device (at
    /// which the replay is the unlimited one, so OOM-free). The floor is the bytes of the blocks live at the first event: no device holds less. From
    /// the trace's start the segments held then count against the capacity (Used may start above it, and then
    /// every cudaMalloc fails until releases bring it under), so the answer reads as the capacity the trace needed
    /// from its OOM's point of view. The answer is replayed without an OOM, and the step below it
    /// either replayed with one or under the floor. A caching allocator's success is not monotone in capacity (a
    /// smaller device releases cache earlier and lays memory out differently), so a capacity further below may
    /// also work: the answer is exact at its step and an upper bound on the true minimum.
    /// </summary>
    /// <param name="replayed">A capacity already replayed (the trace's own) and whether it had an OOM: it narrows the bracket from the start.</param>
    public static long MinimumCapacity(AllocatorTrace trace, IReadOnlyList<SegmentState> initial, bool[] externalReleases, AllocatorConfig config, WhatIfResult unlimited,
        WhatIfStart start = WhatIfStart.Trace, (long Capacity, bool Oom)? replayed = null, SpareBlocks? spare = null)
    {
        const long step = 2 << 20;
        var hi = (unlimited.PeakReserved + step - 1) / step * step;
        var floor = initial.Sum(s => s.Blocks.Where(b => b.Live).Sum(b => b.Size));
        var lo = Math.Max(0, (floor + step - 1) / step * step - step);
        // A capacity on the step grid that was replayed already is a bound: below the answer if it had an OOM, at or above it if not.
        if (replayed is { } r && r.Capacity % step == 0 && r.Capacity > lo && r.Capacity < hi)
        {
            if (r.Oom) lo = r.Capacity;
            else hi = r.Capacity;
        }
        if (hi - lo <= step) return hi;
        // The least candidate first: where it has no OOM it is the answer, exact, without the bisection's ~20 replays (magma27
        // ×100 from the trace's state: its cache holds every copy's segments, and 131 GB of 1.35 TB serves). Where the
        // unlimited replay left the capacity unused, every capacity replays the same, so that one needs no replay either.
        if (unlimited.CapacityUnused(config) || Run(trace, initial, externalReleases, config, lo + step, stopAtFirstOom: true, start, spare).Ooms == 0) return lo + step;
        // Invariant: hi has no OOM; lo is below the answer (OOM, or below the live bytes).
        while (hi - lo > step)
        {
            var mid = (lo + (hi - lo) / 2) / step * step;
            if (mid <= lo) mid = lo + step;
            if (Run(trace, initial, externalReleases, config, mid, stopAtFirstOom: true, start, spare).Ooms == 0) hi = mid;
            else lo = mid;
        }
        return hi;
    }
}
