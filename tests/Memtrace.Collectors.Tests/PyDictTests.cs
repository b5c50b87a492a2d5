using Memtrace.Collectors.Pickle;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>PyDict against a naive oracle: a Dictionary for the values and a list for Python's insertion order.</summary>
public sealed class PyDictTests
{
    [Theory]
    [InlineData(1, 6)]
    [InlineData(2, 15)]
    [InlineData(3, 16)]
    [InlineData(4, 17)]
    [InlineData(5, 200)]
    public void Holds_what_a_dictionary_holds_in_insertion_order(int seed, int distinctKeys)
    {
        var rng = new Random(seed);
        // Keys as a pickle gives them: strings made afresh (equal text, other objects), boxed longs, bools, None's key.
        object Key(int k) => (k % 4) switch
        {
            0 => new string(('k' + k.ToString(System.Globalization.CultureInfo.InvariantCulture)).AsSpan()),
            1 => (object)(long)k,
            2 => k % 8 == 2,
            _ => k % 3 == 0 ? SafeUnpickler.NoneKey : "s" + k,
        };
        var dict = new PyDict();
        var oracle = new Dictionary<object, object?>();
        var order = new List<object>();
        for (var step = 0; step < 4000; step++)
        {
            var key = Key(rng.Next(distinctKeys));
            if (rng.Next(3) == 0)
            {
                Assert.Equal(oracle.TryGetValue(key, out var want), dict.TryGetValue(key, out var got));
                Assert.Equal(want, got);
                Assert.Equal(oracle.ContainsKey(key), dict.ContainsKey(key));
                continue;
            }
            object? value = rng.Next(5) == 0 ? null : (long)rng.Next(1000);
            if (!oracle.ContainsKey(key)) order.Add(key);
            oracle[key] = value;
            dict[key] = value;
            Assert.Equal(oracle.Count, dict.Count);
        }
        Assert.Equal(order, dict.Select(kv => kv.Key));
        Assert.Equal(order.Select(k => oracle[k]), dict.Select(kv => kv.Value));
    }

    [Fact]
    public void Capacity_reserved_up_front_keeps_order_and_values()
    {
        var dict = new PyDict();
        dict.EnsureCapacity(3);
        dict.Set("action", "alloc");
        dict.Set("addr", 47294971904L);
        dict.Set("size", 25165824L);
        dict.Set("stream", 0L);
        dict.Set("action", "free_requested");
        Assert.Equal(["action", "addr", "size", "stream"], dict.Select(kv => (string)kv.Key));
        Assert.Equal("free_requested", dict["action"]);
        Assert.Null(dict.GetValueOrDefault("frames"));
        Assert.Throws<KeyNotFoundException>(() => dict["frames"]);
    }
}
