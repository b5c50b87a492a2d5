using System.Security.Cryptography;
using System.Text;
using Memtrace.Schemas.Archive;

namespace Memtrace.Pipeline.Fleet;

/// <summary>
/// The unit of fleet work: one archive (one host's day, as a nightly job collects them). Its GPU pools are replayed
/// and its hosts analysed together, because the host half reads the GPU half (GPU capacity per device); two
/// archives are never joined, so each unit's tables depend on that archive alone and a merge only concatenates.
/// </summary>
/// <param name="Id">"a" + 16 hex of SHA-256 over the archive's sources and table hashes: the same content has the same id wherever it lies.</param>
/// <param name="Rows">Rows in all its tables, from the manifest: the size the plan balances.</param>
/// <param name="ManifestSha256">SHA-256 of manifest.json as the plan saw it; a shard refuses the archive if it changed since.</param>
public sealed record ArchiveUnit(string Id, string Path, long Rows, string ManifestSha256, IReadOnlyList<string> SourceIds)
{
    public static ArchiveUnit Open(string path)
    {
        var archive = TraceArchive.Open(path);
        var identity = new StringBuilder();
        foreach (var s in archive.Manifest.Sources.OrderBy(s => s.SourceId, StringComparer.Ordinal))
        {
            identity.Append(s.SourceId).Append(' ').Append(s.Sha256).Append('\n');
            foreach (var (table, sha) in s.TableSha256) identity.Append("  ").Append(table).Append(' ').Append(sha).Append('\n');
            foreach (var (table, rows) in s.Rows) identity.Append("  ").Append(table).Append(' ').Append(rows).Append('\n');
        }
        var id = "a" + Hex(SHA256.HashData(Encoding.UTF8.GetBytes(identity.ToString())))[..16];
        var rowsInAll = archive.Manifest.Sources.Sum(s => s.Rows.Values.Sum());
        return new ArchiveUnit(id, archive.Root, rowsInAll, Hex(SHA256.HashData(File.ReadAllBytes(archive.ManifestPath))),
            archive.Manifest.Sources.Select(s => s.SourceId).ToList());
    }

    public static string Hex(byte[] hash) => Convert.ToHexString(hash).ToLowerInvariant();
}

/// <summary>What a command line's inputs name: archives, directories of archives, files listing archives.</summary>
public static class FleetInputs
{
    /// <summary>
    /// Each argument is an archive (a directory with manifest.json), a directory whose subdirectories are archives
    /// (taken in name order), or a text file with one archive path per line (relative to the file's directory; blank
    /// lines and lines starting with '#' skipped). Units come back in id order, so the order of the arguments does
    /// not change the result. An input that cannot be used gets one line in <paramref name="refused"/>; the rest go on.
    /// </summary>
    public static List<ArchiveUnit> Open(IEnumerable<string> args, List<string> refused)
    {
        var units = new List<ArchiveUnit>();
        var bySource = new Dictionary<string, ArchiveUnit>(StringComparer.Ordinal);
        foreach (var path in args.SelectMany(a => Expand(a, refused)))
        {
            ArchiveUnit unit;
            try
            {
                unit = ArchiveUnit.Open(path);
            }
            catch (Exception e) when (e is ArchiveException or IOException or UnauthorizedAccessException)
            {
                refused.Add($"{path}: refused: {OneLine(e.Message)}");
                continue;
            }
            if (units.FirstOrDefault(u => u.Id == unit.Id) is { } same)
            {
                refused.Add($"{unit.Path}: refused: the same archive as {same.Path} (identical content)");
                continue;
            }
            // Source ids are content hashes: the same source file in two archives would give its rows twice, under
            // one id, in every table. An input belongs to one archive.
            if (unit.SourceIds.FirstOrDefault(bySource.ContainsKey) is { } shared)
            {
                refused.Add($"{unit.Path}: refused: source {shared} is also in {bySource[shared].Path}; a source belongs to one archive");
                continue;
            }
            foreach (var s in unit.SourceIds) bySource[s] = unit;
            units.Add(unit);
        }
        units.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return units;
    }

    private static IEnumerable<string> Expand(string arg, List<string> refused)
    {
        if (File.Exists(arg))
        {
            var baseDir = Path.GetDirectoryName(Path.GetFullPath(arg))!;
            string[] lines;
            try
            {
                lines = File.ReadAllLines(arg);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                refused.Add($"{arg}: refused: {OneLine(e.Message)}");
                return [];
            }
            return lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => Path.GetFullPath(l, baseDir));
        }
        if (!Directory.Exists(arg))
        {
            refused.Add($"{arg}: refused: no such archive, directory or list file");
            return [];
        }
        if (File.Exists(Path.Combine(arg, "manifest.json"))) return [arg];
        var archives = Directory.EnumerateDirectories(arg).Where(d => File.Exists(Path.Combine(d, "manifest.json")))
            .Order(StringComparer.Ordinal).ToList();
        if (archives.Count == 0) refused.Add($"{arg}: refused: not a memtrace archive (no manifest.json), and no subdirectory is one");
        return archives;
    }

    public static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
