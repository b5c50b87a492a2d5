using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Tables;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>The fragmentation tables of one run, plus the counters the replay raised.</summary>
public sealed class FragmentationOutput
{
    public required IReadOnlyList<PoolResult> Pools { get; init; }
    public required Table Timeline { get; init; }
    public required Table Histogram { get; init; }
    public required Table Ooms { get; init; }
    public required Table Blame { get; init; }
    public required Table Heatmap { get; init; }
    public required Table Anomalies { get; init; }
    public required Table StackFrames { get; init; }
    public Dictionary<string, long> Counts { get; } = new(StringComparer.Ordinal);
    /// <summary>How the batch cross-check ran (device, instants, blocks, seconds, mismatches).</summary>
    public Gpu.BatchCrossCheck.Outcome? Batch { get; init; }
    /// <summary>How the heatmap rasteriser ran (device, intervals, cells, seconds, mismatches).</summary>
    public Gpu.HeatmapRasterizer.Outcome? Raster { get; init; }
    public IEnumerable<Table> Tables => [Timeline, Histogram, Ooms, Blame, Heatmap, StackFrames, Anomalies];

    /// <summary>Every table empty (no pools: a host-only run; or before the pools' rows are appended).</summary>
    public static FragmentationOutput Empty(IReadOnlyList<PoolResult>? pools = null, Gpu.BatchCrossCheck.Outcome? batch = null, Gpu.HeatmapRasterizer.Outcome? raster = null) => new()
    {
        Pools = pools ?? [],
        Batch = batch,
        Raster = raster,
        Timeline = new Table(FragmentationTimeline.Def),
        Histogram = new Table(FreeBlockHistogram.Def),
        Ooms = new Table(OomDiagnoses.Def),
        Blame = new Table(FragmentationBlame.Def),
        Heatmap = new Table(Schemas.Results.Heatmap.Def),
        Anomalies = new Table(Schemas.Results.Anomalies.Def),
        StackFrames = new Table(StackFramesTable.Def),
    };
}

/// <summary>gpu_alloc_events + gpu_segments_snapshot → per-pool replay → the fragmentation result tables.</summary>
public static class FragmentationAnalyzer
{
    /// <remarks>
    /// Fully optimised from the first call (it runs once per process): tier-0 code keeps every local and
    /// argument alive to the end, and <paramref name="events"/> is the largest table of a run, dead once
    /// the per-pool inputs are built.
    /// </remarks>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static FragmentationOutput Run(Table events, Table snapshot, FragmentationOptions options, Run.StackFrames? stacks = null, Action<double>? progress = null)
    {
        var inputs = BuildInputs(events, snapshot);
        var results = new PoolResult[inputs.Count];
        var checks = new CrossChecks(options);
        var done = 0;
        Parallel.For(0, inputs.Count, i =>
        {
            var input = inputs[i];
            inputs[i] = null!; // its events are dead once replayed
            results[i] = PoolReplay.Run(input, options);
            checks.Add(results[i]);
            progress?.Invoke((double)Interlocked.Increment(ref done) / results.Length);
        });
        return Finish(results, checks, options, stacks);
    }

