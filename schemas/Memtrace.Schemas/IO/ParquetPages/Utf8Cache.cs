using System.Text;

namespace Memtrace.Schemas.IO.ParquetPages;

/// <summary>
/// One string instance per distinct value of a column chunk. host, source_id, pool, op and cgroup_path repeat on
/// every row ("torch-caching", "alloc", …), so the decoder compares bytes with the previous value and then with a
/// small direct-mapped table before it decodes UTF-8: a repeated value costs a compare, not an allocation, and a
/// day of 2 Hz samples does not keep millions of equal strings alive. High-cardinality columns (messages, frames)
/// just miss and decode.
/// </summary>
internal sealed class Utf8Cache
{
    private const int Slots = 256;
    private const int MaxCachedBytes = 256;

    private readonly byte[]?[] _keys = new byte[]?[Slots];
    private readonly string[] _values = new string[Slots];
    private byte[] _lastKey = [];
    private string _last = "";
    private string? _lastJson;
    private string[] _lastList = [];

    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.SequenceEqual(_lastKey)) return _last;
        if (utf8.Length > MaxCachedBytes) return Encoding.UTF8.GetString(utf8);
        var slot = (int)((uint)HashCode.Combine(utf8.Length, utf8.Length >= 8 ? BitConverter.ToInt64(utf8[^8..]) : Tail(utf8)) % Slots);
        if (_keys[slot] is { } key && utf8.SequenceEqual(key))
        {
            _lastKey = key;
            return _last = _values[slot];
        }
        var s = Encoding.UTF8.GetString(utf8);
        _keys[slot] = _lastKey = utf8.ToArray();
        _values[slot] = _last = s;
        return s;
    }

    /// <summary>A list column's cell: the archive stores it as one JSON array string per row.</summary>
    public string[] List(string json, string column)
    {
        if (ReferenceEquals(json, _lastJson)) return _lastList;
        _lastList = System.Text.Json.JsonSerializer.Deserialize(json, SchemasJson.Default.StringArray) ?? throw new InvalidDataException($"column {column}: not a JSON string array");
        _lastJson = json;
        return _lastList;
    }

    private static long Tail(ReadOnlySpan<byte> utf8)
    {
        long v = 0;
        foreach (var b in utf8) v = (v << 8) | b;
        return v;
    }
}
