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
        var parts = ReadPlain(ctx) ?? [ReadWithCsvHelper(ctx)];

        var device = o.Device ?? (DeviceSuffix().Match(ctx.Path) is { Success: true } m ? long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
        var clock = new Common.TimeOfDayClock(Rollovers(parts, out var timesOfDay), o.Date, ctx.Path);

        // Each part's columns go into the table's by span copies, a column a task: a row at a time through 18 columns'
        // Append was 0.5 s of 5 M rows, and one column after another 0.25 s, most of it first touches of fresh pages.
        var n = parts.Sum(p => p.Count);
        var t = new Table(GpuAllocEvents.Def, n);
        var sourceId = ctx.SourceId;
        void Each(Action<RmmRows> append)
        {
            foreach (var part in parts) append(part);
        }
        Parallel.Invoke(
            () => t[Col.SourceId].AppendRepeated(sourceId, n),
            () => t[GpuAllocEvents.Host].AppendRepeated(o.Host, n),
            () => t[GpuAllocEvents.Pid].AppendRepeated(o.Pid ?? 0, n),
            () => t[GpuAllocEvents.Device].AppendRepeated(device, n),
            () => t[GpuAllocEvents.Pool].AppendRepeated("rmm", n),
            () => t[GpuAllocEvents.Api].AppendRepeated("rmm logging_resource_adaptor", n),
            () =>
            {
                foreach (var empty in new[] { GpuAllocEvents.BlockSize, GpuAllocEvents.StackId, GpuAllocEvents.DeviceFree, GpuAllocEvents.ReturnCode }) t[empty].AppendNulls(n);
            },
            () => AppendSequence(t[GpuAllocEvents.Seq], parts),
            () => AppendTimes(t[GpuAllocEvents.TsNs], parts, clock, ctx.Stats), // the only task that logs
            () => Each(part => t[GpuAllocEvents.Tid].AppendRange(part.Thread)),
            () => Each(part => AppendOps(t[GpuAllocEvents.Op], part.Action)),
            () => Each(part => AppendAddresses(t[GpuAllocEvents.Address], part)),
            () => Each(part => t[GpuAllocEvents.Size].AppendRange(part.Size)),
            () => Each(part => t[GpuAllocEvents.RequestedSize].AppendRange(part.Size)),
            () => Each(part => t[GpuAllocEvents.Stream].AppendRange(part.Stream)));
        t.SealBulk();
        return new ImportResult
        {
            Tables = [t],
            ClockDomain = timesOfDay > 0 ? "local-time" : "realtime",
            Notes = Notes(clock, device),
        };
    }

    /// <summary>Midnight rollovers among the rows' times of day, in file order across the parts; <paramref name="timesOfDay"/> counts those rows.</summary>
    private static int Rollovers(List<RmmRows> parts, out long timesOfDay)
    {
        var (rollovers, last) = (0, -1L);
        timesOfDay = 0;
        foreach (var part in parts)
        {
            foreach (var tod in part.Time)
            {
                if (RmmRows.IsEpoch(tod)) continue;
                if (last >= 0 && Common.TimeOfDayClock.IsRollover(last, tod)) rollovers++;
                last = tod;
                timesOfDay++;
            }
        }
        return rollovers;
    }

    /// <summary>UTC nanoseconds, part after part, through one buffer: epoch times as they are, times of day through the clock (which carries across parts).</summary>
    private static void AppendTimes(Int64Column ts, List<RmmRows> parts, Common.TimeOfDayClock clock, StatsSink stats)
    {
        var ns = new long[parts.Select(p => p.Count).DefaultIfEmpty().Max()];
        foreach (var part in parts)
        {
            var times = part.Time;
            var lines = part.Line;
            for (var i = 0; i < times.Length; i++)
            {
                if (RmmRows.IsEpoch(times[i]))
                {
                    ns[i] = RmmRows.EpochNs(times[i]);
                    continue;
                }
                ns[i] = clock.Next(times[i], out var rolled);
                if (rolled) stats.Log(StatsCatalog.RmmMidnightRollover, $"line {lines[i]}", "", "time went back by more than 12 h: next day");
            }
            ts.AppendRange(ns.AsSpan(0, times.Length));
        }
    }

    /// <summary>0, 1, 2, … across the parts, through one buffer.</summary>
    private static void AppendSequence(Int64Column seq, List<RmmRows> parts)
    {
        var buffer = new long[parts.Select(p => p.Count).DefaultIfEmpty().Max()];
        foreach (var part in parts)
        {
            for (var i = 0; i < part.Count; i++) buffer[i] = seq.Count + i;
            seq.AppendRange(buffer.AsSpan(0, part.Count));
        }
    }

    /// <summary>The actions as op codes, a run of equal actions in one fill (RMM's rows alternate in short runs).</summary>
    private static void AppendOps(StringColumn op, ReadOnlySpan<RmmAction> actions)
    {
        for (var i = 0; i < actions.Length;)
        {
            var run = 1;
            while (i + run < actions.Length && actions[i + run] == actions[i]) run++;
            op.AppendRepeated(actions[i] switch { RmmAction.Allocate => "alloc", RmmAction.Free => "free", _ => "oom" }, run);
            i += run;
        }
    }

    /// <summary>The pointers, null on an "allocate failure" row (it has none): the spans between failures copied whole.</summary>
    private static void AppendAddresses(Int64Column address, RmmRows part)
    {
        var pointers = part.Pointer;
        var actions = part.Action;
        var from = 0;
        for (var i = 0; i <= pointers.Length; i++)
        {
            if (i < pointers.Length && actions[i] != RmmAction.AllocateFailure) continue;
            address.AppendRange(pointers[from..i]);
            if (i < pointers.Length) address.AppendNull();
            from = i + 1;
        }
    }

    /// <summary>The plain path (<see cref="RmmPlainReader"/>), one part a core; null when the file needs CsvHelper.</summary>
    public static List<RmmRows>? ReadPlain(ImportContext ctx, int parts = 0, int blockBytes = 1 << 20) =>
        RmmPlainReader.Read(ctx, parts > 0 ? parts : Environment.ProcessorCount, blockBytes);

    public static RmmRows ReadWithCsvHelper(ImportContext ctx)
    {
        var options = new CsvReaderOptions { HasHeader = false, TrackLineNumbers = true };
        var rows = new RmmRows(1024);
        using var csv = CsvReader.FromFile(ctx.Path, options);
        if (!csv.Read() || Fields(csv) is var header && string.Join(',', header).TrimStart('\uFEFF') != Header)
            throw new ImportRefusedException($"first line is not the RMM header '{Header}'");
        while (csv.Read())
        {
            var fields = Fields(csv);
            if (RmmRecord.TryParse(fields, out var rec, out var error))
            {
                rows.Add(rec, csv.LineNumber);
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
