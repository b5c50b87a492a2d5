using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.Cgroupfs;

/// <summary>
/// One cgroup memory sample from its files, shared by the cgroupfs tree importer and the capture
/// importer. v1 reports hierarchical totals (usage_in_bytes counts the subtree), so total_rss /
/// total_cache are preferred to match it; v1's "no limit" (PAGE_COUNTER_MAX in pages, 9223372036854771712)
/// falls back to hierarchical_memory_limit or null.
/// </summary>
public static class CgroupSample
{
    private const long V1Unlimited = 1L << 62;

    /// <summary>Appends one cgroup_samples row from the memory files of one cgroup directory.</summary>
    /// <param name="dir">Where the files came from, for import_log locations.</param>
    /// <param name="afterMount">The directory below sys/fs/cgroup/ ("memory/kubepods/…" on v1).</param>
    /// <param name="read">Reads a file of the directory by name, or null when absent.</param>
    public static void Append(Table t, ImportContext ctx, string dir, string afterMount, Func<string, string?> read, long tsNs, long? monoNs)
    {
        var v1 = afterMount == "memory" || afterMount.StartsWith("memory/", StringComparison.Ordinal) || read("memory.usage_in_bytes") is not null;
        var cgroupPath = "/" + (v1 && (afterMount == "memory" || afterMount.StartsWith("memory/", StringComparison.Ordinal)) ? afterMount.Length > 6 ? afterMount[7..] : "" : afterMount);
        string? Read(string name) => read(name);
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
            ? new Dictionary<I64Key, string[]>
            {
                [CgroupSamples.Anon] = ["total_rss", "rss"], [CgroupSamples.File] = ["total_cache", "cache"],
                [CgroupSamples.ActiveAnon] = ["total_active_anon", "active_anon"], [CgroupSamples.InactiveAnon] = ["total_inactive_anon", "inactive_anon"],
                [CgroupSamples.ActiveFile] = ["total_active_file", "active_file"], [CgroupSamples.InactiveFile] = ["total_inactive_file", "inactive_file"],
                [CgroupSamples.FileMapped] = ["total_mapped_file", "mapped_file"], [CgroupSamples.Shmem] = ["total_shmem", "shmem"],
            }
            : new Dictionary<I64Key, string[]>
            {
                [CgroupSamples.Anon] = ["anon"], [CgroupSamples.File] = ["file"], [CgroupSamples.ActiveAnon] = ["active_anon"], [CgroupSamples.InactiveAnon] = ["inactive_anon"],
                [CgroupSamples.ActiveFile] = ["active_file"], [CgroupSamples.InactiveFile] = ["inactive_file"], [CgroupSamples.FileMapped] = ["file_mapped"], [CgroupSamples.Shmem] = ["shmem"],
                [CgroupSamples.Slab] = ["slab"], [CgroupSamples.KernelStack] = ["kernel_stack"], [CgroupSamples.Pagetables] = ["pagetables"], [CgroupSamples.Percpu] = ["percpu"],
                [CgroupSamples.Sock] = ["sock"], [CgroupSamples.Vmalloc] = ["vmalloc"],
            };
        var used = new HashSet<string>(known.Values.SelectMany(k => k), StringComparer.Ordinal);

        long? limit;
        if (v1)
        {
            limit = Number("memory.limit_in_bytes");
            if (limit is >= V1Unlimited) limit = S("hierarchical_memory_limit") is { } h && h < V1Unlimited ? h : null;
        }
        else limit = Number("memory.max");

        var eventsFile = v1 ? "memory.oom_control" : "memory.events";
        var events = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (k, v) in CgroupFiles.FlatKeyed(Read(eventsFile) ?? ""))
        {
            // The kernel prints each key once ("oom_kill 3"); a repeated key means the file was spliced or damaged.
            if (!events.TryAdd(k, v))
            {
                ctx.Stats.Log(StatsCatalog.CgroupBadFile, $"{dir}/{eventsFile}", $"{k} {v}", "key repeated; the last value is kept");
                events[k] = v;
            }
        }
        PsiLine? some = null, full = null;
        if (Read("memory.pressure") is { } psi && !CgroupFiles.TryPsi(psi, out some, out full))
            ctx.Stats.Log(StatsCatalog.CgroupBadFile, $"{dir}/memory.pressure", psi, "no 'some'/'full' PSI line");

        var usage = Number(v1 ? "memory.usage_in_bytes" : "memory.current");
        // usage counts every charged page, so memory.stat's anon + file cannot exceed it by more than the per-CPU
        // charge batching. A tree where they do contradicts itself (one upstream fixture had memory.current edited):
        // keep the sample as read, and say so, rather than let a huge negative residual pass for fact.
        if (usage is { } u && S(known[CgroupSamples.Anon]) is { } anon && S(known[CgroupSamples.File]) is { } file && anon + file > u + Math.Max(4L << 20, u / 50))
            ctx.Stats.Log(StatsCatalog.CgroupInconsistent, $"{dir}/{(v1 ? "memory.usage_in_bytes" : "memory.current")}", $"usage={u} anon={anon} file={file}",
                $"memory.stat anon + file = {anon + file} exceeds usage {u}: the files contradict each other");

        t[Col.SourceId].Append(ctx.SourceId);
        t[CgroupSamples.TsNs].Append(tsNs);
        t[CgroupSamples.MonoNs].Append(monoNs);
        t[CgroupSamples.Host].Append(ctx.Options.Host);
        t[CgroupSamples.CgroupPath].Append(cgroupPath);
        t[CgroupSamples.CgroupVersion].Append(v1 ? 1 : 2);
        t[CgroupSamples.Usage].Append(usage);
        t[CgroupSamples.Limit].Append(limit);
        t[CgroupSamples.MaxUsage].Append(Number(v1 ? "memory.max_usage_in_bytes" : "memory.peak"));
        foreach (var (column, keys) in known) t[column].Append(S(keys));
        if (v1) t[CgroupSamples.Kmem].Append(Number("memory.kmem.usage_in_bytes"));
        t[CgroupSamples.StatExtra].Append(stat.Where(kv => !used.Contains(kv.Key)).Select(kv => $"{kv.Key}={kv.Value}").ToArray());
        t[CgroupSamples.Oom].Append(events.TryGetValue(v1 ? "under_oom" : "oom", out var oom) ? oom : null);
        t[CgroupSamples.OomKill].Append(events.TryGetValue("oom_kill", out var kill) ? kill : null);
        t[CgroupSamples.Failcnt].Append(v1 ? Number("memory.failcnt") : events.TryGetValue("max", out var max) ? max : null);
        t[CgroupSamples.PsiSomeAvg10].Append(some?.Avg10); t[CgroupSamples.PsiSomeAvg60].Append(some?.Avg60);
        t[CgroupSamples.PsiSomeAvg300].Append(some?.Avg300); t[CgroupSamples.PsiSomeTotal].Append(some?.Total);
        t[CgroupSamples.PsiFullAvg10].Append(full?.Avg10); t[CgroupSamples.PsiFullAvg60].Append(full?.Avg60);
        t[CgroupSamples.PsiFullAvg300].Append(full?.Avg300); t[CgroupSamples.PsiFullTotal].Append(full?.Total);
        t.CommitRow();
    }
}
