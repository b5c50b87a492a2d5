using Memtrace.Pipeline.Fragmentation;
using Memtrace.Pipeline.Gpu;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class HeatmapRasterTests
{
    /// <summary>Random rectangles and a grid with repeated instants and empty address bins (equal bounds).</summary>
    private static (LiveIntervals, HeatmapGrid) RandomCase(int seed)
    {
        var rng = new Random(seed);
        const long space = 1 << 24;
        var instants = Enumerable.Range(0, 37).Select(_ => (long)rng.Next(0, 10_000)).Append(5_000).Append(5_000).Order().ToArray();
        var bounds = Enumerable.Range(0, 50).Select(_ => rng.NextInt64(1, space)).Append(0).Append(space).Append(space / 2).Append(space / 2).Order().ToArray();
        var live = new LiveIntervals();
        for (var i = 0; i < 2_000; i++)
        {
            var start = rng.NextInt64(space);
            var end = Math.Min(space, start + 1 + rng.NextInt64(rng.Next(4) == 0 ? space : 1 << 16));
            var since = rng.Next(5) == 0 ? long.MinValue : rng.Next(-100, 10_000);
            var until = rng.Next(5) == 0 ? long.MaxValue : since == long.MinValue ? rng.Next(0, 10_100) : since + rng.Next(0, 3_000);
            live.Add(start, end, since, until);
        }
        return (live, new HeatmapGrid(instants, bounds));
    }

    private static long[] Naive(LiveIntervals live, HeatmapGrid grid)
    {
        var cells = new long[grid.TimeBins * grid.AddressBins];
        for (var t = 0; t < grid.TimeBins; t++)
        for (var a = 0; a < grid.AddressBins; a++)
        for (var i = 0; i < live.Count; i++)
        {
            if (live.TStart[i] > grid.Instants[t] || live.TEnd[i] <= grid.Instants[t]) continue;
            var overlap = Math.Min(live.OffsetEnd[i], grid.Bounds[a + 1]) - Math.Max(live.OffsetStart[i], grid.Bounds[a]);
            if (overlap > 0) cells[t * grid.AddressBins + a] += overlap;
        }
        return cells;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Ilgpu_kernel_and_cpu_path_equal_a_naive_raster(int seed)
    {
        var (live, grid) = RandomCase(seed);
        using var cpu = HeatmapRasterEngine.Create(AcceleratorChoice.Cpu);
        using var ilgpu = HeatmapRasterEngine.Create(AcceleratorChoice.IlgpuCpu);
        Assert.Contains("CPU", ilgpu.Device);
        var expected = Naive(live, grid);
        Assert.True(expected.Count(c => c > 0) > 100, "the case must cover many cells");
        Assert.Equal(expected, cpu.Run(live, grid));
        Assert.Equal(expected, ilgpu.Run(live, grid));
        Assert.Equal(new long[grid.TimeBins * grid.AddressBins], cpu.Run(new LiveIntervals(), grid));
    }

    [Fact]
    public void Real_snapshot_heatmap_cells_equal_the_replay_walk_and_a_corrupted_cell_is_caught()
    {
        var (events, snap) = RealSnapshotReplayTests.Import("bcrafton_memory_snapshot.pickle");
        var output = FragmentationAnalyzer.Run(events, snap, new FragmentationOptions { Accelerator = AcceleratorChoice.IlgpuCpu, KeepCrossCheckInputs = true });
        var raster = output.Raster!;
        Assert.Contains("CPU", raster.Device);
        Assert.Equal(0, raster.Mismatches);
        var pool = output.Pools.Single();
        Assert.Equal(pool.Heatmap.Count, raster.Cells);
        Assert.True(raster.Intervals > 0);
        Assert.Contains(pool.Heatmap, c => c.AllocatedFraction > 0);
        // The allocated fraction shown is the rasteriser's; it equals the walk's bytes over the bin.
        Assert.All(pool.Heatmap, c => Assert.Equal(c.SampledLiveBytes / (double)Math.Max(1, c.OffsetEnd - c.OffsetStart), c.AllocatedFraction));

        var k = pool.Heatmap.FindIndex(c => c.SampledLiveBytes > 0);
        pool.Heatmap[k] = pool.Heatmap[k] with { SampledLiveBytes = pool.Heatmap[k].SampledLiveBytes + 512 };
        var again = HeatmapRasterizer.Apply(output.Pools, AcceleratorChoice.Cpu);
        Assert.Equal(1, again.Mismatches);
        Assert.Equal(1, pool.Counts[StatsCatalog.HeatmapRasterMismatch.Key]);
    }

    [Theory]
    [InlineData("bcrafton_memory_snapshot.pickle")]
    [InlineData("magma27_memory_snapshot.pickle")]
    public void Running_sums_at_the_last_bin_equal_a_walk_of_the_final_blocks(string snapshot)
    {
        // The sampler keeps per-bin sums told of each change; at the end they must equal binning the end state afresh.
        var (events, snap) = RealSnapshotReplayTests.Import(snapshot);
        var pool = FragmentationAnalyzer.Run(events, snap, new FragmentationOptions { Accelerator = AcceleratorChoice.Cpu, KeepCrossCheckInputs = true }).Pools.Single();
        Assert.Equal(0, pool.Counts.GetValueOrDefault(StatsCatalog.ReplayFinalMismatch.Key));
        Assert.Equal(2, pool.HeatmapGrids.Count);
        var segments = Enumerable.Range(0, snap.RowCount).Select(r => (Start: snap[GpuSegmentsSnapshot.SegmentAddress][r], Size: snap[GpuSegmentsSnapshot.SegmentSize][r])).Distinct().ToList();
        foreach (var (level, grid, first) in pool.HeatmapGrids)
        {
            var sampler = new HeatmapSampler(segments, 0, 1, grid.TimeBins, grid.AddressBins, pool.RequestP50, level);
            var bounds = grid.Bounds;
            long[] Walk(IEnumerable<(long Start, long Size)> blocks)
            {
                var bins = new long[grid.AddressBins];
                foreach (var (start, size) in blocks)
                {
                    var o = sampler.OffsetOf(start);
                    for (var b = 0; b < grid.AddressBins; b++) bins[b] += Math.Max(0, Math.Min(o + size, bounds[b + 1]) - Math.Max(o, bounds[b]));
                }
                return bins;
            }
            var free = pool.FinalFree.Select(f => (f.Start, f.End - f.Start)).ToList();
            var (expFree, expFrag, expLive) = (Walk(free), Walk(free.Where(f => f.Item2 < pool.RequestP50)), Walk(pool.FinalLive));
            var last = pool.Heatmap.Skip(first).Where(c => c.Level == level && c.TimeBin == grid.TimeBins - 1).OrderBy(c => c.AddrBin).ToList();
            Assert.Equal(grid.AddressBins, last.Count);
            Assert.Equal(expFree, last.Select(c => c.FreeBytes));
            Assert.Equal(expFrag, last.Select(c => c.FragmentedBytes));
            Assert.Equal(expLive, last.Select(c => c.SampledLiveBytes));
        }
    }

    [Theory]
    [InlineData("bcrafton_memory_snapshot.pickle")]
    [InlineData("magma27_memory_snapshot.pickle")]
    public void Walked_and_kept_per_change_heatmaps_are_the_same_cells(string snapshot)
    {
        var (events, snap) = RealSnapshotReplayTests.Import(snapshot);
        var walked = FragmentationAnalyzer.Run(events, snap, new FragmentationOptions { Accelerator = AcceleratorChoice.Cpu, HeatmapPerChange = false, KeepCrossCheckInputs = true }).Pools.Single().Heatmap;
        var kept = FragmentationAnalyzer.Run(events, snap, new FragmentationOptions { Accelerator = AcceleratorChoice.Cpu, HeatmapPerChange = true, KeepCrossCheckInputs = true }).Pools.Single().Heatmap;
        Assert.True(walked.Count > 1000);
        Assert.Equal(walked, kept);
    }

    /// <summary>A coarser level summed from the finer one is the level sampled on its own, cell for cell (stacks included), walked or kept per change, at zooms 2 and 4 and over three levels.</summary>
    [Theory]
    [InlineData("bcrafton_memory_snapshot.pickle", 2, 2)]
    [InlineData("magma27_memory_snapshot.pickle", 2, 2)]
    [InlineData("magma27_memory_snapshot.pickle", 3, 2)]
    [InlineData("bcrafton_memory_snapshot.pickle", 2, 4)]
    public void Derived_heatmap_levels_are_the_levels_sampled_on_their_own(string snapshot, int levels, int zoom)
    {
        var (events, snap) = RealSnapshotReplayTests.Import(snapshot);
        foreach (var perChange in new[] { false, true })
        {
            FragmentationOptions Options(bool derived) => new() { Accelerator = AcceleratorChoice.Cpu, HeatmapPerChange = perChange, HeatmapLevels = levels, HeatmapZoom = zoom, HeatmapDerived = derived, KeepCrossCheckInputs = true };
            var own = FragmentationAnalyzer.Run(events, snap, Options(false)).Pools.Single().Heatmap;
            var derived = FragmentationAnalyzer.Run(events, snap, Options(true)).Pools.Single().Heatmap;
            Assert.Equal(Enumerable.Range(0, levels), derived.Select(c => c.Level).Distinct().Order());
            Assert.Contains(derived, c => c.TopStackId is not null);
            Assert.Equal(own, derived);
        }
    }
}
