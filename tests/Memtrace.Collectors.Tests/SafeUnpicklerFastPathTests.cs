using System.Numerics;
using Memtrace.Collectors.Pickle;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>The unpickler's fast paths (LONG1 in a long, the dense memo) against their definitions.</summary>
public sealed class SafeUnpicklerFastPathTests
{
    public static TheoryData<string> Integers =>
    [
        "0", "1", "-1", "127", "128", "-128", "-129", "255", "256", "4095", "4096", "-4096", "2147483647", "-2147483648",
        "1099511627781", "-1099511627776", "1776479641085368", "47294971904", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "-9223372036854775809", "1180591620717411303424",
    ];

    [Theory]
    [MemberData(nameof(Integers))]
    public void Long1_gives_the_value_CPython_wrote(string text)
    {
        // BigInteger's little-endian two's complement is pickle's LONG1 payload, minimal length as CPython writes it.
        var v = BigInteger.Parse(text, System.Globalization.CultureInfo.InvariantCulture);
        var le = v.IsZero ? [] : v.ToByteArray();
        var root = SafeUnpickler.Load(new PickleBuilder().Proto(2).Long1(le).Op('.').Build()).Root;
        if (v >= long.MinValue && v <= long.MaxValue) Assert.Equal((long)v, Assert.IsType<long>(root));
        else Assert.Equal(v, Assert.IsType<BigInteger>(root));
    }

    [Fact]
    public void Memo_entries_out_of_order_and_overwritten_are_read_back_as_written()
    {
        // 'a' PUT 5; 'b' MEMOIZE (at len(memo) = 1); 'c' PUT 0; 'd' PUT 5 overwrites 'a'; 'e' MEMOIZE (at len(memo) = 3);
        // then GET 5, 1, 0, 3. CPython's Unpickler gives ['a', 'b', 'c', 'd', 'e', 'd', 'b', 'c', 'e'].
        var p = new PickleBuilder().Proto(4).Op(']').Op('(')
            .Str("a").Put(5).Str("b").Memoize().Str("c").Put(0).Str("d").Put(5).Str("e").Memoize()
            .Get(5).Get(1).Get(0).Get(3)
            .Op('e').Op('.').Build();
        var list = Assert.IsType<List<object?>>(SafeUnpickler.Load(p).Root);
        Assert.Equal(["a", "b", "c", "d", "e", "d", "b", "c", "e"], list.Cast<string>());
    }
}
