using Memtrace.Pipeline.Fragmentation;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class FragMetricsTests
{
    [Fact]
    public void Seed_entropy_matches_the_seed_example_by_hand()
    {
        // Seed 000's example: blocks of [4,4,8,16,32,64,128,256,512,1024] KB. log2(KB+1) spreads them over
        // 8 bins of width (10.0014+1e-6)/8 as [0,2,1,1,2,1,1,2], so H = −(3·0.2·log2 0.2 + 4·0.1·log2 0.1) = 2.72193.
        long[] kb = [4, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
        var h = FragMetrics.EntropySeed(kb.Select(k => k * 1024).ToArray());
        var hand = -(3 * 0.2 * Math.Log2(0.2) + 4 * 0.1 * Math.Log2(0.1));
        Assert.Equal(hand, h, 9);
    }

    [Fact]
    public void Seed_entropy_scores_one_huge_block_zero()
    {
        Assert.Equal(0.0, FragMetrics.EntropySeed([1L << 30]), 9);
        Assert.Equal(0.0, FragMetrics.EntropySeed([]));
    }

    [Fact]
    public void Seed_entropy_by_size_thresholds_equals_the_direct_formula()
    {
        // Sizes from a real snapshot, random sizes of every scale, and sizes right at each bin's lower edge
        // (where a threshold off by one would move a block to the next bin).
        var rng = new Random(5);
        var seed = new SeedThresholds();
        var real = Memtrace.Collectors.Pickle.SafeUnpickler.Load(File.ReadAllBytes(Memtrace.Tests.Repo.Torch("magma27_memory_snapshot.pickle")));
        var realSizes = ((List<object?>)((Memtrace.Collectors.Pickle.PyDict)real.Root!)["segments"]!)
            .SelectMany(s => (List<object?>)((Memtrace.Collectors.Pickle.PyDict)s!)["blocks"]!)
            .Select(b => (long)((Memtrace.Collectors.Pickle.PyDict)b!)["size"]!).ToArray();
        for (var trial = 0; trial < 400; trial++)
        {
            var n = rng.Next(1, 300);
            var scale = 1L << rng.Next(1, 44);
            var sizes = Enumerable.Range(0, n).Select(_ => trial % 3 == 0 ? realSizes[rng.Next(realSizes.Length)] : 1 + rng.NextInt64(scale)).ToList();
            var largest = sizes.Max();
            // Sizes at and around each bin edge, found by brute force on the direct bin.
            var bins = new FragMetrics.SeedBins(FragMetrics.SeedLog(largest));
            for (var j = 1; j < FragMetrics.SeedBins.Count; j++)
            {
                var edge = (long)Math.Ceiling(1024.0 * (Math.Pow(2.0, j * (FragMetrics.SeedLog(largest) + 1e-6) / FragMetrics.SeedBins.Count) - 1.0));
                for (var d = -2; d <= 2; d++)
                    if (edge + d >= 0 && edge + d <= largest) sizes.Add(edge + d);
            }
            var expected = FragMetrics.EntropySeed(sizes.ToArray());
            Assert.Equal(expected, seed.Entropy(sizes.ToArray(), largest, vectorized: true));
            Assert.Equal(expected, seed.Entropy(sizes.ToArray(), largest, vectorized: false));
            Assert.True(sizes.All(s => bins.Of(FragMetrics.SeedLog(s)) >= 0));
        }
        Assert.Equal(0.0, seed.Entropy([], 0));
    }

    [Fact]
    public void Smallest_finds_the_first_true_from_any_guess()
    {
        foreach (var target in new long[] { 0, 1, 7, 1000, 1L << 40 })
            foreach (var guess in new long[] { 0, 1, 5, 999, 1001, 1L << 41, target })
                Assert.Equal(target, SeedThresholds.Smallest(guess, s => s >= target));
    }

    [Theory]
    [InlineData(0L, 0L, 0.0, 1.0)]
    [InlineData(100L, 100L, 0.0, 1.0)]
    [InlineData(100L, 25L, 0.75, 0.25)]
    public void Frag_rate_and_contiguous_ratio(long f, long l, double frag, double ecr)
    {
        Assert.Equal(frag, FragMetrics.FragRate(f, l));
        Assert.Equal(ecr, FragMetrics.EffectiveContiguousRatio(f, l));
    }

    [Fact]
    public void Unusable_and_extfrag_index_by_hand()
    {
        // Free blocks 3, 5 and 8 bytes, request R = 4: S = 0 + 1 + 2 = 3 so 12 of 16 bytes can serve; unusable = 4/16.
        long[] blocks = [3, 5, 8];
        var s = FragMetrics.SuitableCount(blocks, 4);
        Assert.Equal(3, s);
        Assert.Equal(0.25, FragMetrics.UnusableIndex(16, s, 4));
        Assert.Equal(1.0, FragMetrics.UnusableIndex(0, 0, 4));
        // R = 16 > L = 8: 1 − (1 + 16/16)/3 = 1/3; R = 8 fits: −1; no blocks: 0.
        Assert.Equal(1.0 / 3, FragMetrics.ExtfragIndex(16, 3, 8, 16), 12);
        Assert.Equal(-1.0, FragMetrics.ExtfragIndex(16, 3, 8, 8));
        Assert.Equal(0.0, FragMetrics.ExtfragIndex(0, 0, 0, 8));
    }

    [Theory]
    [InlineData(10L, 16L, 8L, "fragmentation")]
    [InlineData(20L, 16L, 8L, "capacity")]
    [InlineData(8L, 16L, 8L, "fits")]
    public void Oom_verdict(long request, long f, long l, string verdict) => Assert.Equal(verdict, FragMetrics.Verdict(request, f, l));

    [Fact]
    public void Log2_buckets_and_entropy()
    {
        Assert.Equal(0, FragMetrics.Bucket(1));
        Assert.Equal(9, FragMetrics.Bucket(512));
        Assert.Equal(9, FragMetrics.Bucket(1023));
        Assert.Equal(1.0, FragMetrics.Entropy([1, 1, 0]), 12);
        Assert.Equal(0.0, FragMetrics.Entropy([0, 5]), 12);
    }
}
