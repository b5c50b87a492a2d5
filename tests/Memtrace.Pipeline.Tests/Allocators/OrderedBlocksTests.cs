using Memtrace.Pipeline.Allocators;
using Xunit;

namespace Memtrace.Pipeline.Tests.Allocators;

/// <summary>The allocator's ordered set against SortedSet on seeded random operations: every lower bound, walk and removal agrees.</summary>
public sealed class OrderedBlocksTests
{
    [Theory]
    [InlineData(1, 300)]
    [InlineData(2, 5_000)]
    [InlineData(3, 40_000)]
    public void Agrees_with_SortedSet(int seed, int operations)
    {
        var rng = new Random(seed);
        var set = new OrderedBlocks();
        var oracle = new SortedSet<BlockKey>();
        var pool = new BlockPool(false, "0,0");
        for (var i = 0; i < operations; i++)
        {
            var key = new BlockKey(rng.Next(3), rng.Next(1, 64) * 512L, rng.Next(0, 4096) * 4096L);
            if (rng.Next(3) > 0) Assert.Equal(oracle.Add(key), set.Add(key, new SimBlock(key.Stream, key.Size, pool, key.Ptr)));
            else Assert.Equal(oracle.Remove(key), set.Remove(key));
            Assert.Equal(oracle.Count, set.Count);
            var probe = new BlockKey(rng.Next(3), rng.Next(1, 64) * 512L, rng.Next(0, 4096) * 4096L);
            var expected = oracle.GetViewBetween(probe, new BlockKey(long.MaxValue, long.MaxValue, long.MaxValue));
            var at = set.LowerBound(probe);
            Assert.Equal(expected.Count > 0, at.Valid);
            if (at.Valid)
            {
                Assert.Equal(expected.Min, set.KeyAt(at));
                if (i % 16 != 0) continue;
                var prev = set.Prev(at);
                var below = oracle.GetViewBetween(new BlockKey(long.MinValue, long.MinValue, long.MinValue), probe);
                Assert.Equal(below.Count > (oracle.Contains(probe) ? 1 : 0), prev.Valid);
                if (prev.Valid) Assert.True(set.KeyAt(prev).CompareTo(probe) < 0);
            }
        }
        Assert.Equal(oracle.ToList(), set.ToList().Select(b => b.SizeKey).ToList());
        var walked = new List<BlockKey>();
        for (var c = set.First; c.Valid; c = set.Next(c)) walked.Add(set.KeyAt(c));
        Assert.Equal(oracle.ToList(), walked);
    }
}
