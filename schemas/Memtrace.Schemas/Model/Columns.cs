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

    /// <summary>Whether every cell holds one and the same value, none null (a file's host, pid, device or pool), in one
    /// vectorised scan: scans that only compare rows skip such a column. False for an empty column and for kinds that do
    /// not say.</summary>
    public virtual bool IsConstant => false;

    /// <summary>Parallel bulk fill (the archive's page decoder): the column becomes <paramref name="rows"/> null cells that decoders overwrite, each in its own rows.</summary>
    internal abstract void BeginFill(int rows);

    /// <summary>After every decoder filled its rows: settles the column's representation and refuses nulls where the column allows none.</summary>
    internal virtual void EndFill()
    {
    }

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
/// <summary>
/// Values and, once a null appears among values, a validity map. A column that has held only nulls so far
/// holds no arrays at all: optional columns (cgroup v1-only stats on a v2 host, MemStats fields a source
/// does not expose) are null on every row, and a day of 2 Hz samples spent 9 bytes a row on each of them.
/// </summary>
public abstract class ValueColumn<T> : Column where T : struct
{
    /// <summary>Null while every one of the <see cref="_count"/> cells is null.</summary>
    private T[]? _values;
    private bool[]? _valid;
    private int _count;
    private int _capacityHint = 16;

    protected ValueColumn(ColumnDef def) : base(def) { }

    public override int Count => _count;
    public ReadOnlySpan<T> Values => Materialize().AsSpan(0, _count);
    public bool HasNulls => _valid is not null || (_values is null && _count > 0);

    public T this[int row] => _values is null ? default : _values[row];

    public T? Get(int row) => IsNull(row) ? null : _values![row];

    /// <summary>For a page writer or a bulk reader: the cells [start, start + n) as stored, values null while every cell is
    /// null and validity null while every cell is valid (what a null cell holds in values is undefined).</summary>
    public (ReadOnlyMemory<T>? Values, ReadOnlyMemory<bool>? Valid) Stored(int start, int n) =>
        (_values?.AsMemory(start, n), _values is null ? null : _valid?.AsMemory(start, n));

    public override bool IsNull(int row) => _values is null || (_valid is not null && !_valid[row]);

    public override void Reserve(int capacity)
    {
        if (_values is null)
        {
            _capacityHint = Math.Max(_capacityHint, capacity);
            return;
        }
        if (capacity <= _values.Length) return;
        Array.Resize(ref _values, capacity);
        if (_valid is not null) Array.Resize(ref _valid, capacity);
    }

    /// <summary>The value array, created (with every cell so far null) on the first real value.</summary>
    private T[] Materialize()
    {
        if (_values is not null) return _values;
        _values = new T[Math.Max(_capacityHint, _count)];
        if (_count > 0) _valid = new bool[_values.Length];
        return _values;
    }

    private void Grow(int needed)
    {
        var values = Materialize();
        if (needed > values.Length) Reserve(Math.Max(needed, values.Length * 2));
    }

