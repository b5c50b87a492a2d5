namespace Memtrace.Schemas.Model;

/// <summary>
/// A column as its table file declares it: the one place its name is written. Readers and writers
/// reach a table's column through this handle (<c>t[ProcSamples.VmRss]</c>), so a misspelt or
/// retyped column does not compile; the handle converts to the <see cref="ColumnDef"/> the table
/// lists.
/// </summary>
public abstract class ColumnKey(ColumnDef def)
{
    public ColumnDef Def { get; } = def;
    public string Name => Def.Name;

    /// <summary>
    /// The table definition this handle was last looked up in and the column's position there, so a lookup in the
    /// same table costs a reference compare instead of a string hash. One immutable object, swapped whole, so
    /// threads that read tables at once see a pair that belongs together.
    /// </summary>
    internal Slot? LastSlot;

    internal sealed record Slot(TableDef Table, int Index);

    public static implicit operator ColumnDef(ColumnKey key) => key.Def;

    /// <summary>The handles' names, for a reader that decodes only some columns of a file.</summary>
    public static IReadOnlySet<string> NameSet(params ColumnKey[] keys) => keys.Select(k => k.Name).ToHashSet(StringComparer.Ordinal);

    public override string ToString() => Def.Name;
}

/// <summary>An Int64 column's handle.</summary>
public sealed class I64Key(ColumnDef def) : ColumnKey(def);

/// <summary>A Float64 column's handle.</summary>
public sealed class F64Key(ColumnDef def) : ColumnKey(def);

/// <summary>A String column's handle.</summary>
public sealed class StrKey(ColumnDef def) : ColumnKey(def);

/// <summary>A Bool column's handle.</summary>
public sealed class BoolKey(ColumnDef def) : ColumnKey(def);

/// <summary>A StringList column's handle.</summary>
public sealed class StrListKey(ColumnDef def) : ColumnKey(def);
