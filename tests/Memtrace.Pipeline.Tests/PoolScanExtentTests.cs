using Memtrace.Pipeline.Fragmentation;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class PoolScanExtentTests
{
    /// <summary>The extent against a naive filter: successful allocations and reservations, each to its block end (its size when none).</summary>
    [Fact]
    public void Extent_matches_a_naive_filter_and_is_taken_only_where_needed()
    {
        var rng = new Random(8);
        var ops = new[] { AllocOp.Alloc, AllocOp.Free, AllocOp.SegmentAlloc, AllocOp.SegmentFree, AllocOp.Oom };
        for (var trial = 0; trial < 50; trial++)
        {
            // Past one 4,096-event chunk in most trials; a failed allocation's address must not count.
            var events = Enumerable.Range(0, rng.Next(1, 10_000)).Select(i =>
            {
                var op = ops[rng.Next(trial % 2 == 0 ? 2 : ops.Length)];
                long? block = rng.Next(2) == 0 ? null : rng.NextInt64(0, 1L << 30);
                return new PoolEvent(i, i, op, rng.NextInt64(1L << 20, 1L << 46), rng.NextInt64(0, 1L << 30), block, null, null, rng.Next(10) == 0);
            }).ToArray();
            var placed = events.Where(e => e.Op is AllocOp.Alloc or AllocOp.SegmentAlloc && !e.Failed).ToArray();
            var lo = placed.Length == 0 ? long.MaxValue : placed.Min(e => e.Address);
            var hi = placed.Length == 0 ? long.MinValue : placed.Max(e => e.Address + Math.Max(1, e.BlockSize ?? e.Size));
            var driver = PoolScan.Of(events, ExtentUse.Always);
            Assert.Equal((lo, hi), (driver.ExtentLo, driver.ExtentHi));
            var allocator = PoolScan.Of(events, ExtentUse.WithoutSegments);
            var segments = events.Any(e => e.Op == AllocOp.SegmentAlloc);
            Assert.Equal(segments ? (long.MaxValue, long.MinValue) : (lo, hi), (allocator.ExtentLo, allocator.ExtentHi));
            Assert.Equal((long.MaxValue, long.MinValue), (PoolScan.Of(events, ExtentUse.None).ExtentLo, PoolScan.Of(events, ExtentUse.None).ExtentHi));
        }
    }
}
