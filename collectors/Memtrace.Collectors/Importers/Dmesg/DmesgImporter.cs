using Memtrace.Collectors.Importers.Common;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.Dmesg;

/// <summary>
/// A saved `dmesg` (plain or .gz) into kernel_log: the OOM killer's lines only. The stamps are the
/// kernel's time since boot, so ts_ns stays null until clock alignment places them with a
/// dual-clock source on the same host. `dmesg -T` wall-clock stamps are refused: the kernel itself
/// says they can be off by the time spent suspended.
/// </summary>
public sealed class DmesgImporter : IImporter
{
    public string Format => "dmesg";
    public int Version => 1;
    public string Description => "kernel log (dmesg) with [seconds] stamps; OOM-killer lines";

    public bool Sniff(ReadOnlySpan<byte> head, string path)
    {
        var lines = Common.TextHead.Decode(head).Split('\n');
        // `dmesg -T` lines ("[Tue Nov 24 02:28:31 2026] …") are claimed too, so that Import can refuse them with the reason.
        var stamped = lines.Take(lines.Length - 1).Count(l => DmesgLine.TryStamp(l, out _, out _) || DmesgLine.IsHumanStamped(l));
        return stamped > 0 && stamped >= (lines.Length - 1) / 2;
    }

    public ImportResult Import(ImportContext ctx)
    {
        var t = new Table(KernelLog.Def);
        long lineNo = 0, stamped = 0;
        using var stream = Common.TextHead.OpenMaybeGzip(ctx.Path);
        using var reader = new StreamReader(stream);
        foreach (var raw in BoundedLines.Read(reader, ctx.Stats))
        {
            lineNo++;
            var line = raw.TrimEnd('\r');
            if (DmesgLine.TryStamp(line, out _, out _)) stamped++;
            if (!DmesgLine.LooksLike(line)) continue;
            if (!DmesgLine.TryParse(line, out var r) || r is null)
            {
                ctx.Stats.Log(StatsCatalog.DmesgBadLine, $"line {lineNo}", line, "an OOM-killer line without a '[seconds]' stamp or with fields that do not parse");
                continue;
            }
            t[Col.SourceId].Append(ctx.SourceId);
            t[KernelLog.TsNs].Append(null);
            t[KernelLog.MonoNs].Append(r.MonoNs);
            t[KernelLog.Host].Append(ctx.Options.Host);
            t[KernelLog.Line].Append(lineNo);
            t[KernelLog.Event].Append(r.Event);
            t[KernelLog.Pid].Append(r.Pid);
            t[KernelLog.Comm].Append(r.Comm);
            t[KernelLog.Memcg].Append(r.Memcg);
            t[KernelLog.AnonRss].Append(r.AnonRss);
            t[KernelLog.FileRss].Append(r.FileRss);
            t[KernelLog.ShmemRss].Append(r.ShmemRss);
            t[KernelLog.Message].Append(r.Message);
            t.CommitRow();
        }
        if (Common.TextHead.InflateError(stream) is { } cut)
            ctx.Stats.Log(StatsCatalog.DmesgBadLine, $"line {lineNo + 1}", "", cut);
        if (stamped == 0) throw new ImportRefusedException("no '[seconds.micros]' stamped kernel log line (save with plain `dmesg`, not `dmesg -T`)");
        return new ImportResult { Tables = [t], ClockDomain = "kernel-uptime", ClockAligned = false };
    }
}
