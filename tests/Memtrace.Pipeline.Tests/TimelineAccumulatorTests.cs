using Memtrace.Pipeline.Fragmentation;
using Xunit;

namespace Memtrace.Pipeline.Tests;

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
