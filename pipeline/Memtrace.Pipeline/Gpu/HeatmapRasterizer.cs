using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Stats;

namespace Memtrace.Pipeline.Gpu;

/// <summary>
/// Fills every heatmap cell's allocated bytes from the rasteriser (ILGPU on CUDA when present) over
/// the pool's live intervals, classes the cell from them, and checks them against the live bytes the
/// replay's state walk counted at the same instant: two independent paths over exact integers, so
/// a difference is a bug and raises heatmap_raster_mismatch.
/// </summary>
public static class HeatmapRasterizer
{
    public sealed record Outcome(string Device, long Intervals, long Cells, double Seconds, long Mismatches);

    public static Outcome Apply(IReadOnlyList<PoolResult> pools, AcceleratorChoice choice)
    {
        using var engine = HeatmapRasterEngine.Create(choice);
        long intervals = 0, cellsDone = 0, mismatches = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        foreach (var pool in pools)
        {
            if (pool.LiveIntervals is not { } live) continue;
            intervals += live.Count;
            foreach (var (_, grid, first) in pool.HeatmapGrids)
            {
                var liveBytes = engine.Run(live, grid);
                cellsDone += liveBytes.Length;
                for (var c = 0; c < liveBytes.Length; c++)
                {
                    var cell = pool.Heatmap[first + c];
                    double binBytes = Math.Max(1, cell.OffsetEnd - cell.OffsetStart);
                    pool.Heatmap[first + c] = cell with
                    {
                        AllocatedFraction = liveBytes[c] / binBytes,
                        State = HeatmapSampler.Classify(binBytes, cell.MappedBytes, liveBytes[c], cell.FreeBytes, cell.FragmentedBytes),
                    };
                    if (liveBytes[c] == cell.SampledLiveBytes) continue;
                    mismatches++;
                    pool.Record(StatsCatalog.HeatmapRasterMismatch, -1, cell.TsNs, cell.AddressStart, null,
                        $"heatmap level {cell.Level} cell ({cell.TimeBin}, {cell.AddrBin}): rasterised {liveBytes[c]} live bytes, replay walk {cell.SampledLiveBytes}");
                }
            }
        }
        return new Outcome(engine.Device, intervals, cellsDone, clock.Elapsed.TotalSeconds, mismatches);
    }
}
