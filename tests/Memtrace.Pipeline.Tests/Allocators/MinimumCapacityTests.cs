using Memtrace.Pipeline.Allocators;
using Xunit;

namespace Memtrace.Pipeline.Tests.Allocators;

/// <summary>
/// The minimum-capacity bisection takes its remaining steps without replaying once a replay shows the capacity unused
/// (no OOM, no request past the cache, no garbage collection). Against a bisection that replays every step, on the
/// bundled real snapshots, every standard configuration, from both starts: the same answer, and the shortcut taken.
/// </summary>
public sealed class MinimumCapacityTests
{
    private const long Step = 2 << 20;

    [Theory]
    [InlineData("magma27_memory_snapshot.pickle", true)]
    [InlineData("bcrafton_memory_snapshot.pickle", true)]
    [InlineData("bcrafton_oom_variant.pickle", false)] // its OOM needs a cudaMalloc at every capacity tried
    public void Equals_a_bisection_that_replays_every_step(string file, bool shortcut)
    {
        var (trace, initial, external) = OomVariantWhatIfTests.Replays(file);
        var unusedSeen = 0;
        foreach (var config in WhatIfConfigs.Standard(trace.Recorded, trace.Events))
            foreach (var start in new[] { WhatIfStart.Trace, WhatIfStart.Empty })
            {
                var unlimited = WhatIfReplay.Run(trace, initial, external, config.Config, null, start: start);
                var naive = Bisect(capacity => WhatIfReplay.Run(trace, initial, external, config.Config, capacity, stopAtFirstOom: true, start: start), initial, unlimited.PeakReserved, config.Config, ref unusedSeen);
                Assert.Equal(naive, WhatIfReplay.MinimumCapacity(trace, initial, external, config.Config, unlimited, start));
            }
        Assert.Equal(shortcut, unusedSeen > 0);
    }

    /// <summary>The bisection as documented: floor (the live bytes at the first event) to the unlimited peak reserved, every step replayed.</summary>
    private static long Bisect(Func<long, WhatIfResult> replay, IReadOnlyList<SegmentState> initial, long peakReserved, AllocatorConfig config, ref int unusedSeen)
    {
        var hi = (peakReserved + Step - 1) / Step * Step;
        var floor = initial.Sum(s => s.Blocks.Where(b => b.Live).Sum(b => b.Size));
        var lo = Math.Max(0, (floor + Step - 1) / Step * Step - Step);
        while (hi - lo > Step)
        {
            var mid = Math.Max((lo + (hi - lo) / 2) / Step * Step, lo + Step);
            var result = replay(mid);
            if (result.CapacityUnused(config)) unusedSeen++;
            if (result.Ooms == 0) hi = mid;
            else lo = mid;
        }
        return hi;
    }
}
