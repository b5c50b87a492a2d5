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
        var options = new CsvReaderOptions { HasHeader = false, TrackLineNumbers = true };
        var rows = new List<(RmmRecord Record, long Line)>();
        using (var csv = CsvReader.FromFile(ctx.Path, options))
        {
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
                var stat = error == "unknown action" ? StatsCatalog.RmmUnknownAction : StatsCatalog.RmmBadRow;
                ctx.Stats.Log(stat, $"line {csv.LineNumber}", string.Join(',', fields), error);
            }
        }

        var device = o.Device ?? (DeviceSuffix().Match(ctx.Path) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
        var timesOfDay = rows.Where(r => r.Record.EpochSeconds is null).Select(r => r.Record.TimeOfDayUs).ToList();
        var clock = new Common.TimeOfDayClock(timesOfDay, o.Date, ctx.Path);

        var t = new Table(GpuAllocEvents.Def, rows.Count);
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
            t.Str("source_id").Append(ctx.SourceId);
            t.I64("seq").Append(seq++);
            t.I64("ts_ns").Append(ts);
            t.Str("host").Append(o.Host);
            t.I64("pid").Append(o.Pid ?? 0);
            t.I64("tid").Append(r.Thread);
            t.I64("device").Append(device);
            t.Str("pool").Append("rmm");
            t.Str("op").Append(r.Action switch { RmmAction.Allocate => "alloc", RmmAction.Free => "free", _ => "oom" });
            t.I64("address").Append(r.Action == RmmAction.AllocateFailure ? null : r.Pointer);
            t.I64("size").Append(r.Size);
            t.I64("requested_size").Append(r.Size);
            t.I64("stream").Append(r.Stream);
            t.Str("api").Append("rmm logging_resource_adaptor");
            t.CommitRow();
        }
        return new ImportResult
        {
            Tables = [t],
            ClockDomain = timesOfDay.Count > 0 ? "local-time" : "realtime",
            Notes = Notes(clock, device),
        };
    }

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
