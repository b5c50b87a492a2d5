using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;

namespace Memtrace.Collectors.Importers.Common;

/// <summary>
/// Counts rows that step back in time, per entity, in the order the importer produced them (file order).
/// This has to run at import: the archive stores every table sorted by its key, time included, so after
/// that a clock step or an out-of-order writer can no longer be seen. The entity is the key's columns
/// before its first time column (ts_ns or mono_ns): proc_samples steps per (host, pid), gpu_alloc_events
/// per (host, pid, device, pool).
/// </summary>
public static class FileOrderCheck
{
    public static void Run(Table t, StatsSink stats)
    {
        var timeAt = t.Def.SortKey.ToList().FindIndex(k => k is ClockColumns.TsNs or ClockColumns.MonoNs);
        if (timeAt <= 0 || t.RowCount < 2) return;
        var time = t.Get<Int64Column>(t.Def.SortKey[timeAt]);
        var entity = t.Def.SortKey.Take(timeAt).ToArray();
        var entityColumns = entity.Select(c => t[c]).ToArray();
        // A column with one value on every row (an rmm-csv file's host, pid, device and pool) never tells entities apart.
        var varying = entityColumns.Where(c => !c.IsConstant).ToArray();
        if (varying.Length == 0 && !time.HasNulls)
        {
            OneEntity(t, time.Values, timeAt, entity, entityColumns, stats);
            return;
        }
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        var who = "";
        var whoRow = -1;
        var previous = long.MinValue; // the entity's last time; long.MinValue before its first
        for (var r = 0; r < t.RowCount; r++)
        {
            if (time.IsNull(r)) continue;
            var ts = time[r];
            // Importers emit an entity's rows in runs, so the key string is built, and the map touched, once per run, not per row.
            if (whoRow < 0 || !SameEntity(varying, whoRow, r))
            {
                if (whoRow >= 0) last[who] = previous;
                who = string.Join('\u001f', entityColumns.Select(c => Cell(c, r)));
                whoRow = r;
                previous = last.GetValueOrDefault(who, long.MinValue);
            }
            if (ts < previous) Backwards(t, r, ts, previous, timeAt, entity, who, stats);
            previous = ts;
        }
    }

    /// <summary>The whole table is one entity and every row has a time: one pass over the times (5 M rmm-csv rows: ~0.1 s row by row through the columns).</summary>
    private static void OneEntity(Table t, ReadOnlySpan<long> times, int timeAt, string[] entity, Column[] entityColumns, StatsSink stats)
    {
        string? who = null;
        for (var r = 1; r < times.Length; r++)
        {
            if (times[r] >= times[r - 1]) continue;
            who ??= string.Join('\u001f', entityColumns.Select(c => Cell(c, 0)));
            Backwards(t, r, times[r], times[r - 1], timeAt, entity, who, stats);
        }
    }

    private static void Backwards(Table t, int row, long ts, long previous, int timeAt, string[] entity, string who, StatsSink stats) =>
        stats.Log(StatsCatalog.ClockBackwards, $"{t.Def.Name} row {row}", $"{t.Def.SortKey[timeAt]}={ts} after {previous} for {string.Join(",", entity)}={who.Replace('\u001f', ',')}",
            $"{(previous - ts) / 1e6:0.###} ms earlier than the row before it for the same entity; the archive keeps time order");


    private static bool SameEntity(Column[] columns, int a, int b)
    {
        foreach (var c in columns)
        {
            var same = c switch
            {
                Int64Column i => i.IsNull(a) == i.IsNull(b) && i[a] == i[b],
                StringColumn s => s.CodeAt(a) == s.CodeAt(b), // equal codes are equal values within a column
                _ => false,
            };
            if (!same) return false;
        }
        return true;
    }

    private static string Cell(Column c, int r) => c.IsNull(r) ? "" : c switch
    {
        Int64Column i => i[r].ToString(System.Globalization.CultureInfo.InvariantCulture),
        StringColumn s => s[r] ?? "",
        _ => throw new InvalidOperationException($"entity column {c.Def.Name} is neither an integer nor a string"),
    };
}
