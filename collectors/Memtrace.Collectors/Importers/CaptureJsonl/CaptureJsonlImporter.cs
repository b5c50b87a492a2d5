using System.Globalization;
using System.Text.RegularExpressions;
using Memtrace.Collectors.Importers.Cgroupfs;
using Memtrace.Collectors.Importers.Common;
using Memtrace.Collectors.Importers.Procfs;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.CaptureJsonl;

/// <summary>
/// Raw capture JSONL (see <see cref="CaptureRecord"/>). Reads are grouped per entity (a pid's /proc files, a
/// cgroup directory's memory files) into sampler ticks: by "seq" where every read of the entity has one, else
/// by <see cref="ReadTicks"/> (a file repeating, or a gap past half the sampling interval), so a sidecar that
/// stamps each read on its own gives the same rows as one that stamps a tick once. Each tick gives a
/// proc_samples row per pid (status, smaps_rollup, stat, and "/proc/&lt;pid&gt;/fd" whose content is the entry
/// count; a partial tick gives the fields it has) and a cgroup_samples row per cgroup directory. A process is
/// gone only on evidence: a read of one of its files that failed because the file no longer exists
/// (<see cref="CaptureLiveness"/>). A record whose content is a /debug/vars body (JSON with "memstats")
/// becomes a go_runtime_samples row, and one that starts "heap profile:" is read as heap?debug=1, whatever
/// path it was read from.
/// </summary>
public sealed partial class CaptureJsonlImporter : IImporter
{
    public string Format => "capture-jsonl";
    public int Version => 2;
    public string Description => "raw /proc and cgroup file captures, one JSON object per line";

    public bool Sniff(ReadOnlySpan<byte> head, string path) =>
        head.StartsWith("{"u8) && head.IndexOf("\"ts_ns\""u8) >= 0 && head.IndexOf("\"path\""u8) >= 0;

    [GeneratedRegex(@"^/proc/(\d+)/(status|smaps_rollup|stat|fd)$")]
    private static partial Regex ProcPath();

    [GeneratedRegex(@"^(.*/sys/fs/cgroup/|/sys/fs/cgroup/)(.*)/(memory\.[a-z_.]+)$")]
    private static partial Regex CgroupPath();

    private const string Pressure = "memory.pressure";

    public ImportResult Import(ImportContext ctx)
    {
        var records = Read(ctx);
        var procs = new Table(ProcSamples.Def);
        var cgroups = new Table(CgroupSamples.Def);
        var go = new Table(GoRuntimeSamples.Def);
        var heap = new Table(HeapProfileSamples.Def);
        var stacks = new StackInterner(ctx.SourceId, ctx.Stats);
        var byPid = new SortedDictionary<long, List<CaptureRecord>>();
        var byCgroup = new SortedDictionary<string, List<CaptureRecord>>(StringComparer.Ordinal);
        var pressureReads = new List<CaptureRecord>();
        // Stable: reads with equal stamps keep file order.
        foreach (var r in records.OrderBy(r => r.TsNs))
        {
            // Whatever the path, a /debug/vars body or a heap?debug=1 document is recognised by its content.
            if (r.Content is { } body && body.TrimStart().StartsWith('{') && body.Contains("\"memstats\"", StringComparison.Ordinal))
                GoExpvar.GoExpvarImporter.AddSample(ctx, go, body, r.TsNs, r.MonoNs, r.Path);
            else if (r.Content is { } doc && Pprof.HeapDebugText.LooksLike(doc))
                Pprof.PprofImporter.AppendDebugText(ctx, doc, r.TsNs, heap, stacks, go, r.Path + " line ");
            else if (ProcPath().Match(r.Path) is { Success: true } pm)
            {
                // "/proc/18446744073709551615/status" is no process (found by the fuzzer): a bad line.
                if (!long.TryParse(pm.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
                    ctx.Stats.Log(StatsCatalog.CaptureBadLine, r.Path, r.Path, "a /proc path whose pid is past 64 bits");
                else Add(byPid, pid, r);
            }
            else if (r.Path == "/proc/pressure/memory") pressureReads.Add(r);
            else if (CgroupPath().Match(r.Path) is { Success: true } cm) Add(byCgroup, cm.Groups[2].Value, r);
        }
        foreach (var (pid, reads) in byPid)
        {
            foreach (var tick in Ticks(reads, out _)) AddProc(ctx, procs, pid, tick);
        }
        // Hybrid host: the v1 memory cgroup has no memory.pressure; the sampler read the process's cgroup2 one
        // (a directory with memory.pressure alone) or /proc/pressure/memory beside it.
        foreach (var (_, reads) in byCgroup.Where(c => c.Value.All(r => FileOf(r) == Pressure))) pressureReads.AddRange(reads);
        var pressure = pressureReads.Where(r => r.Content is not null).OrderBy(r => r.TsNs).ToList();
        foreach (var (dir, reads) in byCgroup.Where(c => c.Value.Any(r => FileOf(r) != Pressure)))
        {
            foreach (var tick in Ticks(reads, out var interval))
            {
                var files = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (var r in tick)
                {
                    if (r.Content is not null) files[FileOf(r)] = r.Content;
                    else ctx.Stats.Log(StatsCatalog.CaptureReadFailed, r.Path, r.Error ?? "", "the cgroup file could not be read; the tick has no value from it");
                }
                if (files.Keys.All(f => f == Pressure)) continue;
                var ts = tick[0].TsNs;
                var hostPressure = files.ContainsKey(Pressure) ? null : Nearest(pressure, ts, interval);
                CgroupSample.Append(cgroups, ctx, "/sys/fs/cgroup/" + dir, dir, name => files.GetValueOrDefault(name) ?? (name == Pressure ? hostPressure : null),
                    ts, tick.Select(r => r.MonoNs).FirstOrDefault(m => m is not null));
            }
        }
        return new ImportResult { Tables = [procs, cgroups, go, heap, stacks.Table], ClockDomain = "realtime+monotonic" };
    }

    private static List<CaptureRecord> Read(ImportContext ctx)
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
        // Reads are put in time order below, which loses file order; a step back is seen here, per file read.
        var lastRead = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var r in records)
        {
            if (lastRead.TryGetValue(r.Path, out var previous) && r.TsNs < previous)
                ctx.Stats.Log(StatsCatalog.ClockBackwards, r.Path, $"ts_ns={r.TsNs} after {previous}", $"{(previous - r.TsNs) / 1e6:0.###} ms earlier than the previous read of the same file; samples are kept in time order");
            lastRead[r.Path] = r.TsNs;
        }
        return records;
    }

