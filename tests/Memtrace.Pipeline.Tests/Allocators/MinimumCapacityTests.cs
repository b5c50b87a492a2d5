using Memtrace.Pipeline.Allocators;
using Xunit;

namespace Memtrace.Pipeline.Tests.Allocators;

/// <summary>
/// The minimum capacity tries the step above the floor first, without a replay where the unlimited replay left the
/// capacity unused (no OOM, no request past the cache, no garbage collection). Against the documented search replaying
/// every step, on the bundled real snapshots, every standard configuration, from both starts: the same answer.
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
        var unusedSeen = 0; // configurations whose unlimited replay never consulted the capacity
        foreach (var config in WhatIfConfigs.Standard(trace.Recorded, trace.Events))
            foreach (var start in new[] { WhatIfStart.Trace, WhatIfStart.Empty })
            {
                var unlimited = WhatIfReplay.Run(trace, initial, external, config.Config, null, start: start);
                if (unlimited.CapacityUnused(config.Config)) unusedSeen++;
                var naive = Search(capacity => WhatIfReplay.Run(trace, initial, external, config.Config, capacity, stopAtFirstOom: true, start: start), initial, unlimited.PeakReserved);
                Assert.Equal(naive, WhatIfReplay.MinimumCapacity(trace, initial, external, config.Config, unlimited, start));
            }
        Assert.True(!shortcut || unusedSeen > 0, $"{file}: no unlimited replay left the capacity unused");
    }

    /// <summary>The search as documented, every step replayed: the step above the floor (the live bytes at the first event) if it has
    /// no OOM, else a bisection from the floor to the unlimited peak reserved.</summary>
    private static long Search(Func<long, WhatIfResult> replay, IReadOnlyList<SegmentState> initial, long peakReserved)
    {
        var hi = (peakReserved + Step - 1) / Step * Step;
        var floor = initial.Sum(s => s.Blocks.Where(b => b.Live).Sum(b => b.Size));
        var lo = Math.Max(0, (floor + Step - 1) / Step * Step - Step);
        if (hi - lo > Step && replay(lo + Step).Ooms == 0) return lo + Step;
        while (hi - lo > Step)
        {
            var mid = Math.Max((lo + (hi - lo) / 2) / Step * Step, lo + Step);
            if (replay(mid).Ooms == 0) hi = mid;
            else lo = mid;
        }
        return hi;
    }
}