    public void Append(T value)
    {
        Grow(_count + 1);
        if (_valid is not null) _valid[_count] = true;
        _values![_count++] = value;
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

    /// <summary>
    /// Takes <paramref name="values"/> as the column's storage, its first <paramref name="count"/> cells the column's: an
    /// importer's parsed array becomes the column without a copy (the caller gives the array up). <paramref name="valid"/>,
    /// as long as the values, marks null cells false. Only an empty column adopts.
    /// </summary>
    public void Adopt(T[] values, int count, bool[]? valid = null)
    {
        if (_count != 0) throw new InvalidOperationException($"column {Def.Name} adopts an array only while empty");
        if ((uint)count > (uint)values.Length || (valid is not null && valid.Length != values.Length)) throw new ArgumentException($"column {Def.Name}: {count} cells of a {values.Length}-cell array, validity of {valid?.Length}");
        if (valid is not null && !Def.Nullable) throw new InvalidOperationException($"column {Def.Name} is not nullable");
        (_values, _valid, _count) = (values, valid, count);
    }

    /// <summary>Appends <paramref name="count"/> copies of one value (a file's pid or device on every row) in one fill.</summary>
    public void AppendRepeated(T value, int count)
    {
        Grow(_count + count);
        _values.AsSpan(_count, count).Fill(value);
        if (_valid is not null) _valid.AsSpan(_count, count).Fill(true);
        _count += count;
    }

    /// <summary>Appends <paramref name="count"/> nulls: a column no row of the source fills (it stays without arrays if it has none).</summary>
    public void AppendNulls(int count)
    {
        if (!Def.Nullable) throw new InvalidOperationException($"column {Def.Name} is not nullable");
        if (_values is null) _count += count;
        else for (var i = 0; i < count; i++) AppendNull();
    }

    /// <summary>Bulk append of nullable values (a Parquet or Arrow column read back).</summary>
    public void AppendRange(ReadOnlySpan<T?> values)
    {
        foreach (var v in values) Append(v);
    }

    /// <summary>Appends every cell of <paramref name="other"/>: span copies, nulls included (AppendTable of a source's table).</summary>
    public void AppendColumn(ValueColumn<T> other)
    {
        var n = other._count;
        if (other._values is null)
        {
            if (_values is null && Def.Nullable) _count += n;
            else for (var i = 0; i < n; i++) AppendNull();
            return;
        }
        if (other._valid is null)
        {
            AppendRange(other._values.AsSpan(0, n));
            return;
        }
        if (!Def.Nullable) throw new InvalidOperationException($"column {Def.Name} is not nullable");
        Grow(_count + n);
        if (_valid is null)
        {
            _valid = new bool[_values!.Length];
            _valid.AsSpan(0, _count).Fill(true);
        }
        other._values.AsSpan(0, n).CopyTo(_values.AsSpan(_count));
        other._valid.AsSpan(0, n).CopyTo(_valid.AsSpan(_count));
        _count += n;
    }

    // Parallel bulk fill (the archive reader decodes row groups × columns at once, each unit into its own rows).
    // Between BeginFill and EndFill the column holds `rows` cells; the value array is created by the first unit
    // that has a value and the validity map by the first that has a null, so an all-null column still holds no
    // arrays and an all-valid one no validity. Units write disjoint rows; creation is under the column's lock.

    internal override void BeginFill(int rows)
    {
        _values = null;
        _valid = null;
        _count = rows;
    }

    internal Span<T> FillValues()
    {
        lock (this) return _values ??= new T[_count];
    }

    /// <summary>The validity map, every row valid until a unit writes false into its own null rows.</summary>
    internal Span<bool> FillValidity()
    {
        lock (this)
        {
            if (_valid is null)
            {
                var valid = new bool[_count];
                valid.AsSpan().Fill(true);
                _valid = valid;
            }
            return _valid;
        }
    }

    internal override void EndFill()
    {
        if (_values is null) _valid = null;
        else if (_valid is not null && !_valid.AsSpan().Contains(false)) _valid = null;
        if (!Def.Nullable && (_valid is not null || (_values is null && _count > 0)))
            throw new InvalidDataException($"column {Def.Name} is not nullable but the file holds nulls in it");
    }

    public override void AppendNull()
    {
        if (!Def.Nullable) throw new InvalidOperationException($"column {Def.Name} is not nullable");
        if (_values is null)
        {
            _count++;
            return;
        }
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

public sealed class Int64Column(ColumnDef def) : ValueColumn<long>(def)
{
    public override bool IsConstant => Count > 0 && Stored(0, Count) is ({ } values, null) && values.Span.IndexOfAnyExcept(values.Span[0]) < 0;
}

public sealed class Float64Column(ColumnDef def) : ValueColumn<double>(def);

public sealed class BoolColumn(ColumnDef def) : ValueColumn<bool>(def);

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

    /// <summary>Parallel bulk fill: <paramref name="rows"/> empty lists that decoders overwrite by row.</summary>
    internal override void BeginFill(int rows)
    {
        _values.Clear();
        System.Runtime.InteropServices.CollectionsMarshal.SetCount(_values, rows);
        FillSpan().Fill([]);
    }

    internal Span<string[]> FillSpan() => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_values);
}
