using Memtrace.Pipeline.Allocators;
using Xunit;

namespace Memtrace.Pipeline.Tests.Allocators;

/// <summary>
/// Replays that build from the blocks earlier replays finished with (one SpareBlocks across every configuration, start
/// and capacity, as a what-if worker passes it on) against the same replays each from new blocks: the same result, field
/// for field, on the bundled real snapshots.
/// </summary>
public sealed class SpareBlocksTests
{
    [Theory]
    [InlineData("magma27_memory_snapshot.pickle")]
    [InlineData("bcrafton_memory_snapshot.pickle")]
    [InlineData("bcrafton_oom_variant.pickle")]
    public void Replays_from_spare_blocks_equal_replays_from_new_ones(string file)
    {
        var (trace, initial, external) = OomVariantWhatIfTests.Replays(file);
        var spare = new SpareBlocks();
        var replays = 0;
        foreach (var config in WhatIfConfigs.Standard(trace.Recorded, trace.Events))
            foreach (var start in new[] { WhatIfStart.Trace, WhatIfStart.Empty })
            {
                var unlimited = WhatIfReplay.Run(trace, initial, external, config.Config, null, start: start);
                Assert.Equal(unlimited, WhatIfReplay.Run(trace, initial, external, config.Config, null, start: start, spare: spare));
                foreach (var share in new[] { 0.5, 0.8, 0.95, 1.0 })
                {
                    var capacity = (long)(unlimited.PeakReserved * share);
                    foreach (var stop in new[] { false, true })
                    {
                        Assert.Equal(WhatIfReplay.Run(trace, initial, external, config.Config, capacity, stop, start),
                            WhatIfReplay.Run(trace, initial, external, config.Config, capacity, stop, start, spare));
                        replays++;
                    }
                }
            }
        Assert.True(replays >= 16, $"{file}: {replays} replays");
    }

    /// <summary>
    /// A pending free that a release completes, then merged away by a later free, stays in the caller's map of handed-out
    /// blocks; retiring the replay through that stale entry must not give the segment's blocks twice (two new blocks would
    /// then be one object).
    /// </summary>
    [Fact]
    public void A_block_freed_by_a_release_and_merged_away_is_retired_once()
    {
        const long MiB = 1 << 20;
        var spare = new SpareBlocks();
        var model = new CachingAllocatorModel(AllocatorConfig.Default, new CapacityDriver(null, 1L << 34), 1L << 40, trackActive: false, spare);
        var (a, b, c, d, e) = (Take(model), Take(model), Take(model), Take(model), Take(model)); // one 20 MiB segment, split
        model.Free(b, completed: false);
        model.Free(a);
        model.Free(c);
        model.ReleaseCachedBlocks(); // completes b, which absorbs a and c
        model.Free(d); // d absorbs b
        model.Retire([b, e]); // b: the stale entry

        var next = new CachingAllocatorModel(AllocatorConfig.Default, new CapacityDriver(null, 1L << 35), 1L << 40, trackActive: true, spare);
        var blocks = Enumerable.Range(0, 24).Select(_ => Take(next)).ToList();
        Assert.Equal(blocks.Count, blocks.Distinct(ReferenceEqualityComparer.Instance).Count());
        var snapshot = next.Snapshot();
        Assert.Equal(24, snapshot.Sum(s => s.Blocks.Count(x => x.Live)));
        Assert.All(snapshot, s => Assert.Equal(s.Size, s.Blocks.Sum(x => x.Size)));

        static SimBlock Take(CachingAllocatorModel m) => m.Malloc(2 * MiB, 0) ?? throw new InvalidOperationException("no block");
    }
}
