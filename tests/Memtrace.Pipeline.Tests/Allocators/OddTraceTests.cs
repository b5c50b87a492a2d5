using Memtrace.Pipeline.Allocators;
using Memtrace.Pipeline.Fragmentation;
using Xunit;

namespace Memtrace.Pipeline.Tests.Allocators;

/// <summary>
/// Traces no allocator wrote (random ops, addresses, sizes and final segments, as a damaged or hand-made snapshot
/// may hold) go through the rebuild, the proof and every what-if without an exception: the proof reports them as
/// not reproduced, and nothing claims otherwise.
/// </summary>
public sealed class OddTraceTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Random_traces_never_throw(int seed)
    {
        var rng = new Random(seed);
        const long MiB = 1 << 20;
        var ops = Enum.GetValues<TraceOp>();
        var events = new TraceEvent[2_000];
        for (var i = 0; i < events.Length; i++)
        {
            var op = ops[rng.Next(ops.Length)];
            var size = rng.Next(4) switch { 0 => rng.Next(0, 4096), 1 => rng.Next(1, 64) * MiB, 2 => rng.NextInt64(1L << 40, 1L << 62), _ => rng.Next(1, 3000) * 512L };
            events[i] = new TraceEvent(i, i * 1000L, op, rng.Next(0, 256) * 2 * MiB + rng.Next(0, 4) * 512, size, rng.Next(3), rng.Next(2) == 0 ? -1 : rng.Next(0, 64) * MiB);
        }
        var segments = new List<SegmentState>();
        for (var s = 0; s < 20; s++)
        {
            var addr = rng.Next(0, 256) * 2 * MiB;
            var blocks = new List<BlockState>();
            var at = addr;
            for (var b = 0; b < rng.Next(1, 5); b++)
            {
                var bs = rng.Next(1, 8) * MiB;
                blocks.Add(new BlockState(at, bs, rng.Next(2) == 0, rng.Next(0, 8) * MiB));
                at += rng.Next(3) == 0 ? bs / 2 : bs; // overlapping blocks now and then
            }
            segments.Add(new SegmentState(addr, at - addr + rng.Next(0, 2) * MiB, rng.Next(3), rng.Next(4) == 0, rng.Next(5) == 0 ? "1,2" : CachingAllocatorModel.DefaultPoolId, rng.Next(6) == 0, blocks));
        }
        var trace = new AllocatorTrace { Key = new PoolKey("", 1, 0, WhatIfInputs.TorchPool, "s"), Events = events, FinalSegments = segments, Recorded = AllocatorConfig.Default };
        var pool = WhatIfAnalyzer.RunPool(trace, new WhatIfOptions { MinimumCapacity = seed % 2 == 0, DeviceMemory = seed % 3 == 0 ? 512 * MiB : null }, new Memtrace.Schemas.Stats.StatsSink("s"));
        Assert.False(pool.Check!.Verified);
        Assert.NotEmpty(pool.Runs);
        Assert.All(pool.Runs, r => Assert.True(r.Result.Requests > 0));
    }
}
