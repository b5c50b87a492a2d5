using Memtrace.Schemas.Model;
using Xunit;

namespace Memtrace.Schemas.Tests;

/// <summary>The tick kernel against the ticks a seeded random sampler really made, and its edge cases by hand.</summary>
public sealed class ReadTicksTests
{
    [Theory]
    [InlineData(1, 500_000_000L)]
    [InlineData(2, 250_000_000L)]
    [InlineData(3, 50_000_000L)]
    [InlineData(4, 1_000_000_000L)]
    public void Seeded_random_sampler_ticks_are_recovered_exactly(int seed, long interval)
    {
        // A sampler every interval (±5 % jitter) reads a random non-empty subset of 6 files in a random order,
        // each read 50–1000 µs after the last (at most 6 ms a tick, well inside half of every interval here).
        var rng = new Random(seed);
        var ts = new List<long>();
        var fields = new List<ulong>();
        var truth = new List<int>();
        var start = 1_795_000_000_000_000_000L;
        for (var tick = 0; tick < 2_000; tick++)
        {
            var t = start + tick * interval + (long)((rng.NextDouble() - 0.5) * 0.1 * interval);
            var files = Enumerable.Range(0, 6).Where(_ => rng.Next(3) > 0).OrderBy(_ => rng.Next()).ToList();
            if (files.Count == 0) files.Add(rng.Next(6));
            foreach (var f in files)
            {
                t += rng.Next(50_000, 1_000_000);
                ts.Add(t);
                fields.Add(1UL << f);
                truth.Add(tick);
            }
        }
        Assert.Equal(truth, ReadTicks.Assign(ts.ToArray(), fields.ToArray()));
    }

    [Fact]
    public void A_file_read_again_starts_a_new_tick_even_without_a_gap()
    {
        // status, stat, status: the second status read belongs to the next tick.
        Assert.Equal([0, 0, 1, 1], ReadTicks.Assign([0, 100, 200, 300], [1, 2, 1, 2]));
    }

    [Fact]
    public void A_gap_past_half_the_interval_starts_a_new_tick_even_when_the_file_is_new()
    {
        // Ticks every 500 ms: status+stat, then a tick with stat alone, then status alone 480 ms later.
        long[] ts = [0, 1_000_000, 500_000_000, 501_000_000, 1_000_000_000, 1_500_000_000, 1_501_000_000];
        ulong[] f = [1, 2, 1, 2, 2, 1, 2];
        Assert.Equal([0, 0, 1, 1, 2, 3, 3], ReadTicks.Assign(ts, f));
        Assert.Equal(500_000_000, ReadTicks.MedianFieldInterval(ts, f));
    }

    [Fact]
    public void A_read_that_straddles_the_boundary_by_a_few_ms_stays_in_its_tick()
    {
        // The third read of tick 0 came 30 ms late (a slow smaps_rollup): still under half of 500 ms.
        long[] ts = [0, 100_000, 30_000_000, 500_000_000, 500_100_000, 500_200_000];
        Assert.Equal([0, 0, 0, 1, 1, 1], ReadTicks.Assign(ts, [1, 2, 4, 1, 2, 4]));
    }

    [Fact]
    public void Preconditions_are_checked()
    {
        Assert.Throws<ArgumentException>(() => ReadTicks.Assign([5, 4], [1, 2]));
        Assert.Throws<ArgumentException>(() => ReadTicks.Assign([1, 2], [1, 0]));
        Assert.Throws<ArgumentException>(() => ReadTicks.Assign([1, 2], [1]));
        Assert.Empty(ReadTicks.Assign([], []));
    }

    [Fact]
    public void Field_bits_are_one_per_name_and_share_the_last_past_64()
    {
        var bits = new ReadTicks.FieldBits();
        Assert.Equal(1UL, bits.Of("status"));
        Assert.Equal(2UL, bits.Of("stat"));
        Assert.Equal(1UL, bits.Of("status"));
        for (var i = 0; i < 70; i++) bits.Of("f" + i);
        Assert.Equal(1UL << 63, bits.Of("f69"));
    }
}
