namespace Memtrace.Schemas.Model;

/// <summary>Applies a table's declared sort key with a stable sort, so equal keys keep arrival order.</summary>
public static class TableSort
{
    public static Table ByKey(Table t)
    {
        var keys = t.Def.SortKey.Select(k => t[k]).ToArray();
        if (IsSorted(t, keys)) return t;
        var order = Enumerable.Range(0, t.RowCount).ToArray();
        var cmp = Comparer<int>.Create((a, b) =>
        {
            foreach (var k in keys)
            {
                var c = CompareCell(k, a, b);
                if (c != 0) return c;
            }
            return a.CompareTo(b);
        });
        Array.Sort(order, cmp);
        return IsIdentity(order) ? t : t.Permute(order);
    }

    /// <summary>Importers mostly emit rows in key order already; one linear check saves the sort.</summary>
    private static bool IsSorted(Table t, Column[] keys)
    {
        for (var r = 1; r < t.RowCount; r++)
        {
            foreach (var k in keys)
            {
                var c = CompareCell(k, r - 1, r);
                if (c < 0) goto next;
                if (c > 0) return false;
            }
        next:;
        }
        return true;
    }

    private static bool IsIdentity(int[] order)
    {
        for (var i = 0; i < order.Length; i++) if (order[i] != i) return false;
        return true;
    }

    /// <summary>Nulls sort first, as in SQL's NULLS FIRST.</summary>
    private static int CompareCell(Column c, int a, int b)
    {
        var na = c.IsNull(a);
        var nb = c.IsNull(b);
        if (na || nb) return na == nb ? 0 : na ? -1 : 1;
        return c switch
        {
            Int64Column x => x[a].CompareTo(x[b]),
            Float64Column x => x[a].CompareTo(x[b]),
            BoolColumn x => x[a].CompareTo(x[b]),
            StringColumn x => string.CompareOrdinal(x[a], x[b]),
            _ => 0,
        };
    }
}
