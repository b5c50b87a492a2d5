using Memtrace.Pipeline.Collections;
using Memtrace.Pipeline.Fragmentation;
using Xunit;

namespace Memtrace.Pipeline.Tests;

/// <summary>The incremental index against a naive recomputation from the live set, on seeded random traces.</summary>
public sealed class ReplayOracleTests
{
    private static (long F, long L, long N, long[] Hist, long S) Naive(long segStart, long segEnd, SortedDictionary<long, long> live, long r)
    {
        var free = new List<long>();
        var cursor = segStart;
        foreach (var (a, size) in live)
        {
            if (a > cursor) free.Add(a - cursor);
            cursor = a + size;
        }
        if (segEnd > cursor) free.Add(segEnd - cursor);
        var hist = new long[64];
        foreach (var b in free) hist[63 - System.Numerics.BitOperations.LeadingZeroCount((ulong)b)]++;
        return (free.Sum(), free.Count == 0 ? 0 : free.Max(), free.Count, hist, free.Sum(b => b / r));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Incremental_state_equals_naive_recomputation(int seed)
    {
        var rng = new Random(seed);
        const long start = 1 << 20, size = 1 << 24, r = 4096;
        foreach (var ordered in new[] { false, true })
        {
            var space = new AddressSpace([r], ordered);
            space.AddSegment(start, size, smallPool: false);
            var live = new SortedDictionary<long, long>();
            for (var step = 0; step < 3000; step++)
            {
                if (live.Count > 0 && (rng.Next(3) == 0 || space.Free.Count == 0))
                {
                    var victim = live.Keys.ElementAt(rng.Next(live.Count));
                    Assert.True(space.FreeBlock(victim));
                    live.Remove(victim);
                }
                else
                {
                    var blocks = space.Free.Blocks().ToList();
                    var (s, e, _) = blocks[rng.Next(blocks.Count)];
                    var len = Math.Min(e - s, 1 + rng.NextInt64(64 * 1024));
                    // Half the time from the block's front, as the caching allocator carves (the free block keeps its id on the rest).
                    var at = rng.Next(2) == 0 ? s : s + rng.NextInt64(e - s - len + 1);
                    Assert.True(space.Allocate(at, len, stackId: at ^ 0x5a5a));
                    live[at] = len;
                }
                var n = Naive(start, start + size, live, r);
                Assert.Equal(n.F, space.Free.FreeBytes);
                Assert.Equal(n.L, space.Free.Largest);
                Assert.Equal(n.N, space.Free.Count);
                Assert.Equal(n.Hist, space.Free.HistCount);
                Assert.Equal(n.S, space.Free.SuitableCounts[0]);
                Assert.Equal(live.Values.Sum(), space.Allocated);
                if (step % 50 == 0)
                {
                    // Extents too, not only the statistics: the free blocks are the gaps, the live blocks keep their stacks.
                    var gaps = new List<(long, long)>();
                    var cursor = start;
                    foreach (var (a, len) in live)
                    {
                        if (a > cursor) gaps.Add((cursor, a));
                        cursor = a + len;
                    }
                    if (start + size > cursor) gaps.Add((cursor, start + size));
                    Assert.Equal(gaps, space.Free.Blocks().Select(b => (b.Start, b.End)).OrderBy(b => b.Start));
                    Assert.Equal(live.Select(kv => (kv.Key, kv.Value, (long?)(kv.Key ^ 0x5a5a))),
                        space.LiveBlocks().Select(b => (b.Start, b.Block.Size, b.Block.StackId)).OrderBy(b => b.Start));
                }
            }
        }
    }

    [Fact]
    public void Blocks_in_different_segments_never_merge()
    {
        var space = new AddressSpace([512], orderedFree: false);
        space.AddSegment(0, 1024, false);
        space.AddSegment(1024, 1024, false);
        Assert.Equal(2, space.Free.Count);
        Assert.Equal(1024, space.Free.Largest);
        space.Allocate(0, 1024, null);
        space.FreeBlock(0);
        Assert.Equal(2, space.Free.Count);
    }

    [Fact]
    public void Anomalies_are_counted_and_the_replay_continues()
    {
        var kinds = new List<string>();
        var space = new AddressSpace([512], orderedFree: true) { Anomaly = (s, _, _, _) => kinds.Add(s.Key) };
        space.AddSegment(0, 4096, false);
        Assert.True(space.Allocate(0, 512, null));
        Assert.False(space.Allocate(256, 512, null));
        Assert.True(space.FreeBlock(0));
        Assert.False(space.FreeBlock(0));
        Assert.False(space.FreeBlock(999));
        Assert.Equal(["replay_overlapping_alloc", "replay_double_free", "replay_free_unknown_address"], kinds);
        Assert.Equal(4096, space.Free.FreeBytes);
    }
}
