namespace Memtrace.Schemas.Model;

/// <summary>Applies a table's declared sort key with a stable sort, so equal keys keep arrival order.</summary>
public static class TableSort
{
    public static Table ByKey(Table t)
    {
        if (IsSorted(t, t.Def.SortKey)) return t;
        var keys = t.Def.SortKey.Select(k => RowComparer(t[k])).ToArray();
        var order = Enumerable.Range(0, t.RowCount).ToArray();
        var cmp = Comparer<int>.Create((a, b) =>
        {
            foreach (var k in keys)
            {
                var c = k(a, b);
                if (c != 0) return c;
            }
            return a.CompareTo(b);
        });
        Array.Sort(order, cmp);
        return IsIdentity(order) ? t : t.Permute(order);
    }

    /// <summary>
    /// Importers mostly emit rows in key order already; one linear check saves the sort. It runs column by column, each a
    /// tight loop over the rows still tied on the columns before it (host, pid, device and pool are one value on most
    /// tables' rows): 5 M rmm rows took 0.31 s checked a row at a time through CompareCell, 0.05 s this way. A constant
    /// column is skipped, and the check ends once no rows are tied.
    /// </summary>
    private static bool IsSorted(Table t, IReadOnlyList<string> sortKey)
    {
        var n = t.RowCount;
        if (n < 2) return true;
        var tied = new bool[n]; // rows r - 1 and r are equal on the key columns checked so far
        tied.AsSpan(1).Fill(true);
        foreach (var key in sortKey)
        {
            // No rows tied any more: the columns after decide nothing. A column of one value keeps every tie as it is.
            if (System.Runtime.InteropServices.MemoryMarshal.Cast<bool, byte>(tied.AsSpan()).IndexOf((byte)1) < 0) return true;
            if (t[key].IsConstant) continue;
            if (!StillSorted(t[key], tied)) return false;
        }
        return true;
    }


    private static bool StillSorted(Column c, bool[] tied)
    {
        switch (c)
        {
            case StringColumn s:
            {
                var codes = s.Codes;
                for (var r = 1; r < tied.Length; r++)
                {
                    if (!tied[r] || codes[r] == codes[r - 1]) continue;
                    if (CompareCell(s, r - 1, r) > 0) return false;
                    tied[r] = false;
                }
                return true;
            }
            case Int64Column l when l.Stored(0, l.Count) is ({ } stored, null):
            {
                var values = stored.Span;
                for (var r = 1; r < tied.Length; r++)
                {
                    if (!tied[r] || values[r] == values[r - 1]) continue;
                    if (values[r - 1] > values[r]) return false;
                    tied[r] = false;
                }
                return true;
            }
            default:
                for (var r = 1; r < tied.Length; r++)
                {
                    if (!tied[r]) continue;
                    var cmp = CompareCell(c, r - 1, r);
                    if (cmp > 0) return false;
                    if (cmp < 0) tied[r] = false;
                }
                return true;
        }
    }

    /// <summary>
    /// <see cref="CompareCell(Column, int, int)"/> for one column, its type resolved once: equal string codes are equal
    /// values, and a column without nulls compares its values directly.
    /// </summary>
    private static Func<int, int, int> RowComparer(Column c)
    {
        switch (c)
        {
            case StringColumn s:
                return (a, b) => s.CodeAt(a) == s.CodeAt(b) ? 0 : CompareCell(s, a, b);
            case Int64Column l when l.Stored(0, l.Count) is ({ } values, null):
                return (a, b) => values.Span[a].CompareTo(values.Span[b]);
            default:
                return (a, b) => CompareCell(c, a, b);
        }
    }

