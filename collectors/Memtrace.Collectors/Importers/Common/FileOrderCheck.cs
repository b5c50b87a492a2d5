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
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        var who = "";
        var whoRow = -1;
        for (var r = 0; r < t.RowCount; r++)
        {
            if (time.IsNull(r)) continue;
            var ts = time[r];
            // Importers emit an entity's rows in runs, so the key string is built once per run, not per row.
            if (whoRow < 0 || !SameEntity(entityColumns, whoRow, r))
            {
                who = string.Join('\u001f', entityColumns.Select(c => Cell(c, r)));
                whoRow = r;
            }
            if (last.TryGetValue(who, out var previous) && ts < previous)
                stats.Log(StatsCatalog.ClockBackwards, $"{t.Def.Name} row {r}", $"{t.Def.SortKey[timeAt]}={ts} after {previous} for {string.Join(",", entity)}={who.Replace('\u001f', ',')}",
                    $"{(previous - ts) / 1e6:0.###} ms earlier than the row before it for the same entity; the archive keeps time order");
            last[who] = ts;
        }
    }

    private static bool SameEntity(Column[] columns, int a, int b)
    {
        foreach (var c in columns)
        {
            var same = c switch
            {
                Int64Column i => i.IsNull(a) == i.IsNull(b) && i[a] == i[b],
                StringColumn s => string.Equals(s[a], s[b], StringComparison.Ordinal),
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
