namespace Memtrace.Pipeline.Allocators;

/// <summary>
/// The allocator's state at the trace's first event, rebuilt backwards from the snapshot's final segments.
/// Segments: the final ones, less those the trace allocates, plus those it frees. Live blocks: the final live
/// ones, less those the trace allocates, plus those it frees (allocated before the ring buffer's window).
/// Everything else in a segment is free, one block per gap: the allocator merges free neighbours, so two free
/// blocks are never adjacent.
/// </summary>
public static class InitialState
{
    public sealed record Result(List<SegmentState> Segments, int LiveBlocks, int RebuiltBlocks, int Unplaced, int ExpandableHistory);

    /// <summary>The width a block of unknown size may hide: a large-pool block is split only when the remainder
    /// exceeds 1 MiB, so any large-pool block is over 1 MiB and a gap of 1 MiB or less after a rebuilt block's
    /// rounded size is the unsplit tail of that block; an oversize block (≥ max_split_size) keeps up to 20 MiB.</summary>
    public static long HiddenTail(long blockSize, AllocatorConfig config) =>
        blockSize >= config.MaxSplitSize ? CachingAllocatorModel.LargeBuffer - 1 : CachingAllocatorModel.SmallSize;

    public static Result Reconstruct(AllocatorTrace trace)
    {
        var config = trace.Recorded;
        var segments = new Dictionary<long, SegmentState>();
        var unplaced = 0;
        foreach (var s in trace.FinalSegments)
            if (!segments.TryAdd(s.Address, s)) unplaced += s.Blocks.Count(b => b.Live);
        // address → (size or -1 when only the request is known, requested size)
        var live = new Dictionary<long, (long Size, long Requested)>();
        foreach (var s in trace.FinalSegments)
            foreach (var b in s.Blocks)
                if (b.Live) live[b.Address] = (b.Size, b.RequestedSize);
        var expandableHistory = 0;
        var streams = new Dictionary<long, long>();
        for (var i = trace.Events.Length - 1; i >= 0; i--)
        {
            var e = trace.Events[i];
            switch (e.Op)
            {
                case TraceOp.Alloc:
                    live.Remove(e.Address);
                    streams[e.Address] = e.Stream;
                    break;
                case TraceOp.FreeCompleted:
                case TraceOp.FreeRequested:
                    live.TryAdd(e.Address, (-1, e.Size));
                    streams[e.Address] = e.Stream;
                    break;
                case TraceOp.SegmentAlloc:
                    segments.Remove(e.Address);
                    break;
                case TraceOp.SegmentFree:
                    segments[e.Address] = new SegmentState(e.Address, e.Size, e.Stream, e.Size == CachingAllocatorModel.SmallBuffer,
                        CachingAllocatorModel.DefaultPoolId, false, []);
                    break;
                case TraceOp.SegmentMap:
                case TraceOp.SegmentUnmap:
                    expandableHistory++;
                    break;
            }
        }

        // A segment overlapping the one before it cannot be (a damaged or hand-made snapshot): it is left out, with its live blocks.
        var kept = new List<SegmentState>();
        foreach (var s in segments.Values.OrderBy(s => s.Address))
        {
            if (s.Size <= 0 || (kept.Count > 0 && s.Address < kept[^1].Address + kept[^1].Size)) unplaced += Math.Max(1, s.Blocks.Count(b => b.Live));
            else kept.Add(s);
        }
        var ordered = kept.ToArray();
        var starts = ordered.Select(s => s.Address).ToArray();
        var perSegment = new List<(long Address, long Size, long Requested, bool Rebuilt)>[ordered.Length];
        for (var i = 0; i < ordered.Length; i++) perSegment[i] = [];
        var rebuilt = 0;
        foreach (var (addr, (size, requested)) in live)
        {
            var si = Array.BinarySearch(starts, addr);
            if (si < 0) si = ~si - 1;
            if (si < 0 || addr >= ordered[si].Address + ordered[si].Size)
            {
                unplaced++;
                continue;
            }
            var isRebuilt = size < 0;
            if (isRebuilt) rebuilt++;
            perSegment[si].Add((addr, isRebuilt ? CachingAllocatorModel.RoundSize(requested, config) : size, requested, isRebuilt));
        }

        var result = new List<SegmentState>(ordered.Length);
        var liveBlocks = 0;
        for (var si = 0; si < ordered.Length; si++)
        {
            var s = ordered[si];
            var blocks = perSegment[si];
            blocks.Sort((a, b) => a.Address.CompareTo(b.Address));
            var tiled = new List<BlockState>();
            var at = s.Address;
            var end = s.Address + s.Size;
            for (var k = 0; k < blocks.Count; k++)
            {
                var (addr, size, requested, isRebuilt) = blocks[k];
                if (addr < at)
                {
                    unplaced++;
                    continue;
                }
                var next = k + 1 < blocks.Count ? Math.Min(blocks[k + 1].Address, end) : end;
                if (isRebuilt && !s.Small && !s.Expandable && next - (addr + size) is > 0 and var gap && gap <= HiddenTail(size, config)) size += gap;
                if (addr + size > end)
                {
                    unplaced++;
                    continue;
                }
                if (addr > at) tiled.Add(new BlockState(at, addr - at, false, 0));
                tiled.Add(new BlockState(addr, size, true, requested));
                liveBlocks++;
                at = addr + size;
            }
            if (at < end) tiled.Add(new BlockState(at, end - at, false, 0));
            var stream = s.Stream;
            if (s.Blocks.Count == 0 && blocks.Count > 0 && streams.TryGetValue(blocks[0].Address, out var st)) stream = st;
            result.Add(s with { Stream = stream, Blocks = tiled });
        }
        return new Result(result, liveBlocks, rebuilt, unplaced, expandableHistory);
    }
}
