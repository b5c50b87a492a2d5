using System.Runtime.InteropServices;
using Memtrace.Pipeline.Collections;
using Memtrace.Schemas.Stats;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// Replays one pool's events over its address space and measures the free space after every event.
/// A torch snapshot's trace is a ring buffer, so the state at the first event is rebuilt backwards
/// from the final segments (as memory_viz's "Allocator State History" does); the forward replay must
/// then land exactly on the snapshot, which is checked.
/// </summary>
public static class PoolReplay
{
    /// <summary>No OOM request pending: a plain sentinel, not a long?, since it is read and reset on every event.</summary>
    private const long NoOom = long.MinValue;

    public static PoolResult Run(PoolInput input, FragmentationOptions options)
    {
        var result = new PoolResult { Key = input.Key };
        var events = input.Events;
        var scan = PoolScan.Of(events, input.Snapshot.Length > 0 ? ExtentUse.None : input.Level == PoolLevel.Driver ? ExtentUse.Always : ExtentUse.WithoutSegments);
        (result.RequestP50, result.RequestP99) = (scan.RequestP50, scan.RequestP99);
        var refs = new List<long> { result.RequestP50, result.RequestP99 };
        if (options.RequestSize is { } user and > 0) refs.Add(user);
        var space = new AddressSpace(refs.ToArray(), orderedFree: input.Level == PoolLevel.Driver);
        var at = new Cursor();
        space.Anomaly = (stat, addr, size, msg) => result.Record(stat, at.Seq, at.Ts, addr, size == 0 ? null : size, msg);

        var everySegment = BuildInitialState(input, scan, options, space, (e, msg) =>
        {
            at.MoveTo(e);
            space.Anomaly(StatsCatalog.ReplayLiveAtStart, e.Address, e.Size, msg);
        });
        everySegment.AddRange(scan.SegmentAllocs);
        space.Free.DropStartsUnlessOrdered();

        var t0 = events.Length > 0 ? events[0].TsNs : 0;
        var t1 = events.Length > 0 ? events[^1].TsNs : 0;
        var timeline = NewTimeline(result, space, options, options.ResolutionNs ?? AutoResolution(events.Length, t1 - t0, options.MaxTimelineRows), t0);
        var heatmaps = Enumerable.Range(0, Math.Max(1, options.HeatmapLevels)).Select(level =>
        {
            var scale = (int)Math.Pow(Math.Max(1, options.HeatmapZoom), level);
            return new HeatmapSampler(everySegment, t0, t1, options.HeatmapTimeBins * scale, options.HeatmapAddressBins * scale, result.RequestP50, level);
        }).ToArray();
        if (options.HeatmapDerived != false)
        {
            for (var level = heatmaps.Length - 2; level >= 0; level--) heatmaps[level + 1].TryFeed(heatmaps[level]);
        }
        var lifetimes = TrackLifetimes(space, heatmaps);

        var peak = ReplayEvents(input, options, result, space, timeline, heatmaps, lifetimes, at);

        timeline.Flush();
        foreach (var h in Enumerable.Reverse(heatmaps)) h.Finish(space); // the finest first: it emits the derived levels' last bins too
        result.Heatmap.EnsureCapacity(heatmaps.Sum(h => h.Cells.Count));
        foreach (var h in heatmaps)
        {
            result.HeatmapGrids.Add((h.Level, h.Grid, result.Heatmap.Count));
            result.Heatmap.AddRange(h.Cells);
        }
        result.LiveIntervals = lifetimes?.Finish();
        result.EventsReplayed = events.Length;
        if (peak.Counts.Length > 0) AddHistogram(result, "peak_reserved", peak.Seq, peak.Ts, peak.Counts, peak.Bytes);
        var endSeq = events.Length > 0 ? events[^1].Seq : 0;
        AddHistogram(result, "end", endSeq, t1, space.Free.HistCount, space.Free.HistBytes);
        if (result.Ooms.Count == 0) result.Blame.AddRange(Blame.Rank(space, Math.Max(1, result.RequestP50), "end", t1, options.BlameTop));

        result.FinalFree.AddRange(ByStart(space.Free.Blocks().Select(b => (b.Start, b.End))));
        result.FinalLive.AddRange(ByStart(space.LiveBlocks().Select(b => (b.Start, b.Block.Size))));
        if (input.Snapshot.Length > 0) CheckFinalState(input, result);
        return result;
    }

