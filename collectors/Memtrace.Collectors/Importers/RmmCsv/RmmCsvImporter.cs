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

        // Whole columns, then one append each: a row at a time through 18 columns' Append was 0.5 s of 5 M rows.
        var n = rows.Count;
        var (ts, tids, sizes, streams) = (new long[n], new long[n], new long[n], new long[n]);
        var (addresses, ops) = (new long?[n], new string[n]);
        for (var i = 0; i < n; i++)
        {
            var (r, line) = rows[i];
            if (r.EpochSeconds is { } secs) ts[i] = (long)Math.Round(secs * 1e6) * 1000;
            else
            {
                ts[i] = clock.Next(r.TimeOfDayUs, out var rolled);
                if (rolled) ctx.Stats.Log(StatsCatalog.RmmMidnightRollover, $"line {line}", "", "time went back by more than 12 h: next day");
            }
            tids[i] = r.Thread;
            ops[i] = r.Action switch { RmmAction.Allocate => "alloc", RmmAction.Free => "free", _ => "oom" };
            addresses[i] = r.Action == RmmAction.AllocateFailure ? null : r.Pointer;
            sizes[i] = r.Size;
            streams[i] = r.Stream;
        }
        var t = new Table(GpuAllocEvents.Def, n);
        t[Col.SourceId].AppendRepeated(ctx.SourceId, n);
        t[GpuAllocEvents.Seq].AppendRange(Enumerable.Range(0, n).Select(i => (long)i).ToArray());
        t[GpuAllocEvents.TsNs].AppendRange(ts);
        t[GpuAllocEvents.Host].AppendRepeated(o.Host, n);
        t[GpuAllocEvents.Pid].AppendRepeated(o.Pid ?? 0, n);
        t[GpuAllocEvents.Tid].AppendRange(tids);
        t[GpuAllocEvents.Device].AppendRepeated(device, n);
        t[GpuAllocEvents.Pool].AppendRepeated("rmm", n);
        var opColumn = t[GpuAllocEvents.Op];
        foreach (var op in ops) opColumn.Append(op);
        t[GpuAllocEvents.Address].AppendRange(addresses);
        t[GpuAllocEvents.Size].AppendRange(sizes);
        t[GpuAllocEvents.RequestedSize].AppendRange(sizes);
        t[GpuAllocEvents.BlockSize].AppendNulls(n);
        t[GpuAllocEvents.Stream].AppendRange(streams);
        t[GpuAllocEvents.Api].AppendRepeated("rmm logging_resource_adaptor", n);
        foreach (var empty in new[] { GpuAllocEvents.StackId, GpuAllocEvents.DeviceFree, GpuAllocEvents.ReturnCode }) t[empty].AppendNulls(n);
        t.SealBulk();
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
