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
}
