using System.Security.Cryptography;
using System.Text;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.IO;

namespace Memtrace.Pipeline.Fleet;

/// <summary>One unit as a part or a merge records it: which archive, on which shard, computed or taken from the cache, in how long.</summary>
public sealed record UnitRecord(string Id, string Archive, int? Shard, bool Reused, double Seconds);

/// <summary>
/// Runs one unit into &lt;units&gt;/&lt;id&gt;/: the archive's tables, summary.json and run.json exactly as `memtrace run`
/// writes them for that archive alone, without report.html. The directory appears whole or not at all. With a cache
/// directory, a unit whose archive, memtrace version and options were seen before is copied from it instead.
/// </summary>
public static class UnitRunner
{
    /// <summary>Null and one line in <paramref name="refused"/> when the archive could not be used.</summary>
    public static UnitRecord? Run(ArchiveUnit unit, string unitsDir, RunOptions options, string? cacheDir, int? shard,
        List<string> refused, Action<string, double>? progress)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var final = Path.Combine(unitsDir, unit.Id);
        var key = cacheDir is null ? null : CacheKey(unit, options);
        if (key is not null && Directory.Exists(Path.Combine(cacheDir!, key)))
        {
            var copy = AtomicDirectory.Begin(final);
            CopyTree(Path.Combine(cacheDir!, key), copy);
            AtomicDirectory.Commit(copy, final);
            return new UnitRecord(unit.Id, unit.Path, shard, true, clock.Elapsed.TotalSeconds);
        }
        var tmp = AtomicDirectory.Begin(final);
        var outcome = RunPipeline.Run(unit.Path, tmp, options, progress, report: false);
        if (outcome.Exit == ExitCode.InputRefused)
        {
            AtomicDirectory.Abandon(tmp);
            refused.Add(outcome.Message);
            return null;
        }
        refused.AddRange(outcome.Refused);
        AtomicDirectory.Commit(tmp, final);
        // A unit that had to refuse a damaged table file is not cached: the file may be mended under the same manifest.
        if (key is not null && outcome.Refused.Count == 0)
        {
            var entry = AtomicDirectory.Begin(Path.Combine(cacheDir!, key));
            CopyTree(final, entry);
            AtomicDirectory.Commit(entry, Path.Combine(cacheDir!, key));
        }
        return new UnitRecord(unit.Id, unit.Path, shard, false, clock.Elapsed.TotalSeconds);
    }

    /// <summary>The archive's content (its unit id covers every table's hash), the memtrace version, the options that change tables.</summary>
    public static string CacheKey(ArchiveUnit unit, RunOptions options) =>
        ArchiveUnit.Hex(SHA256.HashData(Encoding.UTF8.GetBytes($"{unit.Id}\n{RunPipeline.Version}\n{RunPipeline.OptionsSha256(options)}")))[..32];

    /// <summary>
    /// Copies a unit directory, as hard links where the filesystem allows: unit files are never changed in place
    /// (every writer renames a new file over the old), so a link is as good as a copy and a merge of a night's parts
    /// does not write their tables a second time.
    /// </summary>
    public static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            if (File.Exists(target)) File.Delete(target);
            if (!OperatingSystem.IsWindows() && link(file, target) == 0) continue;
            File.Copy(file, target);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int link(string oldpath, string newpath);
}
