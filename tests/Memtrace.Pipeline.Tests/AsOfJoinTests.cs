using Memtrace.Pipeline.Join;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class AsOfJoinTests
{
    /// <summary>O(n·m): for each left row scan every right row of its partition.</summary>
    private static int[] Naive(long[] lp, long[] lt, long[] rp, long[] rt, AsOfStrategy s, long tol)
    {
        var result = new int[lt.Length];
        for (var i = 0; i < lt.Length; i++)
        {
            int back = -1, fwd = -1;
            for (var j = 0; j < rt.Length; j++)
            {
                if (rp[j] != lp[i]) continue;
                if (rt[j] <= lt[i] && (back < 0 || rt[j] >= rt[back])) back = j;
                if (rt[j] >= lt[i] && (fwd < 0 || rt[j] < rt[fwd])) fwd = j;
            }
            var m = s switch
            {
                AsOfStrategy.Backward => back,
                AsOfStrategy.Forward => fwd,
                _ => back < 0 ? fwd : fwd < 0 ? back : lt[i] - rt[back] <= rt[fwd] - lt[i] ? back : fwd,
            };
            result[i] = m >= 0 && Math.Abs(rt[m] - lt[i]) <= tol ? m : -1;
        }
        return result;
    }

    private static (long[] P, long[] T) Sorted(Random rng, int n, int partitions, int timeRange)
    {
        var rows = Enumerable.Range(0, n).Select(_ => ((long)rng.Next(partitions), (long)rng.Next(timeRange))).OrderBy(x => x.Item1).ThenBy(x => x.Item2).ToArray();
        return (rows.Select(r => r.Item1).ToArray(), rows.Select(r => r.Item2).ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Matches_the_naive_oracle_on_seeded_random_inputs(int seed)
    {
        var rng = new Random(seed);
        for (var round = 0; round < 40; round++)
        {
            // Few distinct times force ties; partitions 0..5 on the left, 2..7 on the right leave keys on one side only.
            var (lp, lt) = Sorted(rng, rng.Next(0, 60), 6, 40);
            var (rp, rt) = Sorted(rng, rng.Next(0, 60), 6, 40);
            for (var k = 0; k < rp.Length; k++) rp[k] += 2;
            foreach (var s in Enum.GetValues<AsOfStrategy>())
            {
                foreach (var tol in new long[] { long.MaxValue, 0, 3 })
                {
                    var fast = AsOfJoin.Join(lp, lt, rp, rt, s, tol);
                    var slow = Naive(lp, lt, rp, rt, s, tol);
                    // Equal right times are interchangeable in value; compare the matched times and partitions.
                    Assert.Equal(slow.Select(j => j < 0 ? (-1L, -1L) : (rp[j], rt[j])), fast.Select(j => j < 0 ? (-1L, -1L) : (rp[j], rt[j])));
                }
            }
        }
    }

    [Fact]
    public void Ties_pick_the_row_nearest_in_sort_order()
    {
        long[] lp = [0], lt = [10], rp = [0, 0, 0, 0], rt = [5, 10, 10, 12];
        Assert.Equal([2], AsOfJoin.Join(lp, lt, rp, rt, AsOfStrategy.Backward));
        Assert.Equal([1], AsOfJoin.Join(lp, lt, rp, rt, AsOfStrategy.Forward));
        Assert.Equal([2], AsOfJoin.Join(lp, lt, rp, rt, AsOfStrategy.Nearest));
        Assert.Equal([0], AsOfJoin.Join([0], [8], [0, 0], [6, 10], AsOfStrategy.Nearest)); // 2 vs 2: backward wins
        Assert.Equal([-1], AsOfJoin.Join([0], [8], [0, 0], [6, 10], AsOfStrategy.Nearest, tolerance: 1));
    }

    [Fact]
    public void Unsorted_input_is_refused_with_the_row()
    {
        var e = Assert.Throws<ArgumentException>(() => AsOfJoin.Join([0, 0], [5, 4], [0], [1], AsOfStrategy.Backward));
        Assert.Contains("left input is not sorted", e.Message);
        Assert.Contains("row 1", e.Message);
        Assert.Throws<ArgumentException>(() => AsOfJoin.Join([0], [1], [1, 0], [1, 1], AsOfStrategy.Backward));
    }

    [Fact]
    public void Empty_sides_give_no_matches()
    {
        Assert.Empty(AsOfJoin.Join([], [], [0], [1], AsOfStrategy.Nearest));
        Assert.Equal([-1, -1], AsOfJoin.Join([0, 1], [1, 2], [], [], AsOfStrategy.Nearest));
    }

    [Fact]
    public void Large_inputs_take_the_parallel_path_and_still_match_the_oracle()
    {
        var rng = new Random(11);
        var (lp, lt) = Sorted(rng, AsOfJoin.ParallelThreshold + 50_000, 64, 1_000_000);
        var (rp, rt) = Sorted(rng, 40_000, 64, 1_000_000);
        foreach (var s in Enum.GetValues<AsOfStrategy>())
        {
            var fast = AsOfJoin.Join(lp, lt, rp, rt, s, 5_000);
            var sample = Enumerable.Range(0, 1500).Select(_ => rng.Next(lp.Length)).ToArray();
            var slow = Naive(sample.Select(i => lp[i]).ToArray(), sample.Select(i => lt[i]).ToArray(), rp, rt, s, 5_000);
            Assert.Equal(slow.Select(j => j < 0 ? (-1L, -1L) : (rp[j], rt[j])), sample.Select(i => fast[i]).Select(j => j < 0 ? (-1L, -1L) : (rp[j], rt[j])));
        }
    }

    [Fact]
    public void Distances_at_the_ends_of_the_long_range_do_not_overflow()
    {
        Assert.Equal([-1], AsOfJoin.Join([0], [long.MaxValue], [0], [long.MinValue], AsOfStrategy.Backward, long.MaxValue - 1));
        Assert.Equal([0], AsOfJoin.Join([0], [long.MaxValue], [0], [long.MinValue], AsOfStrategy.Backward));
        Assert.Equal([0], AsOfJoin.Join([0], [long.MinValue], [0, 0], [-1, long.MaxValue], AsOfStrategy.Nearest));
        Assert.Equal([-1], AsOfJoin.Join([0], [long.MinValue], [0], [long.MaxValue], AsOfStrategy.Forward, long.MaxValue - 1));
    }
}
