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
        var clock = new Common.TimeOfDayClock(Rollovers(rows.Time, out var timesOfDay), o.Date, ctx.Path);

        // The parsed arrays become the table's columns (Adopt), the times rewritten in place as nanoseconds; the other
        // columns are filled a column a task. A row at a time through 18 columns' Append was 0.5 s of 5 M rows, and one
        // column after another 0.25 s, most of it first touches of fresh pages.
        var n = rows.Count;
        var t = new Table(GpuAllocEvents.Def, n);
        var sourceId = ctx.SourceId;
        var (thread, time, pointer, size, stream) = rows.Release();
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
            () => t[GpuAllocEvents.Seq].Adopt(Sequence(n), n),
            () => t[GpuAllocEvents.TsNs].Adopt(ToNanoseconds(time, rows, clock, ctx.Stats), n), // the only task that logs
            () => t[GpuAllocEvents.Tid].Adopt(thread, n),
            () => AppendOps(t[GpuAllocEvents.Op], rows.Action),
            () => t[GpuAllocEvents.Address].Adopt(pointer, n, FailuresNull(rows.Action, pointer.Length)),
            () => t[GpuAllocEvents.Size].Adopt(size, n),
            () => t[GpuAllocEvents.RequestedSize].AppendRange(size.AsSpan(0, n)),
            () => t[GpuAllocEvents.Stream].Adopt(stream, n));
        t.SealBulk();
        return new ImportResult
        {
            Tables = [t],
            ClockDomain = timesOfDay > 0 ? "local-time" : "realtime",
            Notes = Notes(clock, device),
        };
    }

    /// <summary>Midnight rollovers among the rows' times of day, in file order; <paramref name="timesOfDay"/> counts those rows.</summary>
    private static int Rollovers(ReadOnlySpan<long> times, out long timesOfDay)
    {
        var (rollovers, last) = (0, -1L);
        timesOfDay = 0;
        foreach (var tod in times)
        {
            if (RmmRows.IsEpoch(tod)) continue;
            if (last >= 0 && Common.TimeOfDayClock.IsRollover(last, tod)) rollovers++;
            last = tod;
            timesOfDay++;
        }
        return rollovers;
    }

    /// <summary>The rows' times rewritten in place as UTC nanoseconds: epoch times as they are, times of day through the clock.</summary>
    private static long[] ToNanoseconds(long[] times, RmmRows rows, Common.TimeOfDayClock clock, StatsSink stats)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            if (RmmRows.IsEpoch(times[i]))
            {
                times[i] = RmmRows.EpochNs(times[i]);
                continue;
            }
            times[i] = clock.Next(times[i], out var rolled);
            if (rolled) stats.Log(StatsCatalog.RmmMidnightRollover, $"line {rows.LineOf(i)}", "", "time went back by more than 12 h: next day");
        }
        return times;
    }

    private static long[] Sequence(int n)
    {
        var seq = new long[n];
        for (var i = 0; i < n; i++) seq[i] = i;
        return seq;
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

    /// <summary>The pointers' validity: an "allocate failure" row has none (null); null itself when no row failed.</summary>
    private static bool[]? FailuresNull(ReadOnlySpan<RmmAction> actions, int length)
    {
        if (!actions.Contains(RmmAction.AllocateFailure)) return null;
        var valid = new bool[length];
        for (var i = 0; i < actions.Length; i++) valid[i] = actions[i] != RmmAction.AllocateFailure;
        return valid;
    }

    /// <summary>The plain path (<see cref="RmmPlainReader"/>), one part a core; null when the file needs CsvHelper.</summary>
    public static RmmRows? ReadPlain(ImportContext ctx, int parts = 0, int blockBytes = 1 << 20) =>
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