    /// <summary>The event being replayed, for anomalies the address space reports from inside an operation.</summary>
    private sealed class Cursor
    {
        public long Seq = -1;
        public long Ts;

        public void MoveTo(in PoolEvent e) => (Seq, Ts) = (e.Seq, e.TsNs);
    }

    /// <summary>The free-block histogram at the largest reservation; no counts for a pool without events.</summary>
    private readonly record struct Peak(long Seq, long Ts, long[] Counts, long[] Bytes);

    /// <summary>
    /// The timeline, one row per time bucket. At each row the free sizes are copied for the cross-check while they fit
    /// its budget: a copy is O(n), bounded over the whole run by MaxCapturedBlocks.
    /// </summary>
    private static TimelineAccumulator NewTimeline(PoolResult result, AddressSpace space, FragmentationOptions options, long bucket, long t0)
    {
        var sizeBuffer = new long[256];
        return new TimelineAccumulator(bucket, t0, result.Timeline, (seq, ts, n) =>
        {
            var copied = -1;
            if (result.CapturedSizes.Count + space.Free.Count <= options.MaxCapturedBlocks && result.CapturedEnds.Count == result.Timeline.Count)
            {
                copied = space.Free.CopySizes(ref sizeBuffer); // may grow the buffer: take the span after
                result.CapturedSizes.Append(sizeBuffer.AsSpan(0, copied));
                result.CapturedEnds.Add(result.CapturedSizes.Count);
            }
            return Snapshot(space, space.Free.SeedEntropy(ref sizeBuffer, copied), seq, ts, n, options.RequestSize is > 0);
        });
    }

    /// <summary>Live blocks as (offset × time) rectangles for the heatmap rasteriser; blocks live before the trace start at long.MinValue.</summary>
    private static LiveIntervalRecorder? TrackLifetimes(AddressSpace space, HeatmapSampler[] heatmaps)
    {
        if (!heatmaps.Any(h => h.Grid.TimeBins > 0)) return null;
        var lifetimes = new LiveIntervalRecorder(heatmaps[0].OffsetOf, heatmaps.SelectMany(h => h.Grid.Instants).Distinct().ToArray());
        foreach (var (start, block) in space.LiveBlocks()) lifetimes.Opened(start, block.Size);
        space.Lifetimes = lifetimes;
        return lifetimes;
    }

    /// <summary>The forward replay: every event applied to the address space, the timeline and heatmaps fed as it goes.</summary>
    private static Peak ReplayEvents(PoolInput input, FragmentationOptions options, PoolResult result, AddressSpace space, TimelineAccumulator timeline,
        HeatmapSampler[] heatmaps, LiveIntervalRecorder? lifetimes, Cursor at)
    {
        var sampled = heatmaps.Where(h => h.Grid.TimeBins > 0 && !h.Derived).ToArray();
        var eventsAtLastCapture = 0;
        long peakReserved = -1;
        var peak = new Peak(0, 0, [], []);
        var lastOomRequest = NoOom;
        // The heatmaps need a look only when an event passes the earliest bin edge still open.
        var heatmapDue = heatmaps.Min(h => h.NextEdge);
        var index = 0;
        foreach (ref readonly var e in input.Events.AsSpan())
        {
            at.MoveTo(e);
            if (e.TsNs > heatmapDue)
            {
                KeepHeatmapsPerChange(space, sampled, index - eventsAtLastCapture, options.HeatmapPerChange);
                eventsAtLastCapture = index;
                foreach (var h in heatmaps) h.Before(e.TsNs, space);
                heatmapDue = heatmaps.Min(h => h.NextEdge);
            }
            index++;
            if (lifetimes is not null) lifetimes.Now = e.TsNs;
            timeline.Begin(e.Seq, e.TsNs);
            // The two ops of nearly every event first, each in a few instructions; the rest out of line.
            if (e.Op == AllocOp.Free)
            {
                space.FreeBlock(e.Address);
                lastOomRequest = NoOom;
            }
            else if (e.Op == AllocOp.Alloc && !e.Failed)
            {
                if (lastOomRequest != NoOom) CheckAfterOom(space, e, lastOomRequest);
                lastOomRequest = NoOom;
                space.Allocate(e.Address, BlockSizeFor(input, space, in e), e.StackIdOrMin);
            }
            else lastOomRequest = ApplyRare(input, options, result, space, in e, lastOomRequest);
            timeline.After(e.Seq, e.TsNs, space.Free.FreeBytes, space.Free.Largest, space.Reserved, space.Allocated);
            if (space.Reserved > peakReserved)
            {
                peakReserved = space.Reserved;
                peak = new Peak(e.Seq, e.TsNs, (long[])space.Free.HistCount.Clone(), (long[])space.Free.HistBytes.Clone());
            }
        }
        return peak;
    }

