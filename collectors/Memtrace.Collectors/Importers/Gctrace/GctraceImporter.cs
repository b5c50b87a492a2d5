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
            t.Str("source_id").Append(ctx.SourceId);
            t.I64("since_start_ns").Append((long)Math.Round(r.AtSeconds * 1e9));
            t.Str("host").Append(ctx.Options.Host);
            t.I64("pid").Append(ctx.Options.Pid ?? 0);
            t.I64("gc_num").Append(r.Gc);
            t.F64("cpu_percent").Append(r.CpuPercent);
            t.F64("clock_sweep_term_ms").Append(r.ClockSweepTerm);
            t.F64("clock_mark_ms").Append(r.ClockMark);
            t.F64("clock_mark_term_ms").Append(r.ClockMarkTerm);
            t.F64("cpu_sweep_term_ms").Append(r.CpuSweepTerm);
            t.F64("cpu_assist_ms").Append(r.CpuAssist);
            t.F64("cpu_background_ms").Append(r.CpuBackground);
            t.F64("cpu_idle_ms").Append(r.CpuIdle);
            t.F64("cpu_mark_term_ms").Append(r.CpuMarkTerm);
            t.F64("heap_before_mb").Append(r.HeapBefore);
            t.F64("heap_after_mb").Append(r.HeapAfter);
            t.F64("heap_live_mb").Append(r.HeapLive);
            t.F64("heap_goal_mb").Append(r.HeapGoal);
            t.F64("stacks_mb").Append(r.Stacks);
            t.F64("globals_mb").Append(r.Globals);
            t.I64("procs").Append(r.Procs);
            t.Bool("forced").Append(r.Forced);
            t.CommitRow();
        }
        if (t.RowCount == 0) throw new ImportRefusedException("no gctrace line parsed (expected 'gc N @Ss P%: … P')");
        return new ImportResult { Tables = [t], ClockDomain = "process-relative", ClockAligned = false };
    }
}
