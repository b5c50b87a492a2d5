using Memtrace.Schemas.Stats;

namespace Memtrace.Pipeline.Allocators;

/// <summary>What the proof replay found: how many of the real allocator's recorded decisions the model reproduced.</summary>
public sealed record ModelCheckResult
{
    public long Allocations { get; init; }
    public long AddressMatches { get; init; }
    public long SegmentEvents { get; init; }
    public long SegmentMatches { get; init; }
    public long RecordedOoms { get; init; }
    public long OomMatches { get; init; }
    public long FinalSegments { get; init; }
    public long FinalSegmentMatches { get; init; }
    /// <summary>reserved + the driver's free bytes at the first recorded OOM: the device capacity the trace implies.</summary>
    public long? CapacityAtOom { get; init; }
    /// <summary>Per event, whether it ends a release the program asked for (torch.cuda.empty_cache), as the proof found: the what-if replays those.</summary>
    public required bool[] ExternalReleases { get; init; }
    public bool Verified => AddressMatches == Allocations && SegmentMatches == SegmentEvents && OomMatches == RecordedOoms && FinalSegmentMatches == FinalSegments;
    public required IReadOnlyList<(long Seq, StatDef Counter, string Excerpt, string Message)> Mismatches { get; init; }
    /// <summary>Mismatches per counter, all of them (the list keeps the first <see cref="ModelCheck.MaxListed"/>).</summary>
    public required IReadOnlyDictionary<StatDef, long> Counts { get; init; }
}

/// <summary>
/// The proof: replays the trace under the recorded settings with the real driver's answers taken from the
/// trace (<see cref="RecordedDriver"/>), and compares every decision with what the real allocator recorded: the
/// address of each allocation, each segment event, each OOM, and the final segments and blocks of the snapshot.
/// After a wrong address the model is put back in step (its block freed, the recorded one carved out), so one
/// miss does not hide or cause the rest.
/// </summary>
public static class ModelCheck
{
    public const int MaxListed = 100;

    public static ModelCheckResult Run(AllocatorTrace trace, IReadOnlyList<SegmentState> initial)
    {
        var driver = new RecordedDriver();
        var model = new CachingAllocatorModel(trace.Recorded, driver, 1L << 40);
        model.Load(initial);
        var mismatches = new List<(long, StatDef, string, string)>();
        var counts = new Dictionary<StatDef, long>();
        long currentSeq = -1;
        var excerpt = "end of trace";
        long segmentMismatches = 0;
        void Count(StatDef counter, string message)
        {
            counts[counter] = counts.GetValueOrDefault(counter) + 1;
            if (mismatches.Count < MaxListed) mismatches.Add((currentSeq, counter, excerpt, message));
        }
        void SegmentMiss(string message)
        {
            segmentMismatches++;
            Count(StatsCatalog.WhatIfSegmentMismatch, message);
        }
        driver.OnMismatch = (message, _) => SegmentMiss(message);
        var poolOf = trace.PoolIdOf();
        var external = new bool[trace.Events.Length];
        var blocks = new Dictionary<long, SimBlock>(model.Active);
        long allocations = 0, addressMatches = 0, segmentEvents = 0, recordedOoms = 0, oomMatches = 0;
        long? capacityAtOom = null;
        var events = trace.Events;
        for (var i = 0; i < events.Length; i++)
        {
            var e = events[i];
            currentSeq = e.Seq;
            excerpt = Describe(e);
            if (e.IsSegmentOp)
            {
                segmentEvents++;
                driver.Enqueue(e.ToSegmentOp());
                if (trace.EndsExternalRelease(i, next => model.CachedBlockFits(next.Size, next.Stream)))
                {
                    external[i] = true;
                    model.ReleaseCachedBlocks();
                    Leftovers(driver, model, SegmentMiss);
                }
                continue;
            }
            switch (e.Op)
            {
                case TraceOp.Alloc:
                {
                    allocations++;
                    var block = model.Malloc(e.Size, e.Stream, poolOf(e.Address));
                    Leftovers(driver, model, SegmentMiss);
                    if (block is not null && block.Ptr == e.Address)
                    {
                        addressMatches++;
                        blocks[e.Address] = block;
                        break;
                    }
                    Count(StatsCatalog.WhatIfAddressMismatch, block is null
                        ? $"alloc of {e.Size} bytes: the model ran out of memory; the allocator placed it at 0x{e.Address:x}"
                        : $"alloc of {e.Size} bytes: the model chose 0x{block.Ptr:x}; the allocator chose 0x{e.Address:x}");
                    if (block is not null) model.Free(block);
                    if (model.Carve(e.Address, e.Size, e.Stream, poolOf(e.Address)) is { } forced) blocks[e.Address] = forced;
                    else Count(StatsCatalog.WhatIfAddressMismatch, $"alloc at 0x{e.Address:x}: no free block of the model holds it; the replay goes on without it");
                    break;
                }
                case TraceOp.Oom:
                {
                    recordedOoms++;
                    var block = model.Malloc(e.Size, e.Stream);
                    Leftovers(driver, model, SegmentMiss);
                    if (block is null)
                    {
                        oomMatches++;
                        if (capacityAtOom is null && e.DeviceFree >= 0) capacityAtOom = model.Reserved + e.DeviceFree;
                    }
                    else
                    {
                        Count(StatsCatalog.WhatIfOomMismatch, $"oom of {e.Size} bytes: the model served it at 0x{block.Ptr:x} from its cache");
                        model.Free(block);
                    }
                    break;
                }
                case TraceOp.FreeRequested or TraceOp.FreeCompleted:
                    model.FreeRecorded(blocks, e);
                    break;
            }
        }
        Leftovers(driver, model, SegmentMiss);
        var (finalSegments, finalMatches) = CompareFinal(model.Snapshot(), trace.FinalSegments, m => Count(StatsCatalog.WhatIfFinalMismatch, m));
        return new ModelCheckResult
        {
            Allocations = allocations, AddressMatches = addressMatches, SegmentEvents = segmentEvents,
            SegmentMatches = Math.Max(0, segmentEvents - segmentMismatches), RecordedOoms = recordedOoms, OomMatches = oomMatches,
            FinalSegments = finalSegments, FinalSegmentMatches = finalMatches, CapacityAtOom = capacityAtOom, ExternalReleases = external, Mismatches = mismatches, Counts = counts,
        };
    }

