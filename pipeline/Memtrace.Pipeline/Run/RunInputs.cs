using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;

namespace Memtrace.Pipeline.Run;

/// <summary>
/// A run's archive and what it could not read. A table file that is missing, unreadable or fails its hash is not fatal:
/// it gets one line in <see cref="Missing"/>, an import_log row under the pseudo source "archive" (the file, its first
/// bytes, why) and the archive_source_missing counter, and the run goes on without it.
/// </summary>
internal sealed class RunInputs
{
    private RunInputs(TraceArchive archive) => Archive = archive;

    public TraceArchive Archive { get; }
    public List<string> Missing { get; } = [];
    public StatsSink Log { get; } = new("archive");

    public static RunInputs Open(string archiveDir) => new(TraceArchive.Open(archiveDir));

    /// <summary>The counters the importers recorded in the manifest, summed over its sources.</summary>
    public Dictionary<string, long> SourceCounts()
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var s in Archive.Manifest.Sources) RunPipeline.Add(counts, s.Stats);
        return counts;
    }

    public Table Read(TableDef def) => Archive.ReadTable(def, Refused(def));

    /// <summary>What a reader of <paramref name="def"/> calls for a source's file it cannot use.</summary>
    public Action<string, string> Refused(TableDef def) => (src, msg) =>
    {
        var path = TraceArchive.IsSafeId(src) ? Archive.TablePath(def.Name, src) : null;
        var (location, head) = path is null ? ("manifest.json", []) : (Path.GetRelativePath(Archive.Root, path), FirstBytes(path));
        lock (Missing)
        {
            // The what-if reads gpu_alloc_events a second time: a refused file is reported once.
            if (Missing.Contains(msg)) return;
            Log.Log(StatsCatalog.ArchiveSourceMissing, location, StatsSink.Excerpt(head), msg);
            Missing.Add(msg);
        }
    };

    private static byte[] FirstBytes(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            var head = new byte[Math.Min(64, fs.Length)];
            fs.ReadExactly(head);
            return head;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
