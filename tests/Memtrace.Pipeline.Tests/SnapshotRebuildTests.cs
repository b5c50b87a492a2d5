using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Stats;
using Xunit;

namespace Memtrace.Pipeline.Tests;

/// <summary>
/// The state before a snapshot's trace, rebuilt backwards from its final blocks, against the state a naive allocator
/// actually had: seeded random segments tiled with live and free blocks (a segment's first block free or live, blocks
/// placed mid-segment, neighbours in different segments), then random allocations and frees, some of blocks live before
/// the trace. The replay's free space after every event must be the naive state's, so a block the rebuild placed wrong
/// shows at the first row.
/// </summary>
public sealed class SnapshotRebuildTests
{
    private sealed class NaivePool(List<(long Start, long Size)> segments)
    {
        public readonly SortedDictionary<long, long> Live = new();

        public IEnumerable<(long Start, long End, long SegStart, long SegSize)> FreeBlocks()
        {
            foreach (var (segStart, segSize) in segments)
            {
                var cursor = segStart;
                foreach (var (a, size) in Live.Where(kv => kv.Key >= segStart && kv.Key < segStart + segSize))
                {
                    if (a > cursor) yield return (cursor, a, segStart, segSize);
                    cursor = a + size;
                }
                if (segStart + segSize > cursor) yield return (cursor, segStart + segSize, segStart, segSize);
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Replay_from_the_rebuilt_state_follows_the_naive_allocator(int seed)
    {
        var rng = new Random(seed);
        const long unit = 512;
        var segments = new List<(long Start, long Size)>();
        long at = 1L << 30;
        for (var s = 0; s < 30; s++)
        {
            at += unit * rng.Next(0, 3); // some segments touch the one before: their blocks must still never merge
            var size = unit * rng.Next(1, 60);
            segments.Add((at, size));
            at += size;
        }
        var pool = new NaivePool(segments);
        // The state at the trace's first event: each segment tiled at random, live blocks anywhere in it.
        foreach (var (segStart, segSize) in segments)
        {
            for (var a = segStart; a < segStart + segSize;)
            {
                var len = Math.Min(segStart + segSize - a, unit * rng.Next(1, 8));
                if (rng.Next(2) == 0) pool.Live[a] = len;
                a += len;
            }
        }
        var bornBefore = pool.Live.Keys.ToHashSet();
        var stackOf = pool.Live.ToDictionary(kv => kv.Key, kv => kv.Key ^ 0x77);

        var events = new List<PoolEvent>();
        var expected = new List<(long F, long L, long N, long Allocated)>();
        var freedBornBefore = 0;
        for (var i = 0; i < 2000; i++)
        {
            var free = pool.FreeBlocks().ToList();
            if (pool.Live.Count > 0 && (free.Count == 0 || rng.Next(2) == 0))
            {
                var victim = pool.Live.Keys.ElementAt(rng.Next(pool.Live.Count));
                events.Add(new PoolEvent(i, 1000 + i, AllocOp.Free, victim, pool.Live[victim], pool.Live[victim], stackOf[victim], null, false));
                pool.Live.Remove(victim);
                if (bornBefore.Remove(victim)) freedBornBefore++;
            }
            else
            {
                var (s, e, _, _) = free[rng.Next(free.Count)];
                var len = Math.Min(e - s, unit * rng.Next(1, 4));
                var addr = rng.Next(3) == 0 ? s + unit * rng.NextInt64((e - s - len) / unit + 1) : s;
                events.Add(new PoolEvent(i, 1000 + i, AllocOp.Alloc, addr, len, len, addr ^ 0x77, null, false));
                pool.Live[addr] = len;
                stackOf[addr] = addr ^ 0x77;
            }
            var now = pool.FreeBlocks().Select(b => b.End - b.Start).ToList();
            expected.Add((now.Sum(), now.DefaultIfEmpty(0).Max(), now.Count, pool.Live.Values.Sum()));
        }

        var snapshot = new List<SnapshotBlock>();
        foreach (var (segStart, segSize) in segments)
        {
            foreach (var (a, size) in pool.Live.Where(kv => kv.Key >= segStart && kv.Key < segStart + segSize))
                snapshot.Add(new SnapshotBlock(segStart, segSize, false, a, size, true, stackOf[a]));
        }
        foreach (var (s, e, segStart, segSize) in pool.FreeBlocks()) snapshot.Add(new SnapshotBlock(segStart, segSize, false, s, e - s, false, null));
        var input = new PoolInput
        {
            Key = new PoolKey("", 0, 0, "torch-caching", "s"),
            Level = PoolLevel.Allocator,
            Events = events.ToArray(),
            Snapshot = snapshot.OrderBy(b => b.Address).ToArray(),
        };

        var result = PoolReplay.Run(input, new FragmentationOptions { ResolutionNs = 0, MaxTimelineRows = 10_000 });

        Assert.Equal(events.Count, result.EventsReplayed);
        Assert.True(freedBornBefore > 0);
        Assert.Equal(new Dictionary<string, long> { [StatsCatalog.ReplayLiveAtStart.Key] = freedBornBefore }, result.Counts.Where(kv => kv.Value != 0).ToDictionary());
        Assert.Equal(expected, result.Timeline.Select(r => (r.F, r.L, r.N, r.Allocated)));
        Assert.All(result.Timeline, r => Assert.Equal(segments.Sum(s => s.Size), r.Reserved));
    }
}
