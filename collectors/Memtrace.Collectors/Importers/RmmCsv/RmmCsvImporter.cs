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
        var rows = HasQuotes(ctx.Path) ? ReadWithCsvHelper(ctx) : ReadPlain(ctx);

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

    /// <summary>
    /// RMM writes no quotes ("140573312345856,13:45:02.123456,allocate,0x7f8a40000000,1024,0x7f8a38001020"), so a file
    /// without a '"' byte is split on commas as spans, nothing allocated a row; CsvHelper reads any file with one. On
    /// 5 M rows the CsvHelper path took 5.3 s (six strings a row), the plain one ~1 s; both give the same rows, counters
    /// and log lines (a test holds them to each other).
    /// </summary>
    public static bool HasQuotes(string path)
    {
        using var fs = File.OpenRead(path);
        var buffer = new byte[1 << 16];
        for (int n; (n = fs.Read(buffer)) > 0;)
        {
            if (buffer.AsSpan(0, n).Contains((byte)'"')) return true;
        }
        return false;
    }

    public static List<(RmmRecord Record, long Line)> ReadPlain(ImportContext ctx)
    {
        var rows = new List<(RmmRecord Record, long Line)>();
        using var reader = new StreamReader(ctx.Path);
        if (reader.ReadLine() is not { } header || header.TrimStart('\uFEFF') != Header)
            throw new ImportRefusedException($"first line is not the RMM header '{Header}'");
        long lineNo = 1;
        Span<Range> fields = stackalloc Range[7];
        while (reader.ReadLine() is { } line)
        {
            lineNo++;
            if (line.Length == 0) continue;
            var span = line.AsSpan();
            var n = span.Split(fields, ',');
            var count = n < 7 ? n : span.Count(',') + 1;
            if (count < 6)
            {
                ctx.Stats.Log(StatsCatalog.RmmBadRow, $"line {lineNo}", line, $"{count} fields, expected 6");
                continue;
            }
            if (RmmRecord.TryParse(span[fields[0]], span[fields[1]], span[fields[2]], span[fields[3]], span[fields[4]], span[fields[5]], out var rec, out var error))
            {
                rows.Add((rec, lineNo));
                continue;
            }
            LogBadRow(ctx, lineNo, line, error);
        }
        return rows;
    }

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

    private static void LogBadRow(ImportContext ctx, long line, string excerpt, string error) =>
        ctx.Stats.Log(error == "unknown action" ? StatsCatalog.RmmUnknownAction : StatsCatalog.RmmBadRow, $"line {line}", excerpt, error);

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
