using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.Cgroupfs;

/// <summary>
/// A captured cgroupfs tree (a directory or a zip holding sys/fs/cgroup/…): one cgroup_samples row per
/// cgroup directory with a memory.stat. v1 cgroups live under sys/fs/cgroup/memory/ and report
/// hierarchical totals (usage_in_bytes counts the subtree, so total_rss/total_cache are used to match);
/// v2 cgroups anywhere else under sys/fs/cgroup/. Hybrid hosts give rows of both versions. The tree
/// records no sample time, so each row takes its memory.stat's modification time and the source is
/// flagged as not clock-aligned.
/// </summary>
public sealed class CgroupfsImporter : IImporter
{
    private const string Mount = "sys/fs/cgroup/";

    public string Format => "cgroupfs";
    public int Version => 1;
    public string Description => "captured cgroupfs tree (directory or zip) with memory controller files";

    public bool AcceptsDirectory => true;

    /// <summary>A zip (PK\x03\x04) is taken when it names sys/fs/cgroup in its first entries; directories are named explicitly.</summary>
    public bool Sniff(ReadOnlySpan<byte> head, string path) =>
        Directory.Exists(path) || (head.StartsWith("PK\x03\x04"u8) && (head.IndexOf("sys/fs/cgroup"u8) >= 0 || head.IndexOf("proc/"u8) >= 0));

    public ImportResult Import(ImportContext ctx)
    {
        CgroupTree tree;
        try
        {
            tree = CgroupTree.Open(ctx.Path);
        }
        catch (InvalidDataException e)
        {
            throw new ImportRefusedException($"not a readable zip: {e.Message}");
        }
        using (tree)
        {
            var t = new Table(CgroupSamples.Def);
            var dirs = tree.Files.Where(f => f.EndsWith("/memory.stat", StringComparison.Ordinal) && f.Contains(Mount, StringComparison.Ordinal))
                .Select(f => f[..^"/memory.stat".Length]).ToList();
            if (dirs.Count == 0) throw new ImportRefusedException("no sys/fs/cgroup/**/memory.stat in the tree: not a cgroupfs capture");
            foreach (var dir in dirs) AddSample(ctx, tree, dir, t);
            foreach (var (path, reason) in tree.Unreadable) ctx.Stats.Log(StatsCatalog.CgroupBadFile, path, "", $"zip entry cannot be read: {reason}");
            return new ImportResult { Tables = [t], ClockDomain = "file-mtime", ClockAligned = false };
        }
    }

    private static void AddSample(ImportContext ctx, CgroupTree tree, string dir, Table t)
    {
        var afterMount = dir[(dir.IndexOf(Mount, StringComparison.Ordinal) + Mount.Length)..];
        CgroupSample.Append(t, ctx, dir, afterMount, name => tree.Read($"{dir}/{name}"), tree.ModifiedAt(dir + "/memory.stat").ToUnixTimeMilliseconds() * 1_000_000, null);
    }
}