    /// <summary>
    /// An OOM (a failed allocation or an oom event), or a segment's allocation or release. Returns the OOM's request,
    /// kept until the next event so an allocation right after it can be checked against it; no OOM clears it.
    /// </summary>
    private static long ApplyRare(PoolInput input, FragmentationOptions options, PoolResult result, AddressSpace space, in PoolEvent e, long lastOomRequest)
    {
        switch (e.Op)
        {
            case AllocOp.Alloc: // failed: the successful ones took the branch above
            case AllocOp.Oom:
                var origin = e.Op == AllocOp.Oom ? "oom event" : "failed allocation";
                result.Ooms.Add(Diagnose(space, e, origin));
                AddHistogram(result, $"oom#{e.Seq}", e.Seq, e.TsNs, space.Free.HistCount, space.Free.HistBytes);
                // Blame is ranked at the first OOM only: what broke the space then is what the user must change.
                if (result.Ooms.Count == 1) result.Blame.AddRange(Blame.Rank(space, Math.Max(1, e.Size), $"oom#{e.Seq}", e.TsNs, options.BlameTop));
                return e.Size;
            case AllocOp.SegmentAlloc:
                space.AddSegment(e.Address, e.Size, input.TorchRules && TorchRules.IsSmallSegment(e.Size));
                return NoOom;
            case AllocOp.SegmentFree:
                space.RemoveSegment(e.Address);
                return lastOomRequest;
            default:
                return lastOomRequest;
        }
    }

    /// <summary>
    /// Switches the heatmaps from a walk per capture to sums kept per change once a walk (every segment, free and live
    /// block) costs more than the changes since the last capture would (about three a event). Both give the same cells.
    /// </summary>
    private static void KeepHeatmapsPerChange(AddressSpace space, HeatmapSampler[] sampled, int eventsSinceLastCapture, bool? forced)
    {
        if (sampled.Length == 0 || sampled[0].Incremental || forced == false) return;
        var walk = space.SegmentCount + space.Free.Count + space.LiveCount;
        if (forced != true && walk <= 3L * eventsSinceLastCapture) return;
        foreach (var h in sampled) h.Attach(space);
        space.Observer = sampled.Length == 1 ? sampled[0] : new SpaceObservers(sampled);
    }

    private static void CheckAfterOom(AddressSpace space, in PoolEvent e, long oomRequest)
    {
        if (e.Size >= oomRequest)
            space.Anomaly?.Invoke(StatsCatalog.ReplayAllocAfterOom, e.Address, e.Size, $"allocation of {e.Size} bytes succeeded right after an OOM for {oomRequest} bytes");
    }

    private static long AutoResolution(int events, long span, int maxRows) =>
        events <= maxRows || span <= 0 ? 0 : Math.Max(1, (span + maxRows - 1) / maxRows);