    /// <summary>
    /// Tables each sorted by their key, as one table in key order: rows with equal keys come in table order, then row
    /// order, so the result is exactly <see cref="ByKey"/> of their concatenation, in O(n log k) comparisons instead
    /// of O(n log n). A fleet merge joins its units' sorted tables with it.
    /// </summary>
    public static Table MergeSorted(TableDef def, IReadOnlyList<Table> sorted)
    {
        for (var i = 0; i < sorted.Count; i++)
            if (!IsSorted(sorted[i], def.SortKey)) throw new ArgumentException($"{def.Name}: input {i} is not sorted by its key", nameof(sorted));
        var all = new Table(def, sorted.Sum(t => t.RowCount));
        if (DisjointOrder(def, sorted) is { } blocks)
        {
            // Inputs whose key ranges do not overlap (a fleet's units: each holds its own hosts and sources) merge by
            // putting whole inputs in order, column by column, with no row-by-row comparison or copy.
            foreach (var i in blocks) all.AppendTable(sorted[i]);
            return all;
        }
        var starts = new int[sorted.Count + 1];
        for (var i = 0; i < sorted.Count; i++)
        {
            all.AppendTable(sorted[i]);
            starts[i + 1] = all.RowCount;
        }
        var keys = def.SortKey.Select(k => all[k]).ToArray();
        // The heads of the runs, ordered by their row's key, then by run: the run index breaks ties, as concatenation order would.
        var heads = new PriorityQueue<int, int>(Comparer<int>.Create((a, b) =>
        {
            foreach (var k in keys)
            {
                var c = CompareCell(k, a, b);
                if (c != 0) return c;
            }
            return a.CompareTo(b);
        }));
        var next = new int[sorted.Count];
        var runOf = new int[all.RowCount];
        for (var i = 0; i < sorted.Count; i++)
        {
            for (var r = starts[i]; r < starts[i + 1]; r++) runOf[r] = i;
            next[i] = starts[i];
            if (starts[i] < starts[i + 1]) heads.Enqueue(starts[i], starts[i]);
        }
        var order = new int[all.RowCount];
        var n = 0;
        while (heads.TryDequeue(out var row, out _))
        {
            order[n++] = row;
            var run = runOf[row];
            if (++next[run] < starts[run + 1]) heads.Enqueue(next[run], next[run]);
        }
        return IsIdentity(order) ? all : all.Permute(order);
    }

    /// <summary>
    /// The order of the inputs when their key ranges are disjoint (each one's last row sorts before the next one's
    /// first, or equal to it with the lower input first, which is where a stable sort puts it); null when they overlap.
    /// </summary>
    private static int[]? DisjointOrder(TableDef def, IReadOnlyList<Table> sorted)
    {
        var order = Enumerable.Range(0, sorted.Count).Where(i => sorted[i].RowCount > 0).ToList();
        int Compare(int x, int rx, int y, int ry)
        {
            foreach (var k in def.SortKey)
            {
                var c = CompareCell(sorted[x][k], rx, sorted[y][k], ry);
                if (c != 0) return c;
            }
            return 0;
        }
        order.Sort((x, y) => Compare(x, 0, y, 0) is var c && c != 0 ? c : x.CompareTo(y));
        for (var j = 1; j < order.Count; j++)
        {
            var (p, q) = (order[j - 1], order[j]);
            var c = Compare(p, sorted[p].RowCount - 1, q, 0);
            if (c > 0 || c == 0 && p > q) return null;
        }
        return [.. order, .. Enumerable.Range(0, sorted.Count).Where(i => sorted[i].RowCount == 0)];
    }

    private static bool IsIdentity(int[] order)
    {
        for (var i = 0; i < order.Length; i++) if (order[i] != i) return false;
        return true;
    }

    /// <summary>Nulls sort first, as in SQL's NULLS FIRST.</summary>
    public static int CompareCell(Column c, int a, int b) => CompareCell(c, a, c, b);

    /// <summary>Row <paramref name="a"/> of one column against row <paramref name="b"/> of another of the same type.</summary>
    public static int CompareCell(Column c, int a, Column d, int b)
    {
        var na = c.IsNull(a);
        var nb = d.IsNull(b);
        if (na || nb) return na == nb ? 0 : na ? -1 : 1;
        return (c, d) switch
        {
            (Int64Column x, Int64Column y) => x[a].CompareTo(y[b]),
            (Float64Column x, Float64Column y) => x[a].CompareTo(y[b]),
            (BoolColumn x, BoolColumn y) => x[a].CompareTo(y[b]),
            (StringColumn x, StringColumn y) => string.CompareOrdinal(x[a], y[b]),
            _ => 0,
        };
    }
}
