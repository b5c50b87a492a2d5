namespace Memtrace.Schemas.Model;

/// <summary>
/// A string column stored dictionary-coded: one int per row (0 = null, k = the k-th distinct value) and each
/// distinct string once. host, source_id, pool, op and cgroup_path repeat on every row, so a row costs 4 bytes
/// instead of an 8-byte reference the GC must trace: a day of 2 Hz samples for 20 workloads held tens of
/// millions of references, and every full GC walked them. Codes are in order of first appearance.
/// </summary>
public sealed class StringColumn(ColumnDef def) : Column(def)
{
    private int[] _codes = [];
    private int _count;
    private readonly List<string> _dictionary = [];
    private readonly Dictionary<string, int> _lookup = new(StringComparer.Ordinal);
    private string? _last;
    private int _lastCode;

    public override int Count => _count;

    public string? this[int row]
    {
        get
        {
            if ((uint)row >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(row), row, $"column {Def.Name} has {_count} rows");
            var code = _codes[row];
            return code == 0 ? null : _dictionary[code - 1];
        }
    }

    /// <summary>The row's code: 0 for null, k for the k-th distinct value. Within one column equal codes are equal
    /// values, so scans that only compare rows (run cutting, per-row lookups) need no string.</summary>
    public int CodeAt(int row)
    {
        if ((uint)row >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(row), row, $"column {Def.Name} has {_count} rows");
        return _codes[row];
    }

    /// <summary>The value of a code from <see cref="CodeAt"/> (null for 0).</summary>
    public string? ValueOfCode(int code) => code == 0 ? null : _dictionary[code - 1];

    /// <summary>Distinct non-null values so far.</summary>
    public int DistinctCount => _dictionary.Count;

    public override bool IsNull(int row) => this[row] is null;

    public override void Reserve(int capacity)
    {
        if (capacity > _codes.Length) Array.Resize(ref _codes, capacity);
    }

    public void Append(string? value)
    {
        if (value is null) AppendNull();
        else Push(CodeOf(value));
    }

    public override void AppendNull()
    {
        if (!Def.Nullable) throw new InvalidOperationException($"column {Def.Name} is not nullable");
        Push(0);
    }

    /// <summary>Appends <paramref name="count"/> copies of one value (a file's source, host or pool on every row) in one fill.</summary>
    public void AppendRepeated(string? value, int count)
    {
        if (value is null && !Def.Nullable) throw new InvalidOperationException($"column {Def.Name} is not nullable");
        var code = value is null ? 0 : CodeOf(value);
        Reserve(Math.Max(_count + count, _codes.Length));
        _codes.AsSpan(_count, count).Fill(code);
        _count += count;
    }

    /// <summary>Appends every cell of <paramref name="other"/> (the same column of another table, so nulls are allowed alike).</summary>
    public void AppendColumn(StringColumn other)
    {
        var map = new int[other._dictionary.Count + 1];
        for (var k = 0; k < other._dictionary.Count; k++) map[k + 1] = CodeOf(other._dictionary[k]);
        Reserve(Math.Max(_count + other._count, _codes.Length));
        for (var i = 0; i < other._count; i++) _codes[_count + i] = map[other._codes[i]];
        _count += other._count;
    }

    /// <summary>
    /// Appends a value given as UTF-8 (an Arrow string array's bytes): the string is made only the first time the
    /// value is seen, so reading a result table back costs one string per distinct value, not one per row.
    /// </summary>
    public void AppendUtf8(ReadOnlySpan<byte> utf8)
    {
        var chars = System.Buffers.ArrayPool<char>.Shared.Rent(System.Text.Encoding.UTF8.GetMaxCharCount(utf8.Length));
        try
        {
            var n = System.Text.Encoding.UTF8.GetChars(utf8, chars);
            var span = chars.AsSpan(0, n);
            if (_last is not null && span.SequenceEqual(_last)) Push(_lastCode);
            else if (_lookup.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(span, out var code))
            {
                (_last, _lastCode) = (_dictionary[code - 1], code);
                Push(code);
            }
            else Push(CodeOf(new string(span)));
        }
        finally
        {
            System.Buffers.ArrayPool<char>.Shared.Return(chars);
        }
    }


    private void Push(int code)
    {
        if (_count == _codes.Length) Reserve(Math.Max(16, _codes.Length * 2));
        _codes[_count++] = code;
    }

    private int CodeOf(string value)
    {
        if (_last is not null && string.Equals(_last, value, StringComparison.Ordinal)) return _lastCode;
        if (!_lookup.TryGetValue(value, out var code))
        {
            _dictionary.Add(value);
            code = _dictionary.Count;
            _lookup.Add(value, code);
        }
        _last = value;
        _lastCode = code;
        return code;
    }

    // Parallel bulk fill (see ValueColumn): BeginFill sizes the column to `rows` nulls; each decoder maps its
    // chunk's distinct values to codes under the column's lock (once per dictionary page, not per row) and then
    // writes codes into its own rows without one.

    internal override void BeginFill(int rows)
    {
        _codes = new int[rows];
        _count = rows;
        _dictionary.Clear();
        _lookup.Clear();
        _last = null;
    }

    /// <summary>The column's codes for <paramref name="values"/>, in order.</summary>
    internal void MapForFill(ReadOnlySpan<string> values, Span<int> codes)
    {
        lock (_lookup)
        {
            for (var i = 0; i < values.Length; i++) codes[i] = CodeOf(values[i]);
        }
    }

    internal Span<int> FillCodes() => _codes.AsSpan(0, _count);

    public override bool IsConstant => _count > 0 && _codes[0] != 0 && Codes.IndexOfAnyExcept(_codes[0]) < 0;

    /// <summary>The rows' codes (see <see cref="CodeAt"/>), for a page writer or a scan that only compares rows.</summary>
    public ReadOnlySpan<int> Codes => _codes.AsSpan(0, _count);

    internal override void EndFill()
    {
        if (!Def.Nullable && FillCodes().Contains(0)) throw new InvalidDataException($"column {Def.Name} is not nullable but the file holds nulls in it");
    }
}
