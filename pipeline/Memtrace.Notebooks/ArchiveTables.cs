using Memtrace.Schemas;
using Memtrace.Schemas.Archive;
using Microsoft.Data.Analysis;

namespace Memtrace.Notebooks;

/// <summary>The raw canonical tables of a trace archive (its Parquet files), for ad-hoc queries.</summary>
public sealed class ArchiveTables
{
    private readonly TraceArchive _archive;

    private ArchiveTables(TraceArchive archive) => _archive = archive;

    public static ArchiveTables Open(string archiveDir) => new(TraceArchive.Open(archiveDir));

    public string Root => _archive.Root;

    /// <summary>One row per imported source: its id, path, importer and row count per table.</summary>
    public DataFrame Sources()
    {
        var sources = _archive.Manifest.Sources;
        return new DataFrame(
            new StringDataFrameColumn("source_id", sources.Select(s => s.SourceId)),
            new StringDataFrameColumn("importer", sources.Select(s => s.Importer)),
            new StringDataFrameColumn("path", sources.Select(s => s.Path)),
            new StringDataFrameColumn("tables", sources.Select(s => string.Join(", ", s.Rows.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")))));
    }

    /// <summary>Rows per raw table across every source.</summary>
    public DataFrame TableCounts()
    {
        var counts = TableCatalog.Raw.Select(d => (d.Name, Rows: _archive.Manifest.Rows(d.Name)))
            .Where(x => x.Rows > 0).ToList();
        return new DataFrame(
            new StringDataFrameColumn("table", counts.Select(c => c.Name)),
            new PrimitiveDataFrameColumn<long>("rows", counts.Select(c => c.Rows)));
    }

    /// <summary>A raw table across every source, optionally sliced. An unreadable source file raises, naming it.</summary>
    public DataFrame Frame(string table, Slice? slice = null)
    {
        var def = TableCatalog.Raw.FirstOrDefault(d => d.Name == table)
            ?? throw new ArgumentException($"unknown raw table '{table}' (have: {string.Join(", ", TableCatalog.Raw.Select(d => d.Name))})");
        var t = _archive.ReadTable(def, (_, message) => throw new InvalidDataException(message));
        var df = Frames.FromTable(t);
        return slice is null ? df : slice.Apply(df);
    }
}
