using Memtrace.Pipeline.Collections;
using Xunit;

namespace Memtrace.Pipeline.Tests;

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
        var (keys, values) = map.ByKey();
        Assert.Equal(oracle.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)), keys.Zip(values));
    }
}
