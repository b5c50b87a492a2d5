using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Stats;

namespace Memtrace.Pipeline.Run;

/// <summary>Builds the stats table: one row per catalogue counter, zeros included.</summary>
public static class StatsBuilder
{
    public static Table Build(IReadOnlyDictionary<string, long> counts)
    {
        var t = new Table(StatsTable.Def);
        foreach (var s in StatsCatalog.All.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            t[StatsTable.StatKey].Append(s.Key);
            t[StatsTable.Severity].Append(s.SeverityName);
            t[StatsTable.Description].Append(s.Description);
            t[StatsTable.Value].Append(counts.GetValueOrDefault(s.Key));
            t.CommitRow();
        }
        return t;
    }

    /// <summary>"key=value" for every error-severity counter above zero, in key order.</summary>
    public static IReadOnlyList<string> ErrorCounters(IReadOnlyDictionary<string, long> counts) =>
        counts.Where(kv => kv.Value > 0 && StatsCatalog.Find(kv.Key)?.Severity == Severity.Error)
            .OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}").ToList();
}
