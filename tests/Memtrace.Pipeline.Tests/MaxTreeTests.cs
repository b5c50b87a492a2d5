using Memtrace.Pipeline.Collections;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class MaxTreeTests
{
    [Fact]
    public void Max_matches_a_naive_maximum_on_seeded_random_operations()
    {
        var rng = new Random(42);
        var tree = new MaxTree(capacity: 4); // small, so the run grows it several times
        var oracle = new Dictionary<int, long>();
        for (var step = 0; step < 20_000; step++)
        {
            var id = rng.Next(1_000);
            var v = rng.Next(3) == 0 ? 0 : (long)rng.Next(1, 200); // many equal values, and removals (0)
            tree.Set(id, v);
            oracle[id] = v;
            Assert.Equal(oracle.Values.Max(), tree.Max);
            Assert.Equal(v, tree[id]);
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Set(1, -1));
    }

    /// <summary>
    /// The lazy tree recomputes only when the leaf holding the maximum drops: here every other step lowers
    /// that leaf, so both ways of recomputing run (a few dirty paths walked, or a full rebuild after many
    /// changes) and the tree grows in between.
    /// </summary>
    [Theory]
    [InlineData(1)]    // a recompute nearly every step: few dirty leaves, walked
    [InlineData(200)]  // long runs of changes between recomputes: rebuilt bottom-up
    public void Max_stays_exact_when_the_largest_keeps_shrinking(int changesBetweenDrops)
    {
        var rng = new Random(changesBetweenDrops);
        var tree = new MaxTree(capacity: 2);
        var oracle = new long[3_000];
        for (var step = 0; step < 30_000; step++)
        {
            var grow = step < 3_000 ? step + 1 : oracle.Length; // ids appear over time: the tree grows mid-run
            int id;
            long v;
            if (step % (changesBetweenDrops + 1) == 0 && oracle.Max() > 0)
            {
                id = Array.IndexOf(oracle, oracle.Max());
                v = rng.NextInt64(oracle[id]); // the largest shrinks, maybe to 0
            }
            else
            {
                id = rng.Next(grow);
                v = rng.Next(4) == 0 ? 0 : rng.NextInt64(1, 1L << 40);
            }
            tree.Set(id, v);
            oracle[id] = v;
            Assert.Equal(oracle.Max(), tree.Max);
        }
        for (var id = 0; id < oracle.Length; id++) Assert.Equal(oracle[id], tree[id]);
    }
}