    private static void Add<TKey>(SortedDictionary<TKey, List<CaptureRecord>> d, TKey key, CaptureRecord r) where TKey : notnull
    {
        if (!d.TryGetValue(key, out var list)) d[key] = list = [];
        list.Add(r);
    }

    /// <summary>The file a read is of, its path's last segment: "status" of /proc/4242/status, "memory.stat" of a cgroup's.</summary>
    private static string FileOf(CaptureRecord r) => r.Path[(r.Path.LastIndexOf('/') + 1)..];

    /// <summary>
    /// One entity's reads (in time order) cut into ticks, the fields being file names: by seq when every read has one,
    /// else by <see cref="ReadTicks"/>. <paramref name="interval"/> is the median sampling interval either way.
    /// </summary>
    private static List<List<CaptureRecord>> Ticks(List<CaptureRecord> reads, out long interval)
    {
        var bits = new ReadTicks.FieldBits();
        var (ts, fields) = (reads.Select(r => r.TsNs).ToArray(), reads.Select(r => bits.Of(FileOf(r))).ToArray());
        interval = ReadTicks.MedianFieldInterval(ts, fields);
        if (reads.All(r => r.Seq is not null))
            return reads.GroupBy(r => r.Seq!.Value).Select(g => g.ToList()).OrderBy(g => g[0].TsNs).ToList();
        var tick = ReadTicks.Assign(ts, fields);
        var ticks = new List<List<CaptureRecord>>();
        for (var i = 0; i < reads.Count; i++)
        {
            if (tick[i] == ticks.Count) ticks.Add([]);
            ticks[^1].Add(reads[i]);
        }
        return ticks;
    }

    /// <summary>The pressure read nearest <paramref name="ts"/>, within half the sampling interval (the same tick).</summary>
    private static string? Nearest(List<CaptureRecord> pressure, long ts, long interval)
    {
        if (pressure.Count == 0) return null;
        var within = interval > 0 ? interval / 2 : 0;
        var lo = 0;
        var hi = pressure.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (pressure[mid].TsNs < ts) lo = mid + 1;
            else hi = mid;
        }
        CaptureRecord? best = null;
        foreach (var i in new[] { lo - 1, lo })
        {
            if (i < 0 || i >= pressure.Count || Math.Abs(pressure[i].TsNs - ts) > within) continue;
            if (best is null || Math.Abs(pressure[i].TsNs - ts) < Math.Abs(best.TsNs - ts)) best = pressure[i];
        }
        return best?.Content;
    }

    /// <summary>
    /// One tick of a pid's reads: a row of what was read (alive: some read succeeded), then, if a read found the
    /// process gone, a row alive = false at that read's time. A failed read for another reason (permission
    /// denied) is counted and says nothing of liveness.
    /// </summary>
    private static void AddProc(ImportContext ctx, Table t, long pid, List<CaptureRecord> tick)
    {
        var ok = new Dictionary<string, CaptureRecord>(StringComparer.Ordinal);
        CaptureRecord? gone = null;
        foreach (var r in tick)
        {
            if (r.Content is not null) ok[FileOf(r)] = r;
            else if (CaptureLiveness.IsGone(r.Error)) gone ??= r;
            else ctx.Stats.Log(StatsCatalog.CaptureReadFailed, r.Path, r.Error ?? "", "the read failed, but not because the process is gone; the tick has no value from it");
        }
        if (ok.Count > 0)
        {
            var first = tick.First(r => r.Content is not null);
            var status = ok.TryGetValue("status", out var st) ? ProcFiles.Status(st.Content!) : null;
            var smaps = ok.TryGetValue("smaps_rollup", out var sm) ? ProcFiles.Smaps(sm.Content!) : null;
            long? utime = null, stime = null;
            if (ok.TryGetValue("stat", out var stat))
            {
                if (ProcFiles.TryStatTimes(stat.Content.AsSpan().TrimEnd('\n'), out var u, out var s)) { utime = u; stime = s; }
                else ctx.Stats.Log(StatsCatalog.ProcfsBadFile, stat.Path, stat.Content, "no utime/stime fields");
            }
            long? fds = ok.TryGetValue("fd", out var fd) && long.TryParse(fd.Content, out var n) ? n : null;
            var mono = tick.Where(r => r.Content is not null).Select(r => r.MonoNs).FirstOrDefault(m => m is not null);
            new ProcSampleRow(pid, first.TsNs, mono, true, status, smaps, utime, stime, fds).AppendTo(t, ctx.SourceId, ctx.Options.Host);
            if (gone is not null && gone.TsNs == first.TsNs) gone = gone with { TsNs = gone.TsNs + 1 };
        }
        if (gone is not null)
            new ProcSampleRow(pid, gone.TsNs, gone.MonoNs, false, null, null, null, null, null).AppendTo(t, ctx.SourceId, ctx.Options.Host);
    }
}
