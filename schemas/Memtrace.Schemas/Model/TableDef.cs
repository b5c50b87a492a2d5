namespace Memtrace.Schemas.Model;

/// <summary>Physical type of a column. Integers are always 64-bit: byte counts on a 64-bit address space do not fit anything smaller.</summary>
public enum ColumnType
{
    Int64,
    Float64,
    String,
    Bool,
    /// <summary>A list of strings, e.g. a call stack's frames, innermost first.</summary>
    StringList,
}

/// <summary>Where a table lives: in the trace archive (Parquet) or in a run's results (Arrow IPC).</summary>
public enum TableKind
{
    Raw,
    Result,
}

/// <summary>One column: its name, type, unit and the doc line users read in schemas/README.md.</summary>
public sealed record ColumnDef(string Name, ColumnType Type, bool Nullable, string Unit, string Doc);

/// <summary>
/// The single definition of a table. The Parquet schema, the Arrow schema and the README are all
/// generated from this object, so they cannot disagree.
/// </summary>
public sealed class TableDef
{
    public TableDef(string name, int version, TableKind kind, string doc, ColumnDef[] sortKey, ColumnDef[] columns)
    {
        Name = name;
        Version = version;
        Kind = kind;
        Doc = doc;
        Columns = columns;
        for (var i = 0; i < columns.Length; i++)
        {
            if (!_index.TryAdd(columns[i].Name, i)) throw new ArgumentException($"table {name}: column {columns[i].Name} declared twice");
        }
        foreach (var k in sortKey)
        {
            if (!_index.TryGetValue(k.Name, out var at) || !ReferenceEquals(columns[at], k)) throw new ArgumentException($"table {name}: sort key {k.Name} is not one of its columns");
        }
        SortKey = [.. sortKey.Select(k => k.Name)];
    }

    public string Name { get; }
    public int Version { get; }
    public TableKind Kind { get; }
    public string Doc { get; }
    public IReadOnlyList<string> SortKey { get; }
    public IReadOnlyList<ColumnDef> Columns { get; }

    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);

    /// <summary>Column position by name; a dictionary because importers look columns up for every row.</summary>
    public int IndexOf(string column)
    {
        return _index.TryGetValue(column, out var idx) ? idx : throw new KeyNotFoundException($"table {Name} has no column {column}");
    }
}

/// <summary>Terse constructors so a table file reads like a schema listing; each returns the column's handle.</summary>
public static class Col
{
    public static I64Key I64(string name, string unit, string doc, bool nullable = false) => new(new(name, ColumnType.Int64, nullable, unit, doc));
    public static F64Key F64(string name, string unit, string doc, bool nullable = false) => new(new(name, ColumnType.Float64, nullable, unit, doc));
    public static StrKey Str(string name, string doc, bool nullable = false) => new(new(name, ColumnType.String, nullable, "", doc));
    public static BoolKey Bool(string name, string doc, bool nullable = false) => new(new(name, ColumnType.Bool, nullable, "", doc));
    public static StrListKey StrList(string name, string doc) => new(new(name, ColumnType.StringList, false, "", doc));

    /// <summary>Every raw row says which imported file it came from, so any result traces back to a file.</summary>
    public static readonly StrKey SourceId = Str("source_id", "Archive source this row came from (see manifest.json).");
}

/// <summary>
/// The key every fragmentation result row carries: which pool of which process on which device,
/// and which archive source its events came from (each source replays on its own). One set of
/// handles shared by every table that lists <see cref="All"/>.
/// </summary>
public static class PoolKeyColumns
{
    public static readonly StrKey Host = Col.Str("host", "Host name, or empty.");
    public static readonly I64Key Pid = Col.I64("pid", "", "Process id; 0 when unknown.");
    public static readonly I64Key Device = Col.I64("device", "", "CUDA device ordinal.");
    public static readonly StrKey Pool = Col.Str("pool", "Allocator layer.");
    public static readonly StrKey SourceId = Col.Str("source_id", "Archive source the pool's events came from; each source replays on its own.");

    public static readonly ColumnKey[] All = [Host, Pid, Device, Pool, SourceId];
}