    /// <summary>
    /// The same analysis over a table streamed from the archive: pools are replayed one per core at a time, each
    /// decoded from its row groups when its turn comes (<see cref="PoolPlan"/>), so memory holds the pools being
    /// replayed, not the table. A source whose pages turn out damaged is refused to <paramref name="onRefused"/>
    /// and its pools are left out; the other sources' results are those of a run without it.
    /// </summary>
    public static FragmentationOutput Run(ArchiveTableReader events, Table snapshot, FragmentationOptions options, Run.StackFrames? stacks = null,
        Action<double>? progress = null, Action<string, string>? onRefused = null)
    {
        var failed = new System.Collections.Concurrent.ConcurrentDictionary<int, bool>();
        void Fail(int part, Exception e)
        {
            if (failed.TryAdd(part, true)) onRefused?.Invoke(events.Parts[part].SourceId, TraceArchive.Refusal(events.Parts[part].Path, e));
        }
        var plan = PoolPlan.Build(events, snapshot, Fail, p => progress?.Invoke(0.1 * p));
        var results = new PoolResult?[plan.Count];
        var checks = new CrossChecks(options);
        var done = 0;
        Parallel.For(0, plan.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            if (plan.Parts(i).Any(failed.ContainsKey)) return;
            PoolInput input;
            try
            {
                input = plan.Input(i);
            }
            catch (Exception e) when (TraceArchive.IsUnreadable(e))
            {
                foreach (var part in plan.Parts(i)) Fail(part, e);
                return;
            }
            results[i] = PoolReplay.Run(input, options);
            checks.Add(results[i]!);
            progress?.Invoke(0.1 + 0.9 * Interlocked.Increment(ref done) / results.Length);
        });
        // A refused source's events are gone, as when ReadTable refuses its file; its pools' snapshots (another
        // table) remain, and are replayed with no events, as the in-memory path does.
        for (var i = 0; i < plan.Count; i++)
        {
            if (!plan.Parts(i).Any(failed.ContainsKey)) continue;
            results[i] = plan.HasSnapshot(i) ? PoolReplay.Run(plan.SnapshotOnly(i), options) : null;
            if (results[i] is { } snapshotOnly) checks.Add(snapshotOnly);
        }
        return Finish(results.OfType<PoolResult>().ToArray(), checks, options, stacks);
    }

    /// <summary>Replayed pools → the batch cross-check, the heatmap raster and every result table.</summary>
    private static FragmentationOutput Finish(PoolResult[] results, CrossChecks checks, FragmentationOptions options, Run.StackFrames? stacks)
    {
        checks.Flush();
        var output = FragmentationOutput.Empty(results, checks.Batch, checks.Raster);
        foreach (var r in results)
        {
            ResultRows.Append(output, r, stacks is null ? _ => "" : stacks.TopFrame);
            foreach (var (k, v) in r.Counts) output.Counts[k] = output.Counts.GetValueOrDefault(k) + v;
            if (!options.KeepCrossCheckInputs) r.ReleaseHeatmapCells();
        }
        if (stacks is not null) ReferencedStacks(output, stacks);
        return output;
    }

    /// <summary>stack_frames: every stack blame or a heatmap cell points at, in stack_id order.</summary>
    private static void ReferencedStacks(FragmentationOutput output, Run.StackFrames stacks)
    {
        var ids = new SortedSet<long>();
        foreach (var col in new[] { output.Blame[FragmentationBlame.StackId], output.Heatmap[Heatmap.TopStackId] })
        {
            for (var i = 0; i < col.Count; i++)
                if (col.Get(i) is { } id) ids.Add(id);
        }
        var f = output.StackFrames;
        foreach (var id in ids)
        {
            var frames = stacks.Frames(id);
            if (frames.Count == 0) continue;
            f[StackFramesTable.StackId].Append(id);
            f[StackFramesTable.TopFrame].Append(stacks.TopFrame(id));
            f[StackFramesTable.Frames].Append(frames.ToArray());
            f.CommitRow();
        }
    }

    public static List<PoolInput> BuildInputs(Table events, Table snapshot)
    {
        var byPool = new Dictionary<PoolKey, List<PoolEvent>>();
        var src = events[Col.SourceId];
        var host = events[GpuAllocEvents.Host];
        var pid = events[GpuAllocEvents.Pid];
        var dev = events[GpuAllocEvents.Device];
        var pool = events[GpuAllocEvents.Pool];
        var read = new EventReader(events);
        for (var i = 0; i < events.RowCount; i++)
        {
            var key = new PoolKey(host[i] ?? "", pid[i], dev[i], pool[i] ?? "", src[i] ?? "");
            if (!byPool.TryGetValue(key, out var list)) byPool[key] = list = new List<PoolEvent>();
            list.Add(read.At(i));
        }
        var snaps = SnapshotsByPool(snapshot);
        return OrderedKeys(byPool.Keys.Union(snaps.Keys))
            .Select(key => NewInput(key, byPool.GetValueOrDefault(key)?.ToArray() ?? [], snaps))
            .ToList();
    }

    /// <summary>A pool's replay input: its events put in (ts, seq) order, its snapshot blocks, its allocator level.</summary>
    internal static PoolInput NewInput(PoolKey key, PoolEvent[] events, Dictionary<PoolKey, List<SnapshotBlock>> snapshots)
    {
        if (!InTimeOrder(events)) Array.Sort(events, (a, b) => a.TsNs != b.TsNs ? a.TsNs.CompareTo(b.TsNs) : a.Seq.CompareTo(b.Seq));
        var isTorch = key.Pool == "torch-caching";
        return new PoolInput
        {
            Key = key,
            Level = isTorch || key.Pool == "rmm" ? PoolLevel.Allocator : PoolLevel.Driver,
            Events = events,
            Snapshot = snapshots.GetValueOrDefault(key)?.ToArray() ?? [],
            TorchRules = isTorch,
        };
    }

    // The archive stores each source's events sorted by (host, pid, device, pool, ts, seq), so a pool's events
    // usually arrive in order: checking is one pass; sorting 10^7 sorted events through a comparer was seconds.
    private static bool InTimeOrder(PoolEvent[] events)
    {
        for (var i = 1; i < events.Length; i++)
        {
            ref readonly var a = ref events[i - 1];
            ref readonly var b = ref events[i];
            if (a.TsNs > b.TsNs || (a.TsNs == b.TsNs && a.Seq > b.Seq)) return false;
        }
        return true;
    }

    /// <summary>Pools in the result tables' key order (host, pid, device, pool, source_id), so their rows come out already sorted.</summary>
    internal static IEnumerable<PoolKey> OrderedKeys(IEnumerable<PoolKey> keys) =>
        keys.OrderBy(k => k.Host, StringComparer.Ordinal).ThenBy(k => k.Pid).ThenBy(k => k.Device)
            .ThenBy(k => k.Pool, StringComparer.Ordinal).ThenBy(k => k.SourceId, StringComparer.Ordinal);

    internal static Dictionary<PoolKey, List<SnapshotBlock>> SnapshotsByPool(Table snapshot)
    {
        var snaps = new Dictionary<PoolKey, List<SnapshotBlock>>();
        for (var i = 0; i < snapshot.RowCount; i++)
        {
            var key = new PoolKey(snapshot[GpuSegmentsSnapshot.Host][i] ?? "", snapshot[GpuSegmentsSnapshot.Pid][i], snapshot[GpuSegmentsSnapshot.Device][i], snapshot[GpuSegmentsSnapshot.Pool][i] ?? "", snapshot[Col.SourceId][i] ?? "");
            if (!snaps.TryGetValue(key, out var list)) snaps[key] = list = new List<SnapshotBlock>();
            list.Add(new SnapshotBlock(
                snapshot[GpuSegmentsSnapshot.SegmentAddress][i], snapshot[GpuSegmentsSnapshot.SegmentSize][i], snapshot[GpuSegmentsSnapshot.SegmentType][i] == "small",
                snapshot[GpuSegmentsSnapshot.BlockAddress][i], snapshot[GpuSegmentsSnapshot.BlockSize][i], snapshot[GpuSegmentsSnapshot.BlockState][i] != "inactive",
                snapshot[GpuSegmentsSnapshot.StackId].Get(i)));
        }
        return snaps;
    }

    /// <summary>gpu_alloc_events rows as replay events, the columns bound once.</summary>
    internal sealed class EventReader(Table events)
    {
        /// <summary>The columns a replay event needs (a streamed row group decodes only these and the pool key).</summary>
        public static readonly IReadOnlySet<string> Columns = ColumnKey.NameSet(
            GpuAllocEvents.Seq, GpuAllocEvents.TsNs, GpuAllocEvents.Op, GpuAllocEvents.Address, GpuAllocEvents.Size, GpuAllocEvents.BlockSize, GpuAllocEvents.StackId, GpuAllocEvents.DeviceFree, GpuAllocEvents.ReturnCode);

        private readonly Int64Column _seq = events[GpuAllocEvents.Seq], _ts = events[GpuAllocEvents.TsNs], _addr = events[GpuAllocEvents.Address], _size = events[GpuAllocEvents.Size],
            _block = events[GpuAllocEvents.BlockSize], _stack = events[GpuAllocEvents.StackId], _devFree = events[GpuAllocEvents.DeviceFree], _rc = events[GpuAllocEvents.ReturnCode];
        private readonly StringColumn _op = events[GpuAllocEvents.Op];
        /// <summary>The op of each dictionary code of the column, so a row costs an array load, not a string and a match.</summary>
        private readonly AllocOp[] _opByCode = OpsByCode(events[GpuAllocEvents.Op]);

        private static AllocOp[] OpsByCode(StringColumn op) => Enumerable.Range(0, op.DistinctCount + 1).Select(c => OpOf(op.ValueOfCode(c))).ToArray();

        public PoolEvent At(int i) => Event(_seq[i], _ts[i], _opByCode[_op.CodeAt(i)], _addr.Get(i), _size[i], _block.Get(i), _stack.Get(i), _devFree.Get(i), _rc.Get(i));

        /// <summary>A row's cells as a replay event: no address reads as 0, and a nonzero return code marks it failed.</summary>
        private static PoolEvent Event(long seq, long ts, AllocOp op, long? address, long size, long? block, long? stack, long? deviceFree, long? returnCode) =>
            new(seq, ts, op, address ?? 0, size, block, stack, deviceFree, returnCode is { } code && code != 0);

        /// <summary>
        /// Rows [start, start + dst.Length) into <paramref name="dst"/>, each column read as a span: a pool's events decoded
        /// row by row through nine columns' indexers were 35 ms of magma27 ×100's 516,300 (the fragmentation stage ~0.35 s).
        /// </summary>
        public void Fill(Span<PoolEvent> dst, int start)
        {
            var n = dst.Length;
            var (seq, ts, size) = (_seq.Stored(start, n).Values, _ts.Stored(start, n).Values, _size.Stored(start, n).Values);
            ReadOnlySpan<long> seqs = seq is { } a ? a.Span : new long[n], times = ts is { } b ? b.Span : new long[n], sizes = size is { } c ? c.Span : new long[n];
            var codes = _op.Codes.Slice(start, n);
            var addr = new Cells(_addr, start, n);
            var block = new Cells(_block, start, n);
            var stack = new Cells(_stack, start, n);
            var devFree = new Cells(_devFree, start, n);
            var rc = new Cells(_rc, start, n);
            for (var i = 0; i < dst.Length; i++)
                dst[i] = Event(seqs[i], times[i], _opByCode[codes[i]], addr[i], sizes[i], block[i], stack[i], devFree[i], rc[i]);
        }

        /// <summary>A nullable column's cells over a span of rows, as stored (no array is made for an all-null column).</summary>
        private readonly ref struct Cells
        {
            private readonly ReadOnlySpan<long> _values;
            private readonly ReadOnlySpan<bool> _valid;
            private readonly bool _allNull;

            public Cells(Int64Column column, int start, int n)
            {
                var (values, valid) = column.Stored(start, n);
                _allNull = values is null;
                _values = values is { } v ? v.Span : default;
                _valid = valid is { } ok ? ok.Span : default;
            }

            public long? this[int i] => _allNull || (!_valid.IsEmpty && !_valid[i]) ? null : _values[i];
        }
    }

    public static AllocOp OpOf(string? op) => op switch
    {
        "alloc" => AllocOp.Alloc,
        "free" or "free_completed" => AllocOp.Free,
        "free_requested" => AllocOp.FreeRequested,
        "segment_alloc" or "segment_map" => AllocOp.SegmentAlloc,
        "segment_free" or "segment_unmap" => AllocOp.SegmentFree,
        "oom" => AllocOp.Oom,
        _ => AllocOp.Other,
    };
}
