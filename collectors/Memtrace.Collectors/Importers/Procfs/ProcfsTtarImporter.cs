using System.Text.RegularExpressions;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.Procfs;

/// <summary>
/// A ttar text archive of /proc (prometheus/procfs fixtures, or a capture packed the same way):
/// one proc_samples row per /proc/&lt;pid&gt;/ directory that has a status file, with smaps_rollup,
/// stat times and the fd count when present. A ttar records no time, so the sample time is the
/// archive's mtime and the source is flagged as not clock-aligned.
/// </summary>
public sealed partial class ProcfsTtarImporter : IImporter
{
    public string Format => "procfs-ttar";
    public int Version => 1;
    public string Description => "procfs text archive (ttar) of /proc/<pid> files";

    public bool Sniff(ReadOnlySpan<byte> head, string path) => TtarArchive.Looks(head) && head.IndexOf("proc"u8) >= 0;

    [GeneratedRegex(@"(?:^|/)proc/(\d+)/(.+)$")]
    private static partial Regex PidFile();

    public ImportResult Import(ImportContext ctx)
    {
        var entries = TtarArchive.Parse(File.ReadAllText(ctx.Path), (line, excerpt, why) => ctx.Stats.Log(StatsCatalog.TtarBadEntry, $"line {line}", excerpt, why));
        var byPid = new SortedDictionary<long, Dictionary<string, TtarEntry>>();
        foreach (var e in entries)
        {
            if (e.Kind == TtarKind.Directory) continue;
            var m = PidFile().Match(e.Path);
            if (!m.Success || !long.TryParse(m.Groups[1].Value, out var pid)) continue;
            if (!byPid.TryGetValue(pid, out var files)) byPid[pid] = files = new Dictionary<string, TtarEntry>(StringComparer.Ordinal);
            files[m.Groups[2].Value] = e;
        }
        var ts = new DateTimeOffset(File.GetLastWriteTimeUtc(ctx.Path)).ToUnixTimeMilliseconds() * 1_000_000;
        var t = new Table(ProcSamples.Def);
        foreach (var (pid, files) in byPid)
        {
            if (!files.TryGetValue("status", out var statusEntry)) continue;
            var status = ProcFiles.Status(statusEntry.Content);
            if (status.VmRss is null && status.Threads is null)
            {
                ctx.Stats.Log(StatsCatalog.ProcfsBadFile, $"line {statusEntry.Line}", statusEntry.Content, $"{statusEntry.Path} has neither VmRSS nor Threads");
                continue;
            }
            var smaps = files.TryGetValue("smaps_rollup", out var sm) ? ProcFiles.Smaps(sm.Content) : null;
            long? utime = null, stime = null;
            if (files.TryGetValue("stat", out var st))
            {
                if (ProcFiles.TryStatTimes(st.Content.AsSpan().TrimEnd('\n'), out var u, out var s)) { utime = u; stime = s; }
                else ctx.Stats.Log(StatsCatalog.ProcfsBadFile, $"line {st.Line}", st.Content, $"{st.Path}: no utime/stime fields");
            }
            var fds = files.Keys.Count(k => k.StartsWith("fd/", StringComparison.Ordinal));
            new ProcSampleRow(pid, ts, null, true, status, smaps, utime, stime, fds > 0 ? fds : null).AppendTo(t, ctx.SourceId, ctx.Options.Host);
        }
        return new ImportResult { Tables = [t], ClockDomain = "file-mtime", ClockAligned = false };
    }
}
