using Memtrace.Pipeline.Fragmentation;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class SyntheticPoolTests
{
    private static PoolEvent E(long seq, AllocOp op, long addr, long size, long? stack = null, bool failed = false) =>
        new(seq, seq * 1000, op, addr, size, null, stack, null, failed);

    /// <summary>
    /// A 1 MiB driver range: four 256 KiB allocations, then the 1st and 3rd are freed. F = 512 KiB in two 256 KiB holes,
    /// L = 256 KiB: a failed 384 KiB allocation is fragmentation, a failed 768 KiB one capacity.
    /// </summary>
    [Fact]
    public void Driver_pool_oom_verdicts_and_blame_by_hand()
    {
        const long K = 1024;
        var events = new[]
        {
            E(0, AllocOp.Alloc, 0, 256 * K, 11), E(1, AllocOp.Alloc, 256 * K, 256 * K, 22),
            E(2, AllocOp.Alloc, 512 * K, 256 * K, 33), E(3, AllocOp.Alloc, 768 * K, 256 * K, 44),
            E(4, AllocOp.Free, 0, 0), E(5, AllocOp.Free, 512 * K, 0),
            E(6, AllocOp.Alloc, 0, 384 * K, failed: true), E(7, AllocOp.Alloc, 0, 768 * K, failed: true),
        };
        var input = new PoolInput { Key = new PoolKey("", 1, 0, "driver", "s"), Level = PoolLevel.Driver, Events = events };
        var r = PoolReplay.Run(input, new FragmentationOptions());
        Assert.Equal(2, r.Ooms.Count);
        Assert.Equal(("fragmentation", 512 * K, 256 * K, 2L), (r.Ooms[0].Verdict, r.Ooms[0].F, r.Ooms[0].L, r.Ooms[0].N));
        Assert.Equal(128 * K, r.Ooms[0].ExtraContiguousNeeded);
        Assert.Equal(1.0, r.Ooms[0].UnusableAtRequest); // no 256 KiB hole holds 384 KiB
        Assert.Equal(1 - (1 + 512.0 / 384) / 2, r.Ooms[0].ExtfragAtRequest, 12);
        Assert.Equal("capacity", r.Ooms[1].Verdict);
        // Blame at the first OOM, reference = 384 KiB: the hole at 0 borders only stack 22 (256 KiB, full);
        // the hole at 512 KiB sits between 22 and 44 (128 KiB each). So 22 isolates 384 KiB, 44 128 KiB.
        Assert.Equal([(22L, 384 * K), (44L, 128 * K)], r.Blame.Select(b => (b.StackId ?? 0, b.FragmentedBytes)).ToArray());
        var end = r.Timeline[^1];
        Assert.Equal(0.5, end.FragRate);
    }

    [Fact]
    public void Downsampled_timeline_keeps_the_spike()
    {
        const long K = 1024;
        var events = new List<PoolEvent>();
        long seq = 0;
        for (var i = 0; i < 1000; i++)
        {
            events.Add(E(seq++, AllocOp.Alloc, 0, 4 * K));
            events.Add(E(seq++, AllocOp.Free, 0, 0));
        }
        // One spike: a block in the middle splits the range into two halves (frag_rate 0.5) for a single event.
        events.Insert(1000, E(5000, AllocOp.Alloc, 2 * K, 1) with { TsNs = events[1000].TsNs });
        events.Insert(1001, E(5001, AllocOp.Free, 2 * K, 0) with { TsNs = events[1000].TsNs });
        var input = new PoolInput { Key = new PoolKey("", 1, 0, "driver", "s"), Level = PoolLevel.Driver, Events = events.ToArray() };
        var r = PoolReplay.Run(input, new FragmentationOptions { MaxTimelineRows = 10 });
        Assert.InRange(r.Timeline.Count, 2, 12);
        Assert.Equal(events.Count, r.Timeline.Sum(t => t.Events));
        Assert.True(r.Timeline.Max(t => t.FragRateMax) > 0.49);
    }

    [Fact]
    public void Torch_rules_round_and_keep_unsplittable_remainders()
    {
        Assert.Equal(512, TorchRules.RoundSize(1));
        Assert.Equal(1024, TorchRules.RoundSize(513));
        Assert.True(TorchRules.ShouldSplit(512, smallPool: true));
        Assert.False(TorchRules.ShouldSplit(511, smallPool: true));
        Assert.False(TorchRules.ShouldSplit(1 << 20, smallPool: false));
        Assert.True(TorchRules.ShouldSplit((1 << 20) + 1, smallPool: false));
    }
}
