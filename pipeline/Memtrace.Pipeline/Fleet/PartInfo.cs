using System.Text.Json;
using System.Text.Json.Serialization;
using Memtrace.Schemas.IO;

namespace Memtrace.Pipeline.Fleet;

/// <summary>
/// part.json: what a result directory holds as units. A shard's part holds its shard's units; a merge's output holds
/// the union of its inputs' units (so merged outputs merge again: a tree of merges equals a flat one); a run over
/// several archives is a merge with no plan. It is written last, so a directory without it is half-written.
/// </summary>
public sealed class PartInfo
{
    public const string FileName = "part.json";
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;
    public string Tool { get; init; } = "memtrace";
    public string Version { get; init; } = Run.RunPipeline.Version;
    /// <summary>The plan's SHA-256; null for a run over archives without a plan.</summary>
    public string? PlanSha256 { get; init; }
    public int? ShardCount { get; init; }
    /// <summary>The plan's shards this directory covers.</summary>
    public List<int> Shards { get; init; } = [];
    public required string OptionsSha256 { get; init; }
    public List<UnitRecord> Units { get; init; } = [];
    /// <summary>The plan's archives that could not be used ("PATH: refused: REASON"); the merge reports them and exits 2.</summary>
    public List<string> Refused { get; init; } = [];
    /// <summary>Seconds each shard took, by shard.</summary>
    public SortedDictionary<int, double> ShardSeconds { get; init; } = [];

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public void Write(string dir) => AtomicFile.WriteAllBytes(Path.Combine(dir, FileName), JsonSerializer.SerializeToUtf8Bytes(this, Json));

    /// <summary>The part in <paramref name="dir"/>, or the one-line reason it cannot be merged.</summary>
    public static (PartInfo? Part, string? Refusal) Read(string dir)
    {
        var path = Path.Combine(dir, FileName);
        if (!Directory.Exists(dir)) return (null, $"{dir}: refused: no such part directory");
        if (!File.Exists(path)) return (null, $"{dir}: refused: no {FileName}: not a memtrace part, or one still being written");
        PartInfo? part;
        try
        {
            part = JsonSerializer.Deserialize<PartInfo>(File.ReadAllBytes(path), Json);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return (null, $"{path}: refused: unreadable ({FleetInputs.OneLine(e.Message)})");
        }
        if (part is null || part.Tool != "memtrace") return (null, $"{path}: refused: not a memtrace part");
        if (part.Format > CurrentFormat) return (null, $"{path}: refused: part format {part.Format} is newer than this memtrace ({CurrentFormat})");
        foreach (var u in part.Units)
        {
            var unitDir = Path.Combine(dir, "units", u.Id);
            // A unit is published whole, so a file missing here was lost after (a copy cut short): a merge would lose its rows.
            var files = new[] { "summary.json", "run.json" }.Concat(ResultCombiner.Rules.Keys.Order(StringComparer.Ordinal).Select(t => Path.Combine("tables", t + ".arrow")));
            foreach (var file in files)
                if (!File.Exists(Path.Combine(unitDir, file)))
                    return (null, $"{dir}: refused: half-written: unit {u.Id} has no {file}");
        }
        return (part, null);
    }
}
