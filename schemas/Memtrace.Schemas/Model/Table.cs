namespace Memtrace.Schemas.Model;

/// <summary>
/// Columnar rows of one <see cref="TableDef"/>. Writers append to typed columns and call
/// <see cref="CommitRow"/>; any column left unset in that row becomes null.
/// </summary>
public sealed class Table
{
    private readonly Column[] _columns;

    public Table(TableDef def, int capacity = 0)
    {
        Def = def;
        _columns = def.Columns.Select(Column.Create).ToArray();
        if (capacity > 0) foreach (var c in _columns) c.Reserve(capacity);
    }

    public TableDef Def { get; }
    public int RowCount { get; private set; }
    public IReadOnlyList<Column> Columns => _columns;

    /// <summary>A column by the name its definition gives; for code that walks a definition's own names (sort keys, layer lists, copies).</summary>
    public Column this[string name] => _columns[Def.IndexOf(name)];

    /// <summary>A column by name, of the type the caller expects; for code that walks a definition's own names.</summary>
    public TColumn Get<TColumn>(string name) where TColumn : Column => (TColumn)this[name];

    public Int64Column this[I64Key key] => (Int64Column)Of(key);
    public Float64Column this[F64Key key] => (Float64Column)Of(key);
    public BoolColumn this[BoolKey key] => (BoolColumn)Of(key);
    public StringColumn this[StrKey key] => (StringColumn)Of(key);
    public StringListColumn this[StrListKey key] => (StringListColumn)Of(key);

    /// <summary>A column of any type by its handle, for code that shows columns whatever their type (a report section's cells).</summary>
    public Column this[ColumnKey key] => Of(key);

    /// <summary>The key's column; a handle declared for another table's column of the same name is refused, not read.</summary>
    private Column Of(ColumnKey key)
    {
        if (key.LastSlot is { } slot && ReferenceEquals(slot.Table, Def)) return _columns[slot.Index];
        var at = Def.IndexOf(key.Name);
        if (!ReferenceEquals(_columns[at].Def, key.Def)) throw new ArgumentException($"table {Def.Name}: {key.Name} is another table's column handle");
        key.LastSlot = new ColumnKey.Slot(Def, at);
        return _columns[at];
    }

    /// <summary>Closes the current row: pads unset nullable columns, and rejects a row that set a column twice.</summary>
    public void CommitRow()
    {
        RowCount++;
        foreach (var c in _columns)
        {
            if (c.Count == RowCount) continue;
            if (c.Count == RowCount - 1) c.AppendNull();
            else throw new InvalidOperationException($"table {Def.Name}: column {c.Def.Name} has {c.Count} values at row {RowCount}");
        }
    }

    /// <summary>Declares that all columns were bulk-filled to the same length (for analyzers that build whole columns).</summary>
    public void SealBulk()
    {
        var n = _columns.Length == 0 ? 0 : _columns[0].Count;
        foreach (var c in _columns)
        {
            if (c.Count != n) throw new InvalidOperationException($"table {Def.Name}: column {c.Def.Name} has {c.Count} values, expected {n}");
        }
        RowCount = n;
    }

    /// <summary>Reorders rows by a permutation (used to apply the sort key).</summary>
    public Table Permute(int[] order)
    {
        var t = new Table(Def, order.Length);
        for (var ci = 0; ci < _columns.Length; ci++)
        {
            var src = _columns[ci];
            var dst = t._columns[ci];
            foreach (var r in order) CopyCell(src, r, dst);
        }
        t.RowCount = order.Length;
        return t;
    }

    /// <summary>Appends all rows of another table of the same definition.</summary>
    public void AppendTable(Table other)
    {
        if (other.Def.Name != Def.Name) throw new ArgumentException($"cannot append {other.Def.Name} to {Def.Name}");
        // Whole columns at once, null bitmaps included: cell by cell, appending a day of host samples from
        // 20 sources was a seventh of a run.
        for (var ci = 0; ci < _columns.Length; ci++)
        {
            switch (other._columns[ci])
            {
                case Int64Column s: ((Int64Column)_columns[ci]).AppendColumn(s); break;
                case Float64Column s: ((Float64Column)_columns[ci]).AppendColumn(s); break;
                case BoolColumn s: ((BoolColumn)_columns[ci]).AppendColumn(s); break;
                case StringColumn s: ((StringColumn)_columns[ci]).AppendColumn(s); break;
                case StringListColumn s: ((StringListColumn)_columns[ci]).AppendColumn(s); break;
                default: throw new InvalidOperationException(other._columns[ci].GetType().Name);
            }
        }
        RowCount += other.RowCount;
    }

    private static void CopyCell(Column src, int row, Column dst)
    {
        if (src.IsNull(row) && src.Def.Type != ColumnType.StringList)
        {
            dst.AppendNull();
            return;
        }
        switch (src)
        {
            case Int64Column s: ((Int64Column)dst).Append(s[row]); break;
            case Float64Column s: ((Float64Column)dst).Append(s[row]); break;
            case BoolColumn s: ((BoolColumn)dst).Append(s[row]); break;
            case StringColumn s: ((StringColumn)dst).Append(s[row]); break;
            case StringListColumn s: ((StringListColumn)dst).Append(s[row].ToArray()); break;
            default: throw new InvalidOperationException(src.GetType().Name);
        }
    }
}
