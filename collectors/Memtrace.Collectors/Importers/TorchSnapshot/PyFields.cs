using System.Numerics;
using Memtrace.Collectors.Pickle;

namespace Memtrace.Collectors.Importers.TorchSnapshot;

/// <summary>Typed access to unpickled dict fields; a wrong type reads as missing so the caller can count it.</summary>
internal static class PyFields
{
    public static bool TryLong(PyDict d, string key, out long value)
    {
        value = 0;
        return d.TryGetValue(key, out var o) && TryLong(o, out value);
    }

    /// <summary>An integer field's value: a long, a bool (Python's True is 1), or a big integer that fits.</summary>
    public static bool TryLong(object? o, out long value)
    {
        switch (o)
        {
            case long l: value = l; return true;
            case bool b: value = b ? 1 : 0; return true;
            case BigInteger bi when bi >= long.MinValue && bi <= long.MaxValue: value = (long)bi; return true;
            // Addresses and sizes above 2^63 cannot be device memory; treat them as bad fields.
            default: value = 0; return false;
        }
    }

    public static long? Long(object? o) => TryLong(o, out var v) ? v : null;

    public static long? Long(PyDict d, string key) => TryLong(d, key, out var v) ? v : null;

    public static string? Str(PyDict d, string key) => d.TryGetValue(key, out var o) ? o as string : null;

    public static bool Bool(PyDict d, string key) => d.TryGetValue(key, out var o) && o is true;

    public static List<object?>? List(PyDict d, string key) => d.TryGetValue(key, out var o) ? o as List<object?> : null;

    /// <summary>segment_pool_id is a tuple in real files, a list in some synthetic ones.</summary>
    public static string PoolId(PyDict d)
    {
        if (!d.TryGetValue("segment_pool_id", out var o)) return "0,0";
        var items = o switch
        {
            PyTuple t => t.Items,
            List<object?> l => l.ToArray(),
            _ => [o],
        };
        return string.Join(',', items.Select(i => Convert.ToString(i, System.Globalization.CultureInfo.InvariantCulture)));
    }
}
