using Memtrace.Pipeline.Host;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Pipeline.Normalize;

/// <summary>UTC times for the rows of the tables that recorded another clock; null where a row could not be placed.</summary>
public sealed class AlignedTimes
{
    public required long?[] Syscalls { get; init; }
    public required long?[] KernelLog { get; init; }
    public required long?[] GcEvents { get; init; }
    public required Table Alignment { get; init; }
    public required IReadOnlyDictionary<string, long> Counts { get; init; }
}

/// <summary>
/// Maps every source onto one UTC timeline (DESIGN "Clocks"). Samplers record CLOCK_REALTIME and
/// CLOCK_MONOTONIC on every read; on each host the median of (realtime − monotonic) over those pairs is
/// the offset for that host's monotonic sources (perf -k CLOCK_MONOTONIC, dmesg stamps), and the pairs'
/// spread is the error. gctrace '@s' offsets are anchored per process by <see cref="GctraceAnchor"/>.
/// A source that cannot be placed keeps its own clock, gets no UTC time, is counted and flagged,
/// and is left out of joins: it is never silently shifted.
/// </summary>
public static class ClockAligner
{
    public static AlignedTimes Run(Table syscalls, Table kernelLog, Table gcEvents, Table goSamples, IEnumerable<Table> dualClockTables, IReadOnlyList<SeriesFaults> faults)
    {
        var pairs = new DualClockPairs();
        foreach (var t in dualClockTables) pairs.Add(t);
        return Run(syscalls, kernelLog, gcEvents, GoClockReads.From(goSamples), pairs, faults);
    }

    /// <summary>The same, from what the sample tables were reduced to, so they need not stay in memory.</summary>
    public static AlignedTimes Run(Table syscalls, Table kernelLog, Table gcEvents, GoClockReads goReads, DualClockPairs pairs, IReadOnlyList<SeriesFaults> faults)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var alignment = new Table(ClockAlignment.Def);
        var offsets = HostOffsets(pairs);

