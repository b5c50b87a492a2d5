using System.Globalization;
using System.Text.RegularExpressions;
using CsvHelper;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Collectors.Importers.RmmCsv;

/// <summary>
/// RAPIDS RMM logging_resource_adaptor CSV ("Thread,Time,Action,Pointer,Size,Stream"). Times carry no
/// date: it comes from --date (the date of the first row) or else from the file's mtime (the date of the
/// last row), and every jump back of more than 12 h is a midnight rollover. The date used is recorded in
/// the manifest. An "allocate failure" row is an OOM.
/// </summary>
public sealed partial class RmmCsvImporter : IImporter
{
    public const string Header = "Thread,Time,Action,Pointer,Size,Stream";

    public string Format => "rmm-csv";
    public int Version => 1;
    public string Description => "RAPIDS RMM logging_resource_adaptor CSV";

    public bool Sniff(ReadOnlySpan<byte> head, string path)
    {
        if (head.StartsWith("\uFEFF"u8)) head = head[3..];
        return head.StartsWith("Thread,Time,Action,Pointer,Size,Stream"u8);
    }

    [GeneratedRegex(@"\.dev(\d+)\.csv$", RegexOptions.IgnoreCase)]
    private static partial Regex DeviceSuffix();

    public ImportResult Import(ImportContext ctx)
    {
        var o = ctx.Options;
        var rows = ReadPlain(ctx) ?? ReadWithCsvHelper(ctx);

        var device = o.Device ?? (DeviceSuffix().Match(ctx.Path) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
        var timesOfDay = rows.Where(r => r.Record.EpochSeconds is null).Select(r => r.Record.TimeOfDayUs).ToList();
        var clock = new Common.TimeOfDayClock(timesOfDay, o.Date, ctx.Path);

        var t = new Table(GpuAllocEvents.Def, rows.Count);
        // Columns bound once: a name lookup per cell was 14 a row.
        StringColumn source = t[Col.SourceId], host = t[GpuAllocEvents.Host], pool = t[GpuAllocEvents.Pool], op = t[GpuAllocEvents.Op], api = t[GpuAllocEvents.Api];
        Int64Column seqColumn = t[GpuAllocEvents.Seq], tsColumn = t[GpuAllocEvents.TsNs], pid = t[GpuAllocEvents.Pid], tid = t[GpuAllocEvents.Tid], deviceColumn = t[GpuAllocEvents.Device],
            address = t[GpuAllocEvents.Address], size = t[GpuAllocEvents.Size], requested = t[GpuAllocEvents.RequestedSize], stream = t[GpuAllocEvents.Stream];
        long seq = 0;
        foreach (var (r, line) in rows)
        {
            long ts;
            if (r.EpochSeconds is { } secs) ts = (long)Math.Round(secs * 1e6) * 1000;
            else
            {
                ts = clock.Next(r.TimeOfDayUs, out var rolled);
                if (rolled) ctx.Stats.Log(StatsCatalog.RmmMidnightRollover, $"line {line}", "", "time went back by more than 12 h: next day");
            }
            source.Append(ctx.SourceId);
            seqColumn.Append(seq++);
            tsColumn.Append(ts);
            host.Append(o.Host);
            pid.Append(o.Pid ?? 0);
            tid.Append(r.Thread);
            deviceColumn.Append(device);
            pool.Append("rmm");
            op.Append(r.Action switch { RmmAction.Allocate => "alloc", RmmAction.Free => "free", _ => "oom" });
            address.Append(r.Action == RmmAction.AllocateFailure ? null : r.Pointer);
            size.Append(r.Size);
            requested.Append(r.Size);
            stream.Append(r.Stream);
            api.Append("rmm logging_resource_adaptor");
            t.CommitRow();
        }
        return new ImportResult
        {
            Tables = [t],
            ClockDomain = timesOfDay.Count > 0 ? "local-time" : "realtime",
            Notes = Notes(clock, device),
        };
    }

    /// <summary>The plain path (<see cref="RmmPlainReader"/>), one part a core; null when the file needs CsvHelper.</summary>
    public static List<(RmmRecord Record, long Line)>? ReadPlain(ImportContext ctx, int parts = 0, int blockBytes = 1 << 20) =>
        RmmPlainReader.Read(ctx, parts > 0 ? parts : Environment.ProcessorCount, blockBytes);

    public static List<(RmmRecord Record, long Line)> ReadWithCsvHelper(ImportContext ctx)
    {
        var options = new CsvReaderOptions { HasHeader = false, TrackLineNumbers = true };
        var rows = new List<(RmmRecord Record, long Line)>();
        using var csv = CsvReader.FromFile(ctx.Path, options);
        if (!csv.Read() || Fields(csv) is var header && string.Join(',', header).TrimStart('\uFEFF') != Header)
            throw new ImportRefusedException($"first line is not the RMM header '{Header}'");
        while (csv.Read())
        {
            var fields = Fields(csv);
            if (RmmRecord.TryParse(fields, out var rec, out var error))
            {
                rows.Add((rec, csv.LineNumber));
                continue;
            }
            LogBadRow(ctx, csv.LineNumber, string.Join(',', fields), error);
        }
        return rows;
    }

    private static void LogBadRow(ImportContext ctx, long line, string excerpt, string error) => ctx.Stats.Log(BadRowStat(error), $"line {line}", excerpt, error);

    internal static StatDef BadRowStat(string error) => error == "unknown action" ? StatsCatalog.RmmUnknownAction : StatsCatalog.RmmBadRow;

    private static SortedDictionary<string, string> Notes(Common.TimeOfDayClock clock, long device)
    {
        var notes = clock.Notes();
        notes["device"] = device.ToString(CultureInfo.InvariantCulture);
        return notes;
    }

    private static string[] Fields(CsvReader csv)
    {
        var f = new string[csv.FieldCount];
        for (var i = 0; i < f.Length; i++) f[i] = csv.GetString(i);
        return f;
    }
}