    /// <summary>The block an allocation occupies: the source's block size when it gave one (inlined: nearly every event), else derived.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private static long BlockSizeFor(PoolInput input, AddressSpace space, in PoolEvent e)
    {
        var known = e.BlockSizeOrMin;
        return known != long.MinValue ? known : DerivedBlockSize(input, space, in e);
    }

    private static long DerivedBlockSize(PoolInput input, AddressSpace space, in PoolEvent e)
    {
        if (!input.TorchRules) return Math.Max(1, e.Size);
        var rounded = TorchRules.RoundSize(e.Size);
        if (space.Free.TryFindContaining(e.Address, rounded, out _, out var end, out var segId))
        {
            var seg = space.SegmentById(segId);
            var remaining = end - (e.Address + rounded);
            if (!TorchRules.ShouldSplit(remaining, seg?.SmallPool ?? false)) return end - e.Address;
        }
        return rounded;
    }

    /// <summary>
    /// Sets the state as of just before the first event. With a snapshot, it walks the trace backwards
    /// from the final blocks: an alloc un-happens (its block was free before), a completed free
    /// un-happens (its block was live before), segments likewise. Without one (driver pools, RMM),
    /// the pool is one range: the observed extent or --device-memory.
    /// </summary>
    private static List<(long Start, long Size)> BuildInitialState(PoolInput input, PoolScan scan, FragmentationOptions options, AddressSpace space, Action<PoolEvent, string>? reconstructed)
    {
        var segments = new List<(long Start, long Size)>();
        if (input.Snapshot.Length == 0)
        {
            var (lo, hi) = (scan.ExtentLo, scan.ExtentHi);
            if (lo == long.MaxValue) return segments;
            if (options.DeviceMemory is { } cap && input.Level == PoolLevel.Driver) hi = lo + cap;
            if (input.Level == PoolLevel.Driver || scan.SegmentAllocs.Count == 0)
            {
                space.AddSegment(lo, hi - lo, smallPool: false);
                segments.Add((lo, hi - lo));
            }
            return segments;
        }

        var segs = new Dictionary<long, (long Size, bool Small)>();
        // Address → where the block live at the first event comes from: snapshot block k as k, or the free at event i
        // (whose allocation lies before the trace) as -(i + 1). Open addressing over longs, not Dictionary: the backward
        // walk touches it once an event (magma27 ×100: 36 ms with Dictionary<long, tuple>).
        var live = new LongIntMap(input.Snapshot.Length + 16);
        for (var k = 0; k < input.Snapshot.Length; k++)
        {
            var b = input.Snapshot[k];
            segs[b.SegmentAddress] = (b.SegmentSize, b.SmallPool);
            if (b.Live) live.Set(b.Address, k);
        }
        var events = input.Events;
        for (var i = events.Length - 1; i >= 0; i--)
        {
            ref readonly var e = ref events[i];
            switch (e.Op)
            {
                case AllocOp.Alloc when !e.Failed: live.Remove(e.Address); break;
                case AllocOp.Free: live.Set(e.Address, -(i + 1)); break;
                case AllocOp.SegmentAlloc: segs.Remove(e.Address); break;
                case AllocOp.SegmentFree: segs[e.Address] = (e.Size, input.TorchRules && TorchRules.IsSmallSegment(e.Size)); break;
            }
        }
        var segStarts = segs.Keys.ToArray();
        Array.Sort(segStarts);
        foreach (var start in segStarts)
        {
            var (size, small) = segs[start];
            space.AddSegment(start, size, small);
            segments.Add((start, size));
        }
        // In address order, so each block is placed in the free block the previous one left (or its segment's first).
        var (addrs, froms) = live.ByKey();
        var seg = -1;
        var bornBefore = new List<(long Seq, int Index)>();
        for (var k = 0; k < addrs.Length; k++)
        {
            var addr = addrs[k];
            while (seg + 1 < segStarts.Length && segStarts[seg + 1] <= addr) seg++;
            var segStart = seg >= 0 ? segStarts[seg] : addr;
            if (froms[k] >= 0) space.PlaceInOrder(segStart, addr, input.Snapshot[froms[k]].Size, input.Snapshot[froms[k]].StackId);
            else
            {
                var i = -froms[k] - 1;
                ref readonly var freed = ref events[i];
                space.PlaceInOrder(segStart, addr, input.TorchRules ? TorchRules.RoundSize(freed.Size) : Math.Max(1, freed.Size), freed.StackId);
                bornBefore.Add((freed.Seq, i));
            }
        }
        bornBefore.Sort();
        foreach (var (_, i) in bornBefore)
        {
            var free = events[i];
            reconstructed?.Invoke(free, $"block of {free.Size} bytes freed at seq {free.Seq} was allocated before the trace window; rebuilt as live at the start");
        }
        return segments;
    }