        foreach (var f in faults)
        {
            Row(alignment, f.SourceId, f.Table, f.Host, "realtime", "native", "native", null, null, 0, f.Rows, f.Backwards, f.Duplicates, "recorded CLOCK_REALTIME");
            Add(counts, StatsCatalog.ClockBackwards.Key, f.Backwards);
            Add(counts, StatsCatalog.DuplicateSamples.Key, f.Duplicates);
        }
        var sys = ShiftMonotonic(syscalls, "monotonic", offsets, alignment, counts);
        var kern = ShiftMonotonic(kernelLog, "kernel-uptime", offsets, alignment, counts);
        var gc = AnchorGctrace(gcEvents, goReads, alignment, counts);
        return new AlignedTimes { Syscalls = sys, KernelLog = kern, GcEvents = gc, Alignment = alignment, Counts = counts };
    }

    private sealed record Offset(long Median, long Error, int Pairs);

    private static Dictionary<string, Offset> HostOffsets(DualClockPairs pairs)
    {
        var diffs = pairs.Diffs;
        var result = new Dictionary<string, Offset>(StringComparer.Ordinal);
        foreach (var (h, list) in diffs)
        {
            list.Sort();
            var median = list[list.Count / 2];
            result[h] = new Offset(median, Math.Max(median - list[0], list[^1] - median), list.Count);
        }
        return result;
    }

    private static long?[] ShiftMonotonic(Table t, string domain, Dictionary<string, Offset> offsets, Table alignment, Dictionary<string, long> counts)
    {
        var result = new long?[t.RowCount];
        var ts = ClockColumns.Ts(t);
        var mono = ClockColumns.Mono(t);
        var host = ClockColumns.HostOf(t);
        var source = t[Col.SourceId];
        var table = t.Def.Name;
        foreach (var group in Enumerable.Range(0, t.RowCount).GroupBy(r => (Source: source[r] ?? "", Host: host[r] ?? "")).OrderBy(g => g.Key.Source, StringComparer.Ordinal))
        {
            var rows = group.ToList();
            var native = rows.All(r => !ts.IsNull(r));
            long backwards = TimeOrder.Backwards(rows, r => ts.IsNull(r) ? mono[r] : ts[r]);
            Add(counts, StatsCatalog.ClockBackwards.Key, backwards);
            if (native)
            {
                foreach (var r in rows) result[r] = ts[r];
                Row(alignment, group.Key.Source, table, group.Key.Host, "realtime", "native", "native", null, null, 0, rows.Count, backwards, 0, "recorded CLOCK_REALTIME");
                continue;
            }
            if (offsets.TryGetValue(group.Key.Host, out var o))
            {
                foreach (var r in rows) result[r] = ts.IsNull(r) ? mono[r] + o.Median : ts[r];
                Row(alignment, group.Key.Source, table, group.Key.Host, domain, "dual-clock", "aligned", o.Median, o.Error, o.Pairs, rows.Count, backwards, 0,
                    $"offset = median(realtime − monotonic) over {o.Pairs} sampler reads on host '{group.Key.Host}'");
            }
            else
            {
                Add(counts, StatsCatalog.ClockUnanchored.Key, rows.Count(r => ts.IsNull(r)));
                Row(alignment, group.Key.Source, table, group.Key.Host, domain, "none", "unanchored", null, null, 0, rows.Count, backwards, 0,
                    $"no source on host '{group.Key.Host}' recorded both CLOCK_REALTIME and CLOCK_MONOTONIC; kept on its own clock and left out of joins");
            }
        }
        return result;
    }

    private static long?[] AnchorGctrace(Table gc, GoClockReads go, Table alignment, Dictionary<string, long> counts)
    {
        var result = new long?[gc.RowCount];
        foreach (var group in Enumerable.Range(0, gc.RowCount).GroupBy(r => (Source: gc[Col.SourceId][r] ?? "", Host: gc[GoGcEvents.Host][r] ?? "", Pid: gc[GoGcEvents.Pid][r])).OrderBy(g => g.Key.Source, StringComparer.Ordinal))
        {
            var rows = group.ToList();
            var lines = rows.Select(r => new GcLine(gc[GoGcEvents.GcNum][r], gc[GoGcEvents.SinceStartNs][r],
                gc[GoGcEvents.ClockSweepTermMs][r] + gc[GoGcEvents.ClockMarkMs][r] + gc[GoGcEvents.ClockMarkTermMs][r])).ToList();
            var reads = new List<MemStatsRead>();
            var goPids = go.Pids.Where(p => p.Host == group.Key.Host).Select(p => p.Pid).ToList();
            foreach (var read in go.Reads)
            {
                if (read.Host != group.Key.Host) continue;
                // A gctrace or MemStats source without a pid still matches when it is the only Go process on the host.
                var pidMatches = read.Pid == group.Key.Pid || ((group.Key.Pid == 0 || read.Pid == 0) && goPids.Count == 1);
                if (pidMatches) reads.Add(new MemStatsRead(read.NumGc, read.LastGcNs));
            }
            var anchor = GctraceAnchor.Anchor(lines, reads);
            long backwards = TimeOrder.Backwards(rows, r => gc[GoGcEvents.SinceStartNs][r]);
            Add(counts, StatsCatalog.ClockBackwards.Key, backwards);
            if (anchor is null)
            {
                Add(counts, StatsCatalog.ClockUnanchored.Key, rows.Count);
                Row(alignment, group.Key.Source, "go_gc_events", group.Key.Host, "process-relative", "none", "unanchored", null, null, 0, rows.Count, backwards, 0,
                    $"no MemStats read of pid {group.Key.Pid} has a NumGC matching a gctrace line; '@s' stays relative to process start");
                continue;
            }
            foreach (var r in rows) result[r] = anchor.ProcessStartNs + gc[GoGcEvents.SinceStartNs][r];
            Row(alignment, group.Key.Source, "go_gc_events", group.Key.Host, "process-relative", "gctrace-numgc", "aligned", anchor.ProcessStartNs, anchor.SpreadNs, anchor.Pairs, rows.Count, backwards, 0,
                $"process start = LastGC − @s − wall phases, median over {anchor.Pairs} cycles matched by NumGC");
        }
        return result;
    }

    private static void Row(Table t, string source, string table, string host, string domain, string method, string status, long? offset, long? error, long pairs, long rows, long backwards, long dups, string message)
    {
        t[Col.SourceId].Append(source); t[ClockAlignment.Table].Append(table); t[ClockAlignment.Host].Append(host); t[ClockAlignment.Domain].Append(domain);
        t[ClockAlignment.Method].Append(method); t[ClockAlignment.Status].Append(status); t[ClockAlignment.OffsetNs].Append(offset); t[ClockAlignment.ErrorNs].Append(error);
        t[ClockAlignment.Pairs].Append(pairs); t[ClockAlignment.Rows].Append(rows); t[ClockAlignment.Backwards].Append(backwards); t[ClockAlignment.Duplicates].Append(dups); t[ClockAlignment.Message].Append(message);
        t.CommitRow();
    }

    private static void Add(Dictionary<string, long> counts, string key, long n) => counts[key] = counts.GetValueOrDefault(key) + n;
}

/// <summary>Per host, realtime − monotonic of every sampler read that recorded both clocks.</summary>
public sealed class DualClockPairs
{
    internal SortedDictionary<string, List<long>> Diffs { get; } = new(StringComparer.Ordinal);

    public void Add(Table t)
    {
        var mono = ClockColumns.Mono(t);
        var ts = ClockColumns.Ts(t);
        var host = ClockColumns.HostOf(t);
        for (var r = 0; r < t.RowCount; r++)
        {
            if (mono.IsNull(r) || ts.IsNull(r)) continue;
            var h = host[r] ?? "";
            if (!Diffs.TryGetValue(h, out var list)) Diffs[h] = list = [];
            list.Add(ts[r] - mono[r]);
        }
    }
}

/// <summary>All a gctrace anchor needs of go_runtime_samples: each (host, pid) seen, and the reads with NumGC and LastGC.</summary>
public sealed class GoClockReads
{
    public HashSet<(string Host, long Pid)> Pids { get; } = [];
    public List<(string Host, long Pid, long NumGc, long LastGcNs)> Reads { get; } = [];

    public static GoClockReads From(Table go)
    {
        var g = new GoClockReads();
        for (var r = 0; r < go.RowCount; r++)
        {
            var host = go[GoRuntimeSamples.Host][r] ?? "";
            var pid = go[GoRuntimeSamples.Pid][r];
            g.Pids.Add((host, pid));
            if (go[GoRuntimeSamples.NumGc].Get(r) is { } n && go[GoRuntimeSamples.LastGcNs].Get(r) is { } last) g.Reads.Add((host, pid, n, last));
        }
        return g;
    }
}
