using Memtrace.Pipeline.Gpu;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>
/// Runs the batch cross-check and the heatmap raster over groups of replayed pools, a group as soon as its
/// captured free blocks reach <see cref="GroupBlocks"/>, then drops those pools' captured blocks and live
/// intervals. One batch for the whole run held every pool's captures until the last pool was replayed: with
/// 80 pools of 12.5 M events that was ~45 MB a pool, 3.5 GB by the end of the replay. Groups stay large enough
/// to keep a GPU busy (16 M blocks), and a pool's checks do not depend on its group: the tables are the same.
/// </summary>
internal sealed class CrossChecks(FragmentationOptions options)
{
    public const long GroupBlocks = 16L << 20;

    private readonly List<PoolResult> _pending = [];
    private long _pendingBlocks;

    public BatchCrossCheck.Outcome? Batch { get; private set; }
    public HeatmapRasterizer.Outcome? Raster { get; private set; }

    /// <summary>Thread-safe: replay workers add their pools as they finish.</summary>
    public void Add(PoolResult pool)
    {
        lock (_pending)
        {
            _pending.Add(pool);
            _pendingBlocks += pool.CapturedSizes.Count;
            if (_pendingBlocks >= GroupBlocks) FlushLocked();
        }
    }

    public void Flush()
    {
        lock (_pending) FlushLocked();
    }

    private void FlushLocked()
    {
        if (_pending.Count == 0 && Batch is not null) return;
        var batch = BatchCrossCheck.Run(_pending, options.Accelerator);
        var raster = HeatmapRasterizer.Apply(_pending, options.Accelerator);
        Batch = Batch is null ? batch : Batch with
        {
            Instants = Batch.Instants + batch.Instants, Blocks = Batch.Blocks + batch.Blocks,
            Seconds = Batch.Seconds + batch.Seconds, Mismatches = Batch.Mismatches + batch.Mismatches,
        };
        Raster = Raster is null ? raster : Raster with
        {
            Intervals = Raster.Intervals + raster.Intervals, Cells = Raster.Cells + raster.Cells,
            Seconds = Raster.Seconds + raster.Seconds, Mismatches = Raster.Mismatches + raster.Mismatches,
        };
        if (!options.KeepCrossCheckInputs) foreach (var p in _pending) p.ReleaseCapturedInputs();
        _pending.Clear();
        _pendingBlocks = 0;
    }
}
