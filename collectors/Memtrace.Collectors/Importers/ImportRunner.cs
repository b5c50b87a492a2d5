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
        try
        {
            string? sha = null;
            Task<string>? hashing = null;
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
                using (var fs = File.OpenRead(path))
                {
                    head = new byte[Math.Min(SniffBytes, bytes)];
                    fs.ReadExactly(head);
                }
                // A file whose length no imported source has cannot be one of them, so a large one is hashed beside its
                // parse (5 M rmm-csv rows, 370 MB: 0.33 s of SHA-256 before the parse began); one that may be a
                // re-import is hashed first, so that it skips the parse.
                if (bytes >= HashBesideParseMinBytes && !archive.Manifest.Sources.Any(s => s.Bytes == bytes)) hashing = Task.Run(() => HashFile(path));
                else sha = HashFile(path);
            }
            if (sha is not null && archive.FindBySha(sha) is { } existing) return AlreadyImported(path, existing);
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
            string Sha() => sha ??= hashing!.GetAwaiter().GetResult();
            var sink = new StatsSink(() => TraceArchive.SourceIdFor(Sha()));
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var result = importer.Import(new ImportContext { Path = path, PendingSourceId = () => TraceArchive.SourceIdFor(Sha()), Stats = sink, Options = options, Progress = progress });
            if (hashing is not null && archive.FindBySha(Sha()) is { } imported) return AlreadyImported(path, imported); // the same bytes landed meanwhile
            var sourceId = TraceArchive.SourceIdFor(Sha());
            var parseSeconds = clock.Elapsed.TotalSeconds;
            foreach (var t in result.Tables) FileOrderCheck.Run(t, sink);
            var tables = result.Tables.Append(sink.Log_).ToList();
            var (start, end) = TimeRange(tables);
            var entry = new SourceEntry
            {
                SourceId = sourceId,
                Path = path,
                Sha256 = Sha(),
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

    /// <summary>Files from this size on are hashed beside their parse; below it a second thread would cost more than it hides.</summary>
    public const long HashBesideParseMinBytes = 8 << 20;

    private ImportReport AlreadyImported(string path, SourceEntry existing)
    {
        Totals.Count(StatsCatalog.FileAlreadyImported);
        return new ImportReport(path, ImportOutcome.AlreadyImported, existing.Importer, existing.SourceId, $"{path}: already imported as {existing.SourceId}", new Dictionary<string, long>());
    }

    /// <summary>SHA-256 of a file's bytes.</summary>
    private static string HashFile(string path)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        AppendFile(hash, path);
        return Hex(hash);
    }

    /// <summary>A file's bytes into the hash, a megabyte at a time (a FileStream's 4 KB reads: 394 ms where this took 334 on 370 MB); returns how many.</summary>
    private static long AppendFile(IncrementalHash hash, string path)
    {
        using var handle = File.OpenHandle(path);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            long pos = 0;
            for (int n; (n = RandomAccess.Read(handle, buffer, pos)) > 0; pos += n) hash.AppendData(buffer, 0, n);
            return pos;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static string Hex(IncrementalHash hash) => Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant();

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
            bytes += AppendFile(h, f);
        }
        return (Hex(h), bytes);
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
