using Memtrace.Collectors.Importers.Common;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.Gctrace;

/// <summary>
/// A log holding GODEBUG=gctrace=1 output (usually a service's stderr, mixed with other lines). Lines
/// that are not gctrace records are ignored; lines that start like one but do not parse are counted.
/// The '@s' field is seconds since process start, so ts_ns stays null until clock alignment anchors
/// it to MemStats NumGC/LastGC; the source is flagged as not aligned.
/// </summary>
public sealed class GctraceImporter : IImporter
{
    public string Format => "gctrace";
    public int Version => 1;
    public string Description => "Go runtime GODEBUG=gctrace=1 log";

    public bool Sniff(ReadOnlySpan<byte> head, string path)
    {
        foreach (var range in head.Split((byte)'\n'))
        {
            var line = System.Text.Encoding.UTF8.GetString(head[range]);
            if (GctraceLine.TryParse(line.TrimEnd('\r'), out _)) return true;
        }
        return false;
    }

    public ImportResult Import(ImportContext ctx)
    {
        var t = new Table(GoGcEvents.Def);
        long lineNo = 0;
        using var reader = new StreamReader(ctx.Path);
        foreach (var raw in BoundedLines.Read(reader, ctx.Stats))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (!GctraceLine.LooksLike(line)) continue;
            if (!GctraceLine.TryParse(line, out var r) || r is null)
            {
                ctx.Stats.Log(StatsCatalog.GctraceBadLine, $"line {lineNo}", line, "starts like a gctrace line but does not parse");
                continue;
            }
            t[Col.SourceId].Append(ctx.SourceId);
            t[GoGcEvents.SinceStartNs].Append((long)Math.Round(r.AtSeconds * 1e9));
            t[GoGcEvents.Host].Append(ctx.Options.Host);
            t[GoGcEvents.Pid].Append(ctx.Options.Pid ?? 0);
            t[GoGcEvents.GcNum].Append(r.Gc);
            t[GoGcEvents.CpuPercent].Append(r.CpuPercent);
            t[GoGcEvents.ClockSweepTermMs].Append(r.ClockSweepTerm);
            t[GoGcEvents.ClockMarkMs].Append(r.ClockMark);
            t[GoGcEvents.ClockMarkTermMs].Append(r.ClockMarkTerm);
            t[GoGcEvents.CpuSweepTermMs].Append(r.CpuSweepTerm);
            t[GoGcEvents.CpuAssistMs].Append(r.CpuAssist);
            t[GoGcEvents.CpuBackgroundMs].Append(r.CpuBackground);
            t[GoGcEvents.CpuIdleMs].Append(r.CpuIdle);
            t[GoGcEvents.CpuMarkTermMs].Append(r.CpuMarkTerm);
            t[GoGcEvents.HeapBeforeMb].Append(r.HeapBefore);
            t[GoGcEvents.HeapAfterMb].Append(r.HeapAfter);
            t[GoGcEvents.HeapLiveMb].Append(r.HeapLive);
            t[GoGcEvents.HeapGoalMb].Append(r.HeapGoal);
            t[GoGcEvents.StacksMb].Append(r.Stacks);
            t[GoGcEvents.GlobalsMb].Append(r.Globals);
            t[GoGcEvents.Procs].Append(r.Procs);
            t[GoGcEvents.Forced].Append(r.Forced);
            t.CommitRow();
        }
        if (t.RowCount == 0) throw new ImportRefusedException("no gctrace line parsed (expected 'gc N @Ss P%: … P')");
        return new ImportResult { Tables = [t], ClockDomain = "process-relative", ClockAligned = false };
    }
}
