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
    private const long DayUs = 86_400_000_000L;

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
        var rollovers = CountRollovers(timesOfDay);
        var mtime = File.GetLastWriteTime(ctx.Path);
        var (firstDate, dateSource) = o.Date is { } d ? (d, "--date") : (DateOnly.FromDateTime(mtime).AddDays(-rollovers), "file mtime");
        var zone = TimeZoneInfo.Local;
        var midnight = new DateTime(firstDate, TimeOnly.MinValue, DateTimeKind.Unspecified);
        var baseUtcNs = (new DateTimeOffset(midnight, zone.GetUtcOffset(midnight)).ToUnixTimeMilliseconds()) * 1_000_000;

        var t = new Table(GpuAllocEvents.Def, rows.Count);
        long dayOffsetUs = 0, lastTod = -1, seq = 0;
        foreach (var (r, line) in rows)
        {
            long ts;
            if (r.EpochSeconds is { } secs) ts = (long)Math.Round(secs * 1e6) * 1000;
            else
            {
                if (lastTod >= 0 && lastTod - r.TimeOfDayUs > DayUs / 2)
                {
                    dayOffsetUs += DayUs;
                    ctx.Stats.Log(StatsCatalog.RmmMidnightRollover, $"line {line}", "", "time went back by more than 12 h: next day");
                }
                lastTod = r.TimeOfDayUs;
                ts = baseUtcNs + (dayOffsetUs + r.TimeOfDayUs) * 1000;
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
            Notes = new SortedDictionary<string, string>(StringComparer.Ordinal)
            {
                ["date"] = firstDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                ["date_source"] = dateSource,
                ["timezone"] = zone.Id,
                ["midnight_rollovers"] = rollovers.ToString(CultureInfo.InvariantCulture),
                ["device"] = device.ToString(CultureInfo.InvariantCulture),
            },
        };
    }

    private static string[] Fields(CsvReader csv)
    {
        var f = new string[csv.FieldCount];
        for (var i = 0; i < f.Length; i++) f[i] = csv.GetString(i);
        return f;
    }

    /// <summary>Midnights crossed: each step back in time of more than 12 h.</summary>
    public static int CountRollovers(IReadOnlyList<long> timesOfDayUs)
    {
        var n = 0;
        for (var i = 1; i < timesOfDayUs.Count; i++)
        {
            if (timesOfDayUs[i - 1] - timesOfDayUs[i] > DayUs / 2) n++;
        }
        return n;
    }
}
