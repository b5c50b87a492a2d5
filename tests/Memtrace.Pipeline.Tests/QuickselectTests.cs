using Memtrace.Pipeline.Fragmentation;
using Xunit;

namespace Memtrace.Pipeline.Tests;

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