    private static TimelineRow Snapshot(AddressSpace space, double entropySeed, long seq, long ts, long events, bool hasUser)
    {
        var fs = space.Free;
        long f = fs.FreeBytes, l = fs.Largest, n = fs.Count;
        var r = fs.ReferenceSizes;
        var s = fs.SuitableCounts;
        return new TimelineRow(
            seq, ts, events, space.Reserved, space.Allocated, f, l, n,
            FragMetrics.FragRate(f, l), FragMetrics.EffectiveContiguousRatio(f, l),
            entropySeed, FragMetrics.Entropy(fs.HistCount), FragMetrics.Entropy(fs.HistBytes),
            FragMetrics.UnusableIndex(f, s[0], r[0]), FragMetrics.ExtfragIndex(f, n, l, r[0]),
            FragMetrics.UnusableIndex(f, s[1], r[1]), FragMetrics.ExtfragIndex(f, n, l, r[1]),
            hasUser ? FragMetrics.UnusableIndex(f, s[2], r[2]) : null,
            0, 0, 0, 0);
    }

    private static OomRow Diagnose(AddressSpace space, PoolEvent e, string origin)
    {
        var fs = space.Free;
        long f = fs.FreeBytes, l = fs.Largest, n = fs.Count;
        var request = Math.Max(1, e.Size);
        var suitable = FragMetrics.SuitableCount(fs.BlockSizes(), request);
        return new OomRow(e.Seq, e.TsNs, origin, request, f, l, n, space.Reserved, space.Allocated, e.DeviceFree,
            FragMetrics.Verdict(request, f, l), Math.Max(0, request - l),
            FragMetrics.UnusableIndex(f, suitable, request), FragMetrics.ExtfragIndex(f, n, l, request));
    }

    private static void AddHistogram(PoolResult result, string instant, long seq, long ts, long[] counts, long[] bytes)
    {
        for (var k = 0; k < counts.Length; k++)
        {
            if (counts[k] != 0) result.Histograms.Add(new HistogramRow(instant, seq, ts, k, counts[k], bytes[k]));
        }
    }

    /// <summary>The replayed end state must equal the snapshot: same live blocks, and free space equal to its inactive blocks.</summary>
    private static void CheckFinalState(PoolInput input, PoolResult result)
    {
        var expectedLive = ByStart(input.Snapshot.Where(b => b.Live).Select(b => (b.Address, b.Size)));
        var expectedFree = ByStart(input.Snapshot.Where(b => !b.Live).Select(b => (b.Address, b.Address + b.Size)));
        if (expectedLive.AsSpan().SequenceEqual(CollectionsMarshal.AsSpan(result.FinalLive)) && expectedFree.AsSpan().SequenceEqual(CollectionsMarshal.AsSpan(result.FinalFree))) return;
        result.Record(StatsCatalog.ReplayFinalMismatch, -1, 0, null, null,
            $"replayed end state has {result.FinalLive.Count} live / {result.FinalFree.Count} free blocks; snapshot has {expectedLive.Length} / {expectedFree.Length}");
    }

    /// <summary>Blocks in start order (starts are distinct: one block a start).</summary>
    private static (long Start, long Other)[] ByStart(IEnumerable<(long Start, long Other)> blocks) => KeyOrder.Sorted(blocks.ToArray(), b => b.Start);
}
