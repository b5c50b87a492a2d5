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

public sealed class LongIntMapTests
{
    [Fact]
    public void Matches_a_dictionary_on_seeded_random_operations()
    {
        var rng = new Random(3);
        var map = new LongIntMap();
        var oracle = new Dictionary<long, int>();
        // Clustered multiples of 512 (like block addresses), plus the empty-slot sentinel value itself.
        long Key() => rng.Next(20) == 0 ? long.MinValue : 0x7f00_0000_0000L + rng.Next(4_000) * 512L;
        for (var step = 0; step < 100_000; step++)
        {
            var k = Key();
            switch (rng.Next(3))
            {
                case 0:
                    var v = rng.Next();
                    map.Set(k, v);
                    oracle[k] = v;
                    break;
                case 1: Assert.Equal(oracle.Remove(k), map.Remove(k)); break;
                default:
                    Assert.Equal(oracle.TryGetValue(k, out var expected), map.TryGetValue(k, out var got));
                    Assert.Equal(expected, got);
                    break;
            }
            Assert.Equal(oracle.Count, map.Count);
        }
        foreach (var (k, v) in oracle)
        {
            Assert.True(map.TryGetValue(k, out var got));
            Assert.Equal(v, got);
        }
        Assert.Equal(oracle.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)), map.Entries().OrderBy(e => e.Key));
    }
}

public sealed class OrderedLongSetTests
{
    [Fact]
    public void Matches_a_sorted_set_on_seeded_random_operations()
    {
        var rng = new Random(7);
        var set = new OrderedLongSet();
        var oracle = new SortedSet<long>();
        for (var step = 0; step < 60_000; step++)
        {
            var v = (long)rng.Next(-2_000, 2_000) * 1_000_003; // dense enough to collide, wide enough to split chunks
            switch (rng.Next(4))
            {
                case 0: Assert.Equal(oracle.Add(v), set.Add(v)); break;
                case 1: Assert.Equal(oracle.Remove(v), set.Remove(v)); break;
                case 2 when oracle.Count > 0:
                    // Replace a present value, by a near one (mostly in place) or a far one (a move).
                    var old = oracle.ElementAt(rng.Next(oracle.Count));
                    var replacement = rng.Next(2) == 0 ? old + rng.Next(-500_000, 500_000) : (long)rng.Next(-2_000, 2_000) * 1_000_003 + 1;
                    if (replacement != old && oracle.Contains(replacement)) break;
                    oracle.Remove(old);
                    oracle.Add(replacement);
                    set.Replace(old, replacement);
                    Assert.True(set.TryPredecessor(replacement, out var atReplacement) && atReplacement == replacement);
                    break;
                default:
                    var view = oracle.GetViewBetween(long.MinValue, v);
                    var expected = oracle.Count > 0 && oracle.Min <= v;
                    Assert.Equal(expected, set.TryPredecessor(v, out var found));
                    if (expected) Assert.Equal(view.Max, found);
                    break;
            }
            Assert.Equal(oracle.Count, set.Count);
            if (oracle.Count > 0) Assert.Equal(oracle.Min, set.Min);
        }
        Assert.True(oracle.Count > OrderedLongSet.ChunkSize * 4, "the run must exercise chunk splits");
    }
}

public sealed class QuickselectTests
{
    [Fact]
    public void Select_equals_the_sorted_array_at_every_rank()
    {
        var rng = new Random(3);
        for (var trial = 0; trial < 300; trial++)
        {
            var n = rng.Next(1, 200);
            var values = Enumerable.Range(0, n).Select(_ => (long)rng.Next(0, trial % 3 == 0 ? 4 : 1_000)).ToArray(); // many duplicates too
            var sorted = values.Order().ToArray();
            for (var k = 0; k < n; k++) Assert.Equal(sorted[k], PoolScan.Select(values.ToArray(), k));
        }
    }

    [Fact]
    public void Request_percentiles_equal_nearest_rank_on_the_sorted_sizes()
    {
        var rng = new Random(9);
        for (var trial = 0; trial < 200; trial++)
        {
            var n = rng.Next(1, 3_000);
            var shape = trial % 4;
            var sizes = Enumerable.Range(0, n).Select(_ => shape switch
            {
                0 => 1L + rng.Next(8),                        // tiny sizes: bins below the 8 sub-bits
                1 => 512L * rng.Next(1, 5),                   // heavy duplicates
                2 => 1L << rng.Next(0, 62),                   // every power of two
                _ => 1L + rng.NextInt64(1L << rng.Next(1, 62)),
            }).ToArray();
            var events = sizes.Select((s, i) => new PoolEvent(i, i, i % 7 == 0 ? AllocOp.Free : AllocOp.Alloc, i * 4096L, s, null, null, null, false)).ToArray();
            var allocs = events.Where(e => e.Op == AllocOp.Alloc).Select(e => e.Size).Order().ToArray();
            if (allocs.Length == 0) continue;
            long Rank(double q) => allocs[Math.Clamp((int)Math.Ceiling(q * allocs.Length) - 1, 0, allocs.Length - 1)];
            Assert.Equal((Rank(0.50), Rank(0.99)), (PoolScan.Of(events).RequestP50, PoolScan.Of(events).RequestP99));
            // The same through the bins, as past MaxDistinct sizes (here past 8, so most trials take this path).
            var binned = PoolScan.Of(events, maxDistinct: 8);
            Assert.Equal((Rank(0.50), Rank(0.99)), (binned.RequestP50, binned.RequestP99));
        }
        Assert.Equal((TorchRules.MinBlockSize, TorchRules.MinBlockSize), (PoolScan.Of([]).RequestP50, PoolScan.Of([]).RequestP99));
    }
}