    /// <summary>Recorded segment events the model did not issue; a segment the real allocator made is added to the model, free, to stay in step.</summary>
    private static void Leftovers(RecordedDriver driver, CachingAllocatorModel model, Action<string> miss)
    {
        while (driver.PendingCount > 0)
        {
            var op = driver.Dequeue();
            miss($"the trace records segment_{op.Kind.ToString().ToLowerInvariant()} of {op.Size} bytes at 0x{op.Ptr:x} (seq {op.Seq}), which the model did not issue");
            if (op.Kind == SegmentOpKind.Alloc && op.Size > 0 && !model.Overlaps(op.Ptr, op.Size))
                model.Load([new SegmentState(op.Ptr, op.Size, 0, op.Size == CachingAllocatorModel.SmallBuffer, CachingAllocatorModel.DefaultPoolId, false, [new BlockState(op.Ptr, op.Size, false, 0)])]);
        }
    }

    /// <summary>Segments of the snapshot (expandable ones excepted: their page layout is not rebuilt) against the model's, block by block.</summary>
    private static (long Segments, long Matches) CompareFinal(List<SegmentState> model, IReadOnlyList<SegmentState> recorded, Action<string> miss)
    {
        var byAddress = model.ToDictionary(s => s.Address);
        long segments = 0, matches = 0;
        foreach (var s in recorded.Where(s => !s.Expandable))
        {
            segments++;
            if (!byAddress.TryGetValue(s.Address, out var m))
            {
                miss($"final segment 0x{s.Address:x} ({s.Size} bytes) is not in the model");
                continue;
            }
            var same = m.Size == s.Size && m.Blocks.Count == s.Blocks.Count
                && m.Blocks.Zip(s.Blocks).All(p => p.First.Address == p.Second.Address && p.First.Size == p.Second.Size && p.First.Live == p.Second.Live);
            if (same) matches++;
            else miss($"final segment 0x{s.Address:x}: the model has {m.Blocks.Count} blocks ({string.Join(" ", m.Blocks.Take(6).Select(Describe))}), the snapshot {s.Blocks.Count} ({string.Join(" ", s.Blocks.Take(6).Select(Describe))})");
        }
        return (segments, matches);
    }

    /// <summary>The trace entry as the snapshot wrote it, e.g. "alloc addr=0x7f0000200000 size=25165824 stream=0".</summary>
    public static string Describe(TraceEvent e) => e.Op switch
    {
        TraceOp.Oom => $"oom size={e.Size} stream={e.Stream} device_free={e.DeviceFree}",
        _ => $"{TraceEvent.NameOf(e.Op)} addr=0x{e.Address:x} size={e.Size} stream={e.Stream}",
    };

    private static string Describe(BlockState b) => $"{(b.Live ? "live" : "free")}:{b.Size}@0x{b.Address:x}";
}
