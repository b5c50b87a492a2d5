namespace Memtrace.Schemas.Model;

/// <summary>The time span a table covers, over its time columns (ts_ns, or window_start_ns for aggregates).</summary>
public static class TableTime
{
    private static readonly string[] TimeColumns = [ClockColumns.TsNs, ClockColumns.WindowStartNs];

    public static (long? Min, long? Max) Range(Table t)
    {
        long? lo = null, hi = null;
        foreach (var name in TimeColumns)
        {
            if (!t.Def.Columns.Any(c => c.Name == name)) continue;
            var col = t.Get<Int64Column>(name);
            for (var i = 0; i < col.Count; i++)
            {
                if (col.IsNull(i)) continue;
                var v = col[i];
                lo = lo is null || v < lo ? v : lo;
                hi = hi is null || v > hi ? v : hi;
            }
        }
        return (lo, hi);
    }
}
