using Memtrace.Collectors.Importers.Common;
using System.Text.RegularExpressions;
using Memtrace.Collectors.Importers.Cgroupfs;
using Memtrace.Collectors.Importers.Procfs;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.CaptureJsonl;

/// <summary>
/// Raw capture JSONL (see <see cref="CaptureRecord"/>): records sharing a ts_ns form one tick. Each tick
/// gives a proc_samples row per pid (status, smaps_rollup, stat, and "/proc/&lt;pid&gt;/fd" whose content
/// is the entry count) and a cgroup_samples row per cgroup directory with a memory file. A failed
/// status read is the process gone: the row says alive = false, and the cgroup keeps being sampled.
/// A record whose content is a /debug/vars body (JSON with "memstats") becomes a go_runtime_samples row,
/// and one that starts "heap profile:" is read as heap?debug=1, whatever path it was read from.
/// </summary>
public sealed partial class CaptureJsonlImporter : IImporter
{
    public string Format => "capture-jsonl";
    public int Version => 1;
    public string Description => "raw /proc and cgroup file captures, one JSON object per line";

    public bool Sniff(ReadOnlySpan<byte> head, string path) =>
        head.StartsWith("{"u8) && head.IndexOf("\"ts_ns\""u8) >= 0 && head.IndexOf("\"path\""u8) >= 0;

    [GeneratedRegex(@"^/proc/(\d+)/(status|smaps_rollup|stat|fd)$")]
    private static partial Regex ProcPath();

    [GeneratedRegex(@"^(.*/sys/fs/cgroup/|/sys/fs/cgroup/)(.*)/(memory\.[a-z_.]+)$")]
    private static partial Regex CgroupPath();

    public ImportResult Import(ImportContext ctx)
    {
        var records = new List<CaptureRecord>();
        long lineNo = 0;
        using var reader = new StreamReader(ctx.Path);
        foreach (var line in BoundedLines.Read(reader, ctx.Stats))
        {
            lineNo++;
            if (line.Length == 0) continue;
            if (CaptureRecord.TryParse(line, out var r, out var error)) records.Add(r!);
            else ctx.Stats.Log(StatsCatalog.CaptureBadLine, $"line {lineNo}", line, error);
        }
        if (records.Count == 0) throw new ImportRefusedException("no capture record parsed");
        // Records are grouped into ticks by time below, which loses file order; a step back is seen here, per file read.
        var lastRead = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in records)
        {
            if (lastRead.TryGetValue(r.Path, out var previous) && r.TsNs < previous)
                ctx.Stats.Log(StatsCatalog.ClockBackwards, r.Path, $"ts_ns={r.TsNs} after {previous}", $"{(previous - r.TsNs) / 1e6:0.###} ms earlier than the previous read of the same file; samples are kept in time order");
            lastRead[r.Path] = r.TsNs;
        }
        var procs = new Table(ProcSamples.Def);
        var cgroups = new Table(CgroupSamples.Def);
        var go = new Table(GoRuntimeSamples.Def);
        var heap = new Table(HeapProfileSamples.Def);
        var stacks = new Common.StackInterner(ctx.SourceId, ctx.Stats);
        foreach (var tick in records.GroupBy(r => r.TsNs).OrderBy(g => g.Key))
        {
            var mono = tick.Select(r => r.MonoNs).FirstOrDefault(m => m is not null);
            var byPid = new SortedDictionary<long, Dictionary<string, CaptureRecord>>();
            var byCgroup = new SortedDictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
            string? hostPressure = null;
            foreach (var r in tick)
            {
                // Whatever the path, a /debug/vars body or a heap?debug=1 document is recognised by its content.
                if (r.Content is { } body && body.TrimStart().StartsWith('{') && body.Contains("\"memstats\"", StringComparison.Ordinal))
                    GoExpvar.GoExpvarImporter.AddSample(ctx, go, body, r.TsNs, r.MonoNs, r.Path);
                else if (r.Content is { } doc && Pprof.HeapDebugText.LooksLike(doc))
                    Pprof.PprofImporter.AppendDebugText(ctx, doc, r.TsNs, heap, stacks, go, r.Path + " line ");
                else if (ProcPath().Match(r.Path) is { Success: true } pm)
                {
                    // "/proc/18446744073709551615/status" is no process (found by the fuzzer): a bad line.
                    if (!long.TryParse(pm.Groups[1].ValueSpan, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid))
                    {
                        ctx.Stats.Log(StatsCatalog.CaptureBadLine, r.Path, r.Path, "a /proc path whose pid is past 64 bits");
                        continue;
                    }
                    if (!byPid.TryGetValue(pid, out var files)) byPid[pid] = files = new Dictionary<string, CaptureRecord>(StringComparer.Ordinal);
                    files[pm.Groups[2].Value] = r;
                }
                else if (r.Path == "/proc/pressure/memory" && r.Content is not null) hostPressure = r.Content;
                else if (CgroupPath().Match(r.Path) is { Success: true } cm && r.Content is not null)
                {
                    if (!byCgroup.TryGetValue(cm.Groups[2].Value, out var files)) byCgroup[cm.Groups[2].Value] = files = new Dictionary<string, string>(StringComparer.Ordinal);
                    files[cm.Groups[3].Value] = r.Content;
                }
            }
            foreach (var (pid, files) in byPid) AddProc(ctx, procs, pid, files, tick.Key, mono);
            // Hybrid host: the v1 memory cgroup has no memory.pressure; the sampler read the process's cgroup2
            // one (a directory with memory.pressure but no memory.stat) or /proc/pressure/memory in the same tick.
            var pressure = hostPressure ?? byCgroup.Values.Where(f => !f.ContainsKey("memory.stat")).Select(f => f.GetValueOrDefault("memory.pressure")).FirstOrDefault(p => p is not null);
            foreach (var (dir, files) in byCgroup)
            {
                if (!files.ContainsKey("memory.stat")) continue;
                CgroupSample.Append(cgroups, ctx, "/sys/fs/cgroup/" + dir, dir, name => files.GetValueOrDefault(name) ?? (name == "memory.pressure" ? pressure : null), tick.Key, mono);
            }
        }
        return new ImportResult { Tables = [procs, cgroups, go, heap, stacks.Table], ClockDomain = "realtime+monotonic" };
    }

    private static void AddProc(ImportContext ctx, Table t, long pid, Dictionary<string, CaptureRecord> files, long ts, long? mono)
    {
        var alive = files.TryGetValue("status", out var st) && st.Content is not null;
        var status = alive ? ProcFiles.Status(st!.Content!) : null;
        var smaps = files.TryGetValue("smaps_rollup", out var sm) && sm.Content is not null ? ProcFiles.Smaps(sm.Content) : null;
        long? utime = null, stime = null;
        if (files.TryGetValue("stat", out var stat) && stat.Content is not null)
        {
            if (ProcFiles.TryStatTimes(stat.Content.AsSpan().TrimEnd('\n'), out var u, out var s)) { utime = u; stime = s; }
            else ctx.Stats.Log(StatsCatalog.ProcfsBadFile, stat.Path, stat.Content, "no utime/stime fields");
        }
        long? fds = files.TryGetValue("fd", out var fd) && long.TryParse(fd.Content, out var n) ? n : null;
        new ProcSampleRow(pid, ts, mono, alive, status, smaps, utime, stime, fds).AppendTo(t, ctx.SourceId, ctx.Options.Host);
    }
}
