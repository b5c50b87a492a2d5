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
    /// <summary>v1's "no limit" is PAGE_COUNTER_MAX rounded to pages: 9223372036854771712.</summary>
    private const long V1Unlimited = 1L << 62;

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
            return new ImportResult { Tables = [t], ClockDomain = "file-mtime", ClockAligned = false };
        }
    }

    private static void AddSample(ImportContext ctx, CgroupTree tree, string dir, Table t)
    {
        var afterMount = dir[(dir.IndexOf(Mount, StringComparison.Ordinal) + Mount.Length)..];
        var v1 = afterMount == "memory" || afterMount.StartsWith("memory/", StringComparison.Ordinal) || tree.Read(dir + "/memory.usage_in_bytes") is not null;
        var cgroupPath = "/" + (v1 && (afterMount == "memory" || afterMount.StartsWith("memory/", StringComparison.Ordinal)) ? afterMount.Length > 6 ? afterMount[7..] : "" : afterMount);
        string? Read(string name) => tree.Read($"{dir}/{name}");
        long? Number(string name)
        {
            var text = Read(name);
            if (text is null) return null;
            if (CgroupFiles.TryNumberOrMax(text, out var v)) return v;
            ctx.Stats.Log(StatsCatalog.CgroupBadFile, $"{dir}/{name}", text, "not a number or 'max'");
            return null;
        }

        var stat = CgroupFiles.FlatKeyed(Read("memory.stat") ?? "", line => ctx.Stats.Log(StatsCatalog.CgroupBadFile, $"{dir}/memory.stat", line, "not a 'key value' line"));
        var s = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (k, v) in stat) s[k] = v;
        long? S(params string[] keys)
        {
            foreach (var k in keys) if (s.TryGetValue(k, out var v)) return v;
            return null;
        }

        var known = v1
            ? new Dictionary<string, string[]>
            {
                ["anon"] = ["total_rss", "rss"], ["file"] = ["total_cache", "cache"],
                ["active_anon"] = ["total_active_anon", "active_anon"], ["inactive_anon"] = ["total_inactive_anon", "inactive_anon"],
                ["active_file"] = ["total_active_file", "active_file"], ["inactive_file"] = ["total_inactive_file", "inactive_file"],
                ["file_mapped"] = ["total_mapped_file", "mapped_file"], ["shmem"] = ["total_shmem", "shmem"],
            }
            : new Dictionary<string, string[]>
            {
                ["anon"] = ["anon"], ["file"] = ["file"], ["active_anon"] = ["active_anon"], ["inactive_anon"] = ["inactive_anon"],
                ["active_file"] = ["active_file"], ["inactive_file"] = ["inactive_file"], ["file_mapped"] = ["file_mapped"], ["shmem"] = ["shmem"],
                ["slab"] = ["slab"], ["kernel_stack"] = ["kernel_stack"], ["pagetables"] = ["pagetables"], ["percpu"] = ["percpu"],
                ["sock"] = ["sock"], ["vmalloc"] = ["vmalloc"],
            };
        var used = new HashSet<string>(known.Values.SelectMany(k => k), StringComparer.Ordinal);

        long? limit;
        if (v1)
        {
            limit = Number("memory.limit_in_bytes");
            if (limit is >= V1Unlimited) limit = S("hierarchical_memory_limit") is { } h && h < V1Unlimited ? h : null;
        }
        else limit = Number("memory.max");

        var events = CgroupFiles.FlatKeyed(Read(v1 ? "memory.oom_control" : "memory.events") ?? "").ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
        PsiLine? some = null, full = null;
        if (Read("memory.pressure") is { } psi && !CgroupFiles.TryPsi(psi, out some, out full))
            ctx.Stats.Log(StatsCatalog.CgroupBadFile, $"{dir}/memory.pressure", psi, "no 'some'/'full' PSI line");

        t.Str("source_id").Append(ctx.SourceId);
        t.I64("ts_ns").Append(tree.ModifiedAt(dir + "/memory.stat").ToUnixTimeMilliseconds() * 1_000_000);
        t.Str("host").Append(ctx.Options.Host);
        t.Str("cgroup_path").Append(cgroupPath);
        t.I64("cgroup_version").Append(v1 ? 1 : 2);
        t.I64("usage").Append(Number(v1 ? "memory.usage_in_bytes" : "memory.current"));
        t.I64("limit").Append(limit);
        t.I64("max_usage").Append(Number(v1 ? "memory.max_usage_in_bytes" : "memory.peak"));
        foreach (var (col, keys) in known) t.I64(col).Append(S(keys));
        if (v1) t.I64("kmem").Append(Number("memory.kmem.usage_in_bytes"));
        t.StrList("stat_extra").Append(stat.Where(kv => !used.Contains(kv.Key)).Select(kv => $"{kv.Key}={kv.Value}").ToArray());
        t.I64("oom").Append(events.TryGetValue(v1 ? "under_oom" : "oom", out var oom) ? oom : null);
        t.I64("oom_kill").Append(events.TryGetValue("oom_kill", out var kill) ? kill : null);
        t.I64("failcnt").Append(v1 ? Number("memory.failcnt") : events.TryGetValue("max", out var max) ? max : null);
        t.F64("psi_some_avg10").Append(some?.Avg10); t.F64("psi_some_avg60").Append(some?.Avg60);
        t.F64("psi_some_avg300").Append(some?.Avg300); t.I64("psi_some_total").Append(some?.Total);
        t.F64("psi_full_avg10").Append(full?.Avg10); t.F64("psi_full_avg60").Append(full?.Avg60);
        t.F64("psi_full_avg300").Append(full?.Avg300); t.I64("psi_full_total").Append(full?.Total);
        t.CommitRow();
    }
}
