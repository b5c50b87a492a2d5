using System.Security.Cryptography;
using Memtrace.Collectors.Importers.Common;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;

namespace Memtrace.Collectors.Importers;

public enum ImportOutcome
{
    Imported,
    AlreadyImported,
    Refused,
}

/// <summary>What happened to one input path.</summary>
public sealed record ImportReport(string Path, ImportOutcome Outcome, string? Format, string? SourceId, string Message, IReadOnlyDictionary<string, long> Rows)
{
    /// <summary>Seconds spent parsing and writing the archive, for benchmarks and run logs.</summary>
    public (double Parse, double Write) Seconds { get; init; }
}

/// <summary>
/// Imports files into an archive one by one. A file that cannot be read is refused with a
/// one-line reason naming it; the other files of the same call still land.
/// </summary>
public sealed class ImportRunner(TraceArchive archive, ImportOptions options)
{
    public const int SniffBytes = 4096;

    /// <summary>Counters summed over every file of this runner, refusals included.</summary>
    public StatsSink Totals { get; } = new("import");

    public ImportReport ImportOne(string path, string format, Action<double>? progress = null)
    {
        var empty = new Dictionary<string, long>();
        try
        {
            string sha;
            byte[] head;
            long bytes;
            if (Directory.Exists(path))
            {
                var dirImporter = format == "auto" ? ImporterRegistry.All.FirstOrDefault(i => i.AcceptsDirectory) : ImporterRegistry.Find(format);
                if (dirImporter is null || !dirImporter.AcceptsDirectory) return Refuse(path, format, "is a directory; this format takes a file");
                if (format == "auto" && !Directory.EnumerateFiles(path, "memory.stat", SearchOption.AllDirectories).Any())
                    return Refuse(path, format, "is a directory: `auto` takes a directory only as a cgroupfs capture (a sys/fs/cgroup tree with memory.stat), and this is not one; to import the files in it, name them (e.g. DIR/*)");
                (sha, bytes) = HashTree(path);
                head = [];
            }
            else
            {
                if (!File.Exists(path)) return Refuse(path, format, "no such file");
                bytes = new FileInfo(path).Length;
                if (bytes == 0) return Refuse(path, format, "is empty");
                using var fs = File.OpenRead(path);
                head = new byte[Math.Min(SniffBytes, bytes)];
                fs.ReadExactly(head);
                fs.Position = 0;
                sha = Convert.ToHexString(SHA256.HashData(fs)).ToLowerInvariant();
            }
            if (archive.FindBySha(sha) is { } existing)
            {
                Totals.Count(StatsCatalog.FileAlreadyImported);
                return new ImportReport(path, ImportOutcome.AlreadyImported, existing.Importer, existing.SourceId, $"{path}: already imported as {existing.SourceId}", empty);
            }
            IImporter? importer;
            if (format == "auto")
            {
                importer = ImporterRegistry.Sniff(head, path);
                if (importer is null) return Refuse(path, format, "format not recognised (no importer's sniffer matched its first bytes)");
            }
            else
            {
                importer = ImporterRegistry.Find(format);
                if (importer is null) return Refuse(path, format, $"unknown format '{format}' (known: {string.Join(", ", ImporterRegistry.All.Select(i => i.Format))})");
                if (!importer.Sniff(head, path)) return Refuse(path, format, $"does not look like {format} input");
            }
            var sourceId = TraceArchive.SourceIdFor(sha);
            var sink = new StatsSink(sourceId);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = importer.Import(new ImportContext { Path = path, SourceId = sourceId, Stats = sink, Options = options, Progress = progress });
            var parseSeconds = clock.Elapsed.TotalSeconds;
            foreach (var t in result.Tables) FileOrderCheck.Run(t, sink);
            var tables = result.Tables.Append(sink.Log_).ToList();
            var (start, end) = TimeRange(tables);
            var entry = new SourceEntry
            {
                SourceId = sourceId,
                Path = path,
                Sha256 = sha,
                Bytes = bytes,
                Importer = importer.Format,
                ImporterVersion = importer.Version,
                ClockDomain = result.ClockDomain,
                ClockAligned = result.ClockAligned,
                TimeStartNs = start,
                TimeEndNs = end,
                Stats = new SortedDictionary<string, long>(sink.Counts.ToDictionary(), StringComparer.Ordinal),
                Notes = result.Notes,
            };
            archive.AddSource(entry, tables);
            Totals.Merge(sink.Counts);
            var rows = entry.Rows.ToDictionary();
            return new ImportReport(path, ImportOutcome.Imported, importer.Format, sourceId, $"{path}: imported as {sourceId} ({string.Join(", ", rows.Select(r => $"{r.Key} {r.Value}"))})", rows)
            {
                Seconds = (parseSeconds, clock.Elapsed.TotalSeconds - parseSeconds),
            };
        }
        catch (ImportRefusedException e)
        {
            if (e.Limit is { } limit) Totals.Count(limit);
            return Refuse(path, format, e.Message);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Refuse(path, format, $"cannot be read: {e.Message}");
        }
    }

    private ImportReport Refuse(string path, string format, string reason)
    {
        Totals.Count(StatsCatalog.FileRefused);
        var line = $"{path}: refused: {OneLine(reason)}";
        return new ImportReport(path, ImportOutcome.Refused, format, null, line, new Dictionary<string, long>());
    }

    /// <summary>A directory's identity: SHA-256 over its files' relative paths and contents, in ordinal order.</summary>
    private static (string Sha, long Bytes) HashTree(string dir)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long bytes = 0;
        foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            h.AppendData(System.Text.Encoding.UTF8.GetBytes(Path.GetRelativePath(dir, f).Replace('\\', '/') + "\n"));
            var content = File.ReadAllBytes(f);
            bytes += content.Length;
            h.AppendData(content);
        }
        return (Convert.ToHexString(h.GetHashAndReset()).ToLowerInvariant(), bytes);
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");

    /// <summary>Time range over every imported table.</summary>
    private static (long?, long?) TimeRange(IEnumerable<Table> tables)
    {
        long? lo = null, hi = null;
        foreach (var (min, max) in tables.Select(TableTime.Range))
        {
            if (min < lo || lo is null) lo = min ?? lo;
            if (max > hi || hi is null) hi = max ?? hi;
        }
        return (lo, hi);
    }
}
