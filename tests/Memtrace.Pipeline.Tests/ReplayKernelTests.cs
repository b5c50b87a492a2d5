using Memtrace.Pipeline.Fragmentation;
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

public sealed class CapturedSizesTests
{
    [Fact]
    public void Appends_across_chunks_and_copies_back_in_order()
    {
        var rng = new Random(5);
        var captured = new CapturedSizes();
        var oracle = new List<long>();
        for (var row = 0; row < 400; row++)
        {
            // Rows of 0 to 3,000 sizes: 400 rows cross the 65,536-size chunk boundary several times.
            var sizes = Enumerable.Range(0, rng.Next(3_000)).Select(_ => rng.NextInt64(1, 1L << 40)).ToArray();
            captured.Append(sizes);
            oracle.AddRange(sizes);
            Assert.Equal(oracle.Count, captured.Count);
        }
        Assert.Equal(oracle, captured.ToArray());
        var prefix = new long[100_001];
        captured.CopyTo(prefix);
        Assert.Equal(oracle.Take(prefix.Length), prefix);
        Assert.Throws<ArgumentOutOfRangeException>(() => captured.CopyTo(new long[oracle.Count + 1]));
        captured.Release();
        Assert.Equal(0, captured.Count);
        captured.Append([7, 8]);
        Assert.Equal([7L, 8L], captured.ToArray());
        captured.Release();
    }
}

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

public sealed class ExactDivisorTests
{
    /// <summary>Against the divide instruction: every divisor shape (1, powers of two, odd, near 2^63) and every dividend edge.</summary>
    [Fact]
    public void Matches_integer_division()
    {
        var rng = new Random(12);
        var divisors = new List<long> { 1, 2, 3, 5, 7, 512, 513, 1_048_576, 2_359_296, 154_389_504, long.MaxValue, long.MaxValue - 1, 1L << 62, (1L << 62) + 1 };
        for (var i = 0; i < 300; i++) divisors.Add(1 + rng.NextInt64(1L << rng.Next(1, 63)));
        foreach (var d in divisors)
        {
            var divisor = new ExactDivisor(d);
            var xs = new List<long> { 0, 1, d - 1, d, d + 1, 2 * (d / 2 + 1) - 1, long.MaxValue, long.MaxValue - 1, long.MaxValue / d * d, long.MaxValue / d * d - 1 };
            for (var i = 0; i < 300; i++) xs.Add(rng.NextInt64(1L << rng.Next(1, 63)));
            foreach (var x in xs.Where(x => x >= 0)) Assert.Equal(x / d, divisor.Divide(x));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => new ExactDivisor(0));
    }
}

public sealed class TimelineAccumulatorTests
{
    /// <summary>
    /// Each row's extremes against a naive pass over the same per-event states, bucket by bucket: frag_rate's
    /// maximum must be the very double the per-event FragRate values reach (ties and F = 0 included), and the
    /// minimum L and the maxima of reserved and allocated likewise.
    /// </summary>
    [Fact]
    public void Bucket_extremes_match_a_naive_pass()
    {
        var rng = new Random(21);
        const long bucketNs = 1_000;
        var rows = new List<TimelineRow>();
        var states = new List<(long Ts, long F, long L, long Reserved, long Allocated)>();
        var accumulator = new TimelineAccumulator(bucketNs, 0, rows, (seq, ts, n) =>
            new TimelineRow(seq, ts, n, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, null, 0, 0, 0, 0));
        long ts = 0;
        for (var seq = 0; seq < 50_000; seq++)
        {
            ts += rng.Next(0, 40);
            var f = rng.Next(8) switch
            {
                0 => 0L,                                  // nothing free: frag_rate 0
                1 => 3L * (1L << rng.Next(1, 50)),        // equal ratios from different pairs (ties)
                _ => rng.NextInt64(1, 1L << rng.Next(1, 52)),
            };
            var l = f == 0 ? 0 : rng.Next(4) == 0 ? f : f % 3 == 0 && rng.Next(2) == 0 ? f / 3 : rng.NextInt64(1, f + 1);
            var (reserved, allocated) = (rng.NextInt64(1L << 40), rng.NextInt64(1L << 40));
            accumulator.Begin(seq, ts);
            accumulator.After(seq, ts, f, l, reserved, allocated);
            states.Add((ts, f, l, reserved, allocated));
        }
        accumulator.Flush();
        var buckets = states.GroupBy(s => s.Ts / bucketNs).ToArray();
        Assert.Equal(buckets.Length, rows.Count);
        foreach (var (bucket, row) in buckets.Zip(rows))
        {
            Assert.Equal(bucket.Count(), row.Events);
            Assert.Equal(bucket.Max(s => FragMetrics.FragRate(s.F, s.L)), row.FragRateMax);
            Assert.Equal(bucket.Min(s => s.L), row.LargestFreeMin);
            Assert.Equal(bucket.Max(s => s.Reserved), row.ReservedMax);
            Assert.Equal(bucket.Max(s => s.Allocated), row.AllocatedMax);
        }
    }
}
