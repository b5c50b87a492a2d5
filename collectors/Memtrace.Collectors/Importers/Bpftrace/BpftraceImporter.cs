using System.Text.Json;
using Memtrace.Collectors.Importers.Common;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.Bpftrace;

/// <summary>
/// bpftrace map output, -f json or plain text, into syscall_counts. A print's window is bounded by
/// the time("%H:%M:%S") lines around it, placed on UTC like any date-less time of day
/// (<see cref="TimeOfDayClock"/>: --date or the file's mtime, midnight rollovers); with no time lines
/// the windows are unknown (null) and the source is flagged as not aligned.
/// </summary>
public sealed class BpftraceImporter : IImporter
{
    public string Format => "bpftrace";
    public int Version => 1;
    public string Description => "bpftrace map/hist/stats output (-f json or text)";

    public bool Sniff(ReadOnlySpan<byte> head, string path)
    {
        var text = TextHead.Decode(head);
        if (text.StartsWith("{\"type\": \"", StringComparison.Ordinal) || text.StartsWith("{\"type\":\"", StringComparison.Ordinal))
            return text.Contains("\"attached_probes\"", StringComparison.Ordinal) || text.Contains("\"type\": \"map\"", StringComparison.Ordinal) || text.Contains("\"type\":\"map\"", StringComparison.Ordinal);
        return text.StartsWith("Attaching ", StringComparison.Ordinal) && text.Contains(" probe", StringComparison.Ordinal);
    }

    public ImportResult Import(ImportContext ctx)
    {
        var pending = new List<(BpftraceRow Row, int TimeIndex)>();
        var times = new List<long>();
        var rows = new List<BpftraceRow>();
        (string, string[])? hist = null;
        long lineNo = 0, lost = 0;
        using var stream = TextHead.OpenMaybeGzip(ctx.Path);
        using var reader = new StreamReader(stream);
        foreach (var raw in BoundedLines.Read(reader, ctx.Stats))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            rows.Clear();
            if (line.StartsWith('{'))
            {
                try
                {
                    using var doc = JsonDocument.Parse(line);
                    var kind = BpftraceJson.Parse(doc.RootElement, rows, out var time, out var lostNow);
                    lost += lostNow;
                    if (kind == BpftraceJson.Kind.Time && !AddTime(time, times)) ctx.Stats.Log(StatsCatalog.BpftraceBadLine, $"line {lineNo}", line, "time event is not HH:MM:SS");
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    ctx.Stats.Log(StatsCatalog.BpftraceBadLine, $"line {lineNo}", line, $"not a bpftrace JSON event: {e.Message}");
                    continue;
                }
            }
            else if (AddTime(line.Trim(), times))
            {
                hist = null;
                continue;
            }
            else if (!BpftraceText.TryLine(line, ref hist, rows, out var mapLine) && mapLine)
            {
                ctx.Stats.Log(StatsCatalog.BpftraceBadLine, $"line {lineNo}", line, "map output that does not parse");
                continue;
            }
            foreach (var r in rows) pending.Add((r, times.Count - 1));
        }
        if (TextHead.InflateError(stream) is { } cut) ctx.Stats.Log(StatsCatalog.BpftraceBadLine, $"line {lineNo + 1}", "", cut);
        if (lost > 0) ctx.Stats.Count(StatsCatalog.BpftraceLostEvents, lost);
        if (pending.Count == 0) throw new ImportRefusedException("no bpftrace map, hist or stats output");

        var clock = new TimeOfDayClock(times, ctx.Options.Date, ctx.Path);
        var utc = times.Select(t => clock.Next(t, out _)).ToArray();
        var table = new Table(SyscallCounts.Def, pending.Count);
        long seq = 0;
        foreach (var (r, ti) in pending)
        {
            table[Col.SourceId].Append(ctx.SourceId); table[SyscallCounts.Seq].Append(seq++);
            table[SyscallCounts.WindowStartNs].Append(ti >= 1 ? utc[ti - 1] : null); table[SyscallCounts.WindowEndNs].Append(ti >= 0 ? utc[ti] : null);
            table[SyscallCounts.MapName].Append(r.Map); table[SyscallCounts.Kind].Append(r.Kind); table[SyscallCounts.Keys].Append(r.Keys); table[SyscallCounts.Count].Append(r.Count);
            table[SyscallCounts.BucketMin].Append(r.Min); table[SyscallCounts.BucketMax].Append(r.Max); table[SyscallCounts.Total].Append(r.Total); table[SyscallCounts.Average].Append(r.Average);
            table.CommitRow();
        }
        return new ImportResult { Tables = [table], ClockDomain = times.Count > 0 ? "local-time" : "unknown", ClockAligned = times.Count > 0, Notes = clock.Notes() };
    }

    private static bool AddTime(string text, List<long> times)
    {
        if (!BpftraceText.TryTime(text, out var tod)) return false;
        times.Add(tod);
        return true;
    }
}
