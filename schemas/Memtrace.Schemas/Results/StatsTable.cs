using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Every counter of the stats catalogue, zeros included, so zero is told apart from not measured.</summary>
public static class StatsTable
{
    public static readonly StrKey StatKey = Str("stat_key", "Counter name.");
    public static readonly StrKey Severity = Str("severity", "info, data_loss or error.");
    public static readonly StrKey Description = Str("description", "What the counter counts.");
    public static readonly I64Key Value = I64("value", "", "Count over the run.");

    public static readonly TableDef Def = new(
        "stats", 1, TableKind.Result,
        "One row per catalogue counter (zeros included) for the whole run, summed over sources and analyzers.",
        [StatKey],
        [
            StatKey,
            Severity,
            Description,
            Value,
        ]);
}
