using Memtrace.Pipeline.Fragmentation;
using Xunit;

namespace Memtrace.Pipeline.Tests;

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
