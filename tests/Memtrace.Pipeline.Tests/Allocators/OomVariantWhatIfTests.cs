using Memtrace.Pipeline.Allocators;
using Memtrace.Schemas.Results;
using Xunit;

namespace Memtrace.Pipeline.Tests.Allocators;

public sealed class OomVariantWhatIfTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void The_recorded_settings_reproduce_the_OOM_and_each_configuration_gets_its_minimum_capacity()
    {
        var output = RealSnapshotModelCheckTests.WhatIf("bcrafton_oom_variant.pickle");
        var pool = Assert.Single(output.Pools);
        // Capacity: reserved after the empty_cache (96 − 32 segments: 4,238,344,192 − 985,661,440 bytes) + the 8 MiB free.
        Assert.Equal(4_238_344_192L - 985_661_440L + 8 * MiB, pool.Capacity);
        Assert.Equal("oom", pool.CapacityOrigin);
        var (config, start, recorded, min) = pool.Runs[0];
        Assert.Equal(WhatIfStart.Trace, start);
        Assert.Equal("recorded", config.Label);
        Assert.Equal(1, recorded.Ooms);
        Assert.Equal(14_963_200, recorded.FirstOomRequest);
        Assert.False(recorded.RecordedOomsServed);
        // The request's cudaMalloc is 16 MiB (rounded to 2 MiB) and the driver had 8 MiB: 8 MiB more avoids it.
        Assert.Equal(pool.Capacity + 8 * MiB, min);
        string[] labels = ["recorded", "expandable_segments", "max_split_size_mb:21", "max_split_size_mb:148", "roundup_power2_divisions:4", "roundup_power2_divisions:8"];
        Assert.Equal(labels.Concat(labels), pool.Runs.Select(r => r.Config.Label));
        Assert.Equal(Enumerable.Repeat(WhatIfStart.Trace, 6).Concat(Enumerable.Repeat(WhatIfStart.Empty, 6)), pool.Runs.Select(r => r.Start));
        foreach (var run in pool.Runs)
        {
            Assert.NotNull(run.MinCapacity);
            // Without an OOM at the trace's capacity, the smallest capacity found is at most that.
            Assert.Equal(run.Result.Ooms == 0, run.MinCapacity <= pool.Capacity);
        }
        // From an empty allocator expandable segments pack the same requests into less memory than the recorded settings.
        var empty = pool.Runs.Where(r => r.Start == WhatIfStart.Empty).ToDictionary(r => r.Config.Label);
        Assert.True(empty["expandable_segments"].MinCapacity < empty["recorded"].MinCapacity);
        Assert.Equal(pool.Runs.Count, output.WhatIf.RowCount);
        Assert.Equal(1, output.Check.RowCount);
        Assert.True(output.Check[AllocatorModelCheck.Verified][0]);
    }

    [Fact]
    public void The_minimum_capacity_is_replayed_on_both_sides()
    {
        var pool = Assert.Single(RealSnapshotModelCheckTests.WhatIf("bcrafton_oom_variant.pickle", new WhatIfOptions { Only = AllocatorConfig.Parse("expandable_segments:True") }).Pools);
        Assert.Equal(["recorded", "user", "recorded", "user"], pool.Runs.Select(r => r.Config.Label));
        var replay = Replays("bcrafton_oom_variant.pickle");
        foreach (var (config, start, _, min) in pool.Runs)
        {
            Assert.Equal(0, WhatIfReplay.Run(replay.Trace, replay.Initial, replay.External, config.Config, min, start: start).Ooms);
            // The step below is an OOM, or under the floor no device could go below (the bytes live at the first event).
            var floor = replay.Initial.Sum(s => s.Blocks.Where(b => b.Live).Sum(b => b.Size));
            Assert.True(min - 2 * MiB < floor || WhatIfReplay.Run(replay.Trace, replay.Initial, replay.External, config.Config, min - 2 * MiB, start: start).Ooms > 0);
        }
    }

    internal static (AllocatorTrace Trace, IReadOnlyList<SegmentState> Initial, bool[] External) Replays(string file)
    {
        var pool = Assert.Single(RealSnapshotModelCheckTests.WhatIf(file, new WhatIfOptions { MinimumCapacity = false, KeepTraces = true }).Pools);
        return (pool.Trace!, pool.Initial!.Segments, pool.Check!.ExternalReleases);
    }
}
