namespace Memtrace.Schemas.Model;

/// <summary>A growable column of one physical type. Validity is tracked only once a null is appended.</summary>
public abstract class Column
{
    protected Column(ColumnDef def) => Def = def;

    public ColumnDef Def { get; }
    public abstract int Count { get; }
    public abstract bool IsNull(int row);
    public abstract void AppendNull();
    public abstract void Reserve(int capacity);

    public static Column Create(ColumnDef def) => def.Type switch
    {
        ColumnType.Int64 => new Int64Column(def),
        ColumnType.Float64 => new Float64Column(def),
        ColumnType.Bool => new BoolColumn(def),
        ColumnType.String => new StringColumn(def),
        ColumnType.StringList => new StringListColumn(def),
        _ => throw new ArgumentOutOfRangeException(nameof(def)),
    };
}

/// <summary>Fixed-width values plus a lazily created validity array (Arrow style: none until a null is appended).</summary>
public abstract class ValueColumn<T> : Column where T : struct
{
    private T[] _values = new T[16];
    private bool[]? _valid;
    private int _count;

    protected ValueColumn(ColumnDef def) : base(def) { }

    public override int Count => _count;
    public ReadOnlySpan<T> Values => _values.AsSpan(0, _count);
    public bool HasNulls => _valid is not null;

    public T this[int row] => _values[row];

    public T? Get(int row) => IsNull(row) ? null : _values[row];

    public override bool IsNull(int row) => _valid is not null && !_valid[row];

    public override void Reserve(int capacity)
    {
        if (capacity <= _values.Length) return;
        Array.Resize(ref _values, capacity);
        if (_valid is not null) Array.Resize(ref _valid, capacity);
    }

    private void Grow(int needed)
    {
        if (needed > _values.Length) Reserve(Math.Max(needed, _values.Length * 2));
    }

    public void Append(T value)
    {
        Grow(_count + 1);
        if (_valid is not null) _valid[_count] = true;
        _values[_count++] = value;
    }

    public void Append(T? value)
    {
        if (value is { } v) Append(v);
        else AppendNull();
    }

    public void AppendRange(ReadOnlySpan<T> values)
    {
        Grow(_count + values.Length);
        values.CopyTo(_values.AsSpan(_count));
        if (_valid is not null) _valid.AsSpan(_count, values.Length).Fill(true);
        _count += values.Length;
    }

    /// <summary>Bulk append of nullable values (a Parquet or Arrow column read back).</summary>
    public void AppendRange(ReadOnlySpan<T?> values)
    {
        Grow(_count + values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            if (values[i] is { } v)
            {
                if (_valid is not null) _valid[_count] = true;
                _values[_count++] = v;
            }
            else AppendNull();
        }
    }

    /// <summary>Appends every cell of <paramref name="other"/>: two span copies, nulls included (AppendTable of a source's table).</summary>
    public void AppendColumn(ValueColumn<T> other)
    {
        if (other._valid is null)
        {
            AppendRange(other.Values);
            return;
        }
        if (!Def.Nullable) throw new InvalidOperationException($"column {Def.Name} is not nullable");
        var n = other._count;
        if (_valid is null)
        {
            _valid = new bool[_values.Length];
            _valid.AsSpan(0, _count).Fill(true);
        }
        Grow(_count + n);
        other._values.AsSpan(0, n).CopyTo(_values.AsSpan(_count));
        other._valid.AsSpan(0, n).CopyTo(_valid.AsSpan(_count));
        _count += n;
    }

    public override void AppendNull()
    {
        if (!Def.Nullable) throw new InvalidOperationException($"column {Def.Name} is not nullable");
        if (_valid is null)
        {
            _valid = new bool[_values.Length];
            _valid.AsSpan(0, _count).Fill(true);
        }
        Grow(_count + 1);
        _values[_count] = default;
        _valid[_count++] = false;
    }
}

public sealed class Int64Column(ColumnDef def) : ValueColumn<long>(def);

public sealed class Float64Column(ColumnDef def) : ValueColumn<double>(def);

public sealed class BoolColumn(ColumnDef def) : ValueColumn<bool>(def);

public sealed class StringColumn(ColumnDef def) : Column(def)
{
    private readonly List<string?> _values = new();

    public override int Count => _values.Count;
    public string? this[int row] => _values[row];
    public override bool IsNull(int row) => _values[row] is null;
    public override void Reserve(int capacity) => _values.EnsureCapacity(capacity);

    public void Append(string? value)
    {
        if (value is null) AppendNull();
        else _values.Add(value);
    }

    public override void AppendNull()
    {
        if (!Def.Nullable) throw new InvalidOperationException($"column {Def.Name} is not nullable");
        _values.Add(null);
    }

    /// <summary>Appends every cell of <paramref name="other"/> (the same column of another table, so nulls are allowed alike).</summary>
    public void AppendColumn(StringColumn other) => _values.AddRange(other._values);
}

public sealed class StringListColumn(ColumnDef def) : Column(def)
{
    private readonly List<string[]> _values = new();

    public override int Count => _values.Count;
    public IReadOnlyList<string> this[int row] => _values[row];
    public override bool IsNull(int row) => false;
    public override void Reserve(int capacity) => _values.EnsureCapacity(capacity);
    public void Append(string[] value) => _values.Add(value);

    /// <summary>Lists are never null; a missing list is stored empty.</summary>
    public override void AppendNull() => _values.Add([]);

    /// <summary>Appends every list of <paramref name="other"/>; the arrays are shared, as nothing writes to a stored list.</summary>
    public void AppendColumn(StringListColumn other) => _values.AddRange(other._values);
}
