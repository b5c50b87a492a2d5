using Memtrace.Pipeline.Collections;
using Xunit;

namespace Memtrace.Pipeline.Tests;

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
