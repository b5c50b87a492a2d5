using System.Text.Json;
using System.Text.Json.Serialization;

namespace Memtrace.Schemas.Archive;

/// <summary>One imported source file, as recorded in manifest.json.</summary>
public sealed class SourceEntry
{
    // Properties with a default are settable, not init-only: the generated deserializer assigns every init-only
    // property, so one absent from an older manifest (table_sha256, clock_aligned) would read as null or false.
    public required string SourceId { get; init; }
    public required string Path { get; init; }
    public required string Sha256 { get; init; }
    public required long Bytes { get; init; }
    public required string Importer { get; init; }
    public required int ImporterVersion { get; init; }
    /// <summary>realtime (UTC), monotonic, process-relative, local-time, … as the importer established it.</summary>
    public required string ClockDomain { get; init; }
    public bool ClockAligned { get; set; } = true;
    public long? TimeStartNs { get; init; }
    public long? TimeEndNs { get; init; }
    public SortedDictionary<string, long> Rows { get; set; } = new(StringComparer.Ordinal);
    public SortedDictionary<string, long> Stats { get; set; } = new(StringComparer.Ordinal);
    /// <summary>
    /// SHA-256 of each table file as written. Parquet pages carry no checksum that Parquet.Net checks, so a
    /// flipped bit in an uncompressed page would otherwise read back as a wrong number; with this the reader
    /// refuses the file instead. Archives written before this field existed have none and are read unchecked.
    /// </summary>
    public SortedDictionary<string, string> TableSha256 { get; set; } = new(StringComparer.Ordinal);
    /// <summary>Importer-specific facts worth keeping (e.g. the date RMM times were anchored to).</summary>
    public SortedDictionary<string, string> Notes { get; set; } = new(StringComparer.Ordinal);
}

public sealed class Manifest
{
    public const int CurrentFormat = 1;

    public int Format { get; set; } = CurrentFormat;
    public string Tool { get; set; } = "memtrace";
    public List<SourceEntry> Sources { get; set; } = new();

    /// <summary>Rows of <paramref name="table"/> over every source, as the importers recorded them.</summary>
    public long Rows(string table) => Sources.Sum(s => s.Rows.GetValueOrDefault(table));

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = IO.SchemasJson.Default,
    };
}
