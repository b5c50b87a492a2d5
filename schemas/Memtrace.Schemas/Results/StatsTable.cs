using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Every counter of the stats catalogue, zeros included, so zero is told apart from not measured.</summary>
public static class StatsTable
{
    public static readonly TableDef Def = new(
        "stats", 1, TableKind.Result,
        "One row per catalogue counter (zeros included) for the whole run, summed over sources and analyzers.",
        ["stat_key"],
        [
            Str("stat_key", "Counter name."),
            Str("severity", "info, data_loss or error."),
            Str("description", "What the counter counts."),
            I64("value", "", "Count over the run."),
        ]);
}
