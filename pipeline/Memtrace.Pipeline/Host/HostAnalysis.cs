using System.Text.Json.Nodes;
using Memtrace.Pipeline.Capacity;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Pipeline.Normalize;
using Memtrace.Pipeline.RssGap;
using Memtrace.Pipeline.Spin;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Pipeline.Host;

public sealed record HostOptions
{
    public TimelineOptions Timeline { get; init; } = new();
    /// <summary>Pairing tolerance for the attribution (ns); default <see cref="Pairing.Tolerance"/>.</summary>
    public long? ToleranceNs { get; init; }
    public HostFlagOptions Flags { get; init; } = new();
    public double Headroom { get; init; } = CapacityPlanner.DefaultHeadroom;
    public long AlertHorizonNs { get; init; } = AlertBacktester.DefaultHorizonNs;
    public SpinOptions Spin { get; init; } = new();
}

public sealed class HostOutput
{
    public required IReadOnlyList<Table> Tables { get; init; }
    public required IReadOnlyDictionary<string, long> Counts { get; init; }
    public required IReadOnlyList<Workload> Workloads { get; init; }
    public required IReadOnlyDictionary<Workload, List<OomKill>> Kills { get; init; }
    public required Table Flags { get; init; }
    public required Table Spin { get; init; }
    public required Table Capacity { get; init; }
    public required Table Alerts { get; init; }
}

/// <summary>The host half: clocks → workloads → memory_timeline, rss_gap_attribution, flags, capacity plan, alert back-test, GPU capacity, spin windows.</summary>
public static class HostAnalysis
{
    public static HostOutput Run(Func<TableDef, Table> read, FragmentationOutput frag, HostOptions o)
    {
        var syscalls = read(SyscallEvents.Def);
        var kernel = read(KernelLog.Def);
        var memInfo = read(GpuMemInfo.Def);
        var (inputs, clocks) = LoadSamples(read, syscalls, kernel);
        var counts = new Dictionary<string, long>(clocks.Counts, StringComparer.Ordinal);
        var workloads = inputs.Workloads;

        var timeline = MemoryTimelineBuilder.Run(workloads, o.Timeline);
        var kills = workloads.ToDictionary(w => w, w => OomEvents.Find(w, kernel, clocks.KernelLog));
        // Flags and alerts take each workload's attribution instants as they are made; none are kept after.
        var flags = new Table(Schemas.Results.Flags.Def);
        var alerts = new Table(Schemas.Results.AlertBacktest.Def);
        var gap = RssGapAnalyzer.Run(workloads, o.ToleranceNs, o.Timeline.MaxRows, (w, instants) =>
        {
            HostFlagsAnalyzer.AppendWorkload(flags, w, instants, kills, o.Flags);
            AlertBacktester.AppendWorkload(alerts, w, instants, kills, o.AlertHorizonNs);
        }, keepInstants: false);
        HostFlagsAnalyzer.AppendClockFlags(flags, clocks.Alignment);
        counts[StatsCatalog.AttributionUnpaired.Key] = gap.Unpaired;
        var plan = CapacityPlanner.Run(workloads, kills, o.Headroom);
        var gpu = GpuCapacityAnalyzer.Run(frag.Pools, DeviceTotals(memInfo));
        var spin = SpinDetector.Run(syscalls, clocks.Syscalls, workloads, o.Spin);
        return new HostOutput
        {
            Tables = [clocks.Alignment, timeline, gap.Long, gap.Wide, flags, plan, alerts, gpu, spin],
            Counts = counts, Workloads = workloads, Kills = kills, Flags = flags, Spin = spin, Capacity = plan, Alerts = alerts,
        };
    }

    /// <summary>
    /// Reads the sample tables one at a time, each inside its own call: once a table's rows are workload
    /// samples, dual-clock pairs and (for gctrace anchoring) MemStats reads, it is dropped before the next
    /// is read. Holding all three at once was gigabytes for a day of 2 Hz samples, and tier-0 code would
    /// hold them to the end of the analysis if they were locals here.
    /// </summary>
    private static (HostInputs Inputs, AlignedTimes Clocks) LoadSamples(Func<TableDef, Table> read, Table syscalls, Table kernel)
    {
        var inputs = new HostInputs();
        var pairs = new DualClockPairs();
        var gc = read(GoGcEvents.Def);
        var goReads = new GoClockReads();
        Stage(read, CgroupSamples.Def, t => { pairs.Add(t); inputs.AddCgroups(t); });
        Stage(read, ProcSamples.Def, t => { pairs.Add(t); inputs.AddProcs(t); });
        Stage(read, GoRuntimeSamples.Def, t =>
        {
            pairs.Add(t);
            if (gc.RowCount > 0) goReads = GoClockReads.From(t);
            inputs.AddGo(t);
        });
        inputs.Finish();
        return (inputs, ClockAligner.Run(syscalls, kernel, gc, goReads, pairs, inputs.Faults));
    }

    private static void Stage(Func<TableDef, Table> read, TableDef def, Action<Table> use) => use(read(def));

    private static Dictionary<(string, long, long), long> DeviceTotals(Table memInfo)
    {
        var totals = new Dictionary<(string, long, long), long>();
        for (var r = 0; r < memInfo.RowCount; r++)
        {
            if (memInfo[GpuMemInfo.Total].Get(r) is { } total)
                totals[(memInfo[GpuMemInfo.Host][r] ?? "", memInfo[GpuMemInfo.Pid][r], memInfo[GpuMemInfo.Device][r])] = total;
        }
        return totals;
    }

    /// <summary>The host section of summary.json.</summary>
    public static JsonObject Summary(HostOutput h)
    {
        var workloads = new JsonArray();
        for (var r = 0; r < h.Capacity.RowCount; r++)
        {
            var c = h.Capacity;
            var key = (c[CapacityPlan.Host][r], c[CapacityPlan.CgroupPath][r], c[CapacityPlan.Pid][r]);
            var kinds = new SortedSet<string>(StringComparer.Ordinal);
            for (var f = 0; f < h.Flags.RowCount; f++)
            {
                if ((h.Flags[Schemas.Results.Flags.Host][f], h.Flags[Schemas.Results.Flags.CgroupPath][f], h.Flags[Schemas.Results.Flags.Pid][f]) == key) kinds.Add(h.Flags[Schemas.Results.Flags.Kind][f]!);
            }
            workloads.Add(new JsonObject
            {
                ["host"] = key.Item1, ["cgroup_path"] = key.Item2, ["pid"] = key.Item3,
                ["oom_kills"] = c[CapacityPlan.Ooms][r],
                ["peak_working_set_bytes"] = c[CapacityPlan.PeakWorkingSet].Get(r),
                ["limit_bytes"] = c[CapacityPlan.Limit].Get(r),
                ["recommended_limit_bytes"] = c[CapacityPlan.RecommendedLimit].Get(r),
                ["recommended_gomemlimit_bytes"] = c[CapacityPlan.RecommendedGomemlimit].Get(r),
                ["flags"] = new JsonArray(kinds.Select(k => (JsonNode)JsonValue.Create(k)!).ToArray()),
            });
        }
        var suspects = 0;
        for (var r = 0; r < h.Spin.RowCount; r++) if (h.Spin[SpinWindows.Suspect][r]) suspects++;
        return new JsonObject
        {
            ["any_oom_kill"] = h.Kills.Values.Any(k => k.Count > 0),
            ["spin_suspect_windows"] = suspects,
            ["workloads"] = workloads,
        };
    }
}
