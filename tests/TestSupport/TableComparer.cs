using Memtrace.Schemas.Model;

namespace Memtrace.Tests;

/// <summary>The one deep comparer every table round trip goes through: same definition, rows, nulls and values (doubles bitwise).</summary>
internal static class TableComparer
{
    public static void AssertEqual(Table expected, Table actual)
    {
        if (expected.Def.Name != actual.Def.Name) throw new Xunit.Sdk.XunitException($"table {actual.Def.Name} != {expected.Def.Name}");
        if (expected.RowCount != actual.RowCount) throw new Xunit.Sdk.XunitException($"{expected.Def.Name}: {actual.RowCount} rows, expected {expected.RowCount}");
        for (var c = 0; c < expected.Columns.Count; c++)
        {
            var e = expected.Columns[c];
            var a = actual.Columns[c];
            for (var r = 0; r < expected.RowCount; r++)
            {
                var where = $"{expected.Def.Name}.{e.Def.Name}[{r}]";
                if (e.IsNull(r) != a.IsNull(r)) throw new Xunit.Sdk.XunitException($"{where}: null {a.IsNull(r)}, expected {e.IsNull(r)}");
                if (e.IsNull(r) && e.Def.Type != ColumnType.StringList) continue;
                var same = (e, a) switch
                {
                    (Int64Column x, Int64Column y) => x[r] == y[r],
                    (Float64Column x, Float64Column y) => BitConverter.DoubleToInt64Bits(x[r]) == BitConverter.DoubleToInt64Bits(y[r]),
                    (BoolColumn x, BoolColumn y) => x[r] == y[r],
                    (StringColumn x, StringColumn y) => x[r] == y[r],
                    (StringListColumn x, StringListColumn y) => x[r].SequenceEqual(y[r]),
                    _ => false,
                };
                if (!same) throw new Xunit.Sdk.XunitException($"{where}: values differ");
            }
        }
    }

    /// <summary>A cell as another reader hands it back (DuckDB, a DataFrame): null, or the boxed value; a list cell joined by <paramref name="listSeparator"/>.</summary>
    public static object? Cell(Column column, int row, string listSeparator) => column.IsNull(row) ? null : column switch
    {
        Int64Column x => x[row],
        Float64Column x => x[row],
        BoolColumn x => x[row],
        StringColumn x => x[row],
        StringListColumn x => string.Join(listSeparator, x[row]),
        _ => throw new InvalidOperationException(column.GetType().Name),
    };
}
