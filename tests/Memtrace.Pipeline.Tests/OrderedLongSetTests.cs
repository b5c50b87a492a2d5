using Memtrace.Pipeline.Collections;
using Xunit;

namespace Memtrace.Pipeline.Tests;

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
