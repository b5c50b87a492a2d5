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
        var done = 0;
        Parallel.For(0, inputs.Count, i =>
        {
            results[i] = PoolReplay.Run(inputs[i], options);
            progress?.Invoke((double)Interlocked.Increment(ref done) / inputs.Count);
        });
        var batch = Gpu.BatchCrossCheck.Run(results, options.Accelerator);
        var raster = Gpu.HeatmapRasterizer.Apply(results, options.Accelerator);
        var output = FragmentationOutput.Empty(results, batch, raster);
        foreach (var r in results)
        {
            ResultRows.Append(output, r, stacks is null ? _ => "" : stacks.TopFrame);
            foreach (var (k, v) in r.Counts) output.Counts[k] = output.Counts.GetValueOrDefault(k) + v;
        }
        if (stacks is not null) ReferencedStacks(output, stacks);
        return output;
    }

    /// <summary>stack_frames: every stack blame or a heatmap cell points at, in stack_id order.</summary>
    private static void ReferencedStacks(FragmentationOutput output, Run.StackFrames stacks)
    {
        var ids = new SortedSet<long>();
        foreach (var t in new[] { (output.Blame, "stack_id"), (output.Heatmap, "top_stack_id") })
        {
            var col = t.Item1.I64(t.Item2);
            for (var i = 0; i < t.Item1.RowCount; i++)
                if (col.Get(i) is { } id) ids.Add(id);
        }
        var f = output.StackFrames;
        foreach (var id in ids)
        {
            var frames = stacks.Frames(id);
            if (frames.Count == 0) continue;
            f.I64("stack_id").Append(id);
            f.Str("top_frame").Append(stacks.TopFrame(id));
            f.StrList("frames").Append(frames.ToArray());
            f.CommitRow();
        }
    }

    public static List<PoolInput> BuildInputs(Table events, Table snapshot)
    {
        var byPool = new Dictionary<PoolKey, List<PoolEvent>>();
        var src = events.Str("source_id");
        var host = events.Str("host");
        var pid = events.I64("pid");
        var dev = events.I64("device");
        var pool = events.Str("pool");
        var seq = events.I64("seq");
        var ts = events.I64("ts_ns");
        var op = events.Str("op");
        var addr = events.I64("address");
        var size = events.I64("size");
        var block = events.I64("block_size");
        var stack = events.I64("stack_id");
        var devFree = events.I64("device_free");
        var rc = events.I64("return_code");
        for (var i = 0; i < events.RowCount; i++)
        {
            var key = new PoolKey(host[i] ?? "", pid[i], dev[i], pool[i] ?? "", src[i] ?? "");
            if (!byPool.TryGetValue(key, out var list)) byPool[key] = list = new List<PoolEvent>();
            list.Add(new PoolEvent(seq[i], ts[i], OpOf(op[i]), addr.Get(i) ?? 0, size[i], block.Get(i), stack.Get(i), devFree.Get(i), rc.Get(i) is { } code && code != 0));
        }
        var snaps = new Dictionary<PoolKey, List<SnapshotBlock>>();
        for (var i = 0; i < snapshot.RowCount; i++)
        {
            var key = new PoolKey(snapshot.Str("host")[i] ?? "", snapshot.I64("pid")[i], snapshot.I64("device")[i], snapshot.Str("pool")[i] ?? "", snapshot.Str("source_id")[i] ?? "");
            if (!snaps.TryGetValue(key, out var list)) snaps[key] = list = new List<SnapshotBlock>();
            list.Add(new SnapshotBlock(
                snapshot.I64("segment_address")[i], snapshot.I64("segment_size")[i], snapshot.Str("segment_type")[i] == "small",
                snapshot.I64("block_address")[i], snapshot.I64("block_size")[i], snapshot.Str("block_state")[i] != "inactive",
                snapshot.I64("stack_id").Get(i)));
        }
        var inputs = new List<PoolInput>();
        // Pools in the result tables' key order (host, pid, device, pool, source_id), so their rows come
        // out already sorted and writing skips the sort.
        foreach (var key in byPool.Keys.Union(snaps.Keys).OrderBy(k => k.Host, StringComparer.Ordinal).ThenBy(k => k.Pid)
                     .ThenBy(k => k.Device).ThenBy(k => k.Pool, StringComparer.Ordinal).ThenBy(k => k.SourceId, StringComparer.Ordinal))
        {
            var evs = byPool.GetValueOrDefault(key)?.ToArray() ?? [];
            Array.Sort(evs, (a, b) => a.TsNs != b.TsNs ? a.TsNs.CompareTo(b.TsNs) : a.Seq.CompareTo(b.Seq));
            var isTorch = key.Pool == "torch-caching";
            inputs.Add(new PoolInput
            {
                Key = key,
                Level = isTorch || key.Pool == "rmm" ? PoolLevel.Allocator : PoolLevel.Driver,
                Events = evs,
                Snapshot = snaps.GetValueOrDefault(key)?.ToArray() ?? [],
                TorchRules = isTorch,
            });
        }
        return inputs;
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
