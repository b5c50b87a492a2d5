using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>A problem found while importing, with its location and a raw excerpt (tier 3 of bad-input handling).</summary>
public static class ImportLog
{
    public static readonly I64Key Seq = I64("seq", "", "Order of the entry within its source.");
    public static readonly StrKey Location = Str("location", "Where in the input: 'byte N', 'line N', 'trace[d][i]', …");
    public static readonly StrKey StatKey = Str("stat_key", "Stats catalogue counter this entry incremented.");
    public static readonly StrKey Severity = Str("severity", "info, data_loss or error.");
    public static readonly StrKey Excerpt = Str("excerpt", "Raw excerpt of the offending input, at most 200 characters, escaped.");
    public static readonly StrKey Message = Str("message", "What was wrong.");

    public static readonly TableDef Def = new(
        "import_log", 1, TableKind.Raw,
        "One row per problem found while importing or analysing, with where it was and what the input said.",
        [SourceId, Seq],
        [
            SourceId,
            Seq,
            Location,
            StatKey,
            Severity,
            Excerpt,
            Message,
        ]);
}
