using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Stats;

namespace Memtrace.Pipeline.Allocators;

public sealed record WhatIfOptions
{
    /// <summary>Device bytes for every pool (--device-memory); otherwise the capacity at the pool's first recorded OOM.</summary>
    public long? DeviceMemory { get; init; }
    /// <summary>A pool with more events is not replayed (run's --whatif-max-events); null for no limit (memtrace whatif).</summary>
    public long? MaxEvents { get; init; } = 2_000_000;
    /// <summary>Replay only this configuration (memtrace whatif --alloc-conf), after the recorded one; null for the standard set.</summary>
    public AllocatorConfig? Only { get; init; }
    public bool MinimumCapacity { get; init; } = true;
    public bool KeepTraces { get; init; }
}

/// <summary>Where a what-if's device capacity came from: the capacity_origin column's values, and their words.</summary>
public static class CapacityOrigins
{
    public const string Oom = "oom";
    public const string DeviceMemory = "device-memory";
    public const string None = "none";

    public static string Describe(string? origin) => origin switch
    {
        Oom => "reserved + driver free at the first OOM",
        DeviceMemory => "--device-memory",
        _ => "no OOM recorded, none given",
    };
}

/// <summary>One pool's what-if: the proof of the model, and one result per configuration.</summary>
public sealed record WhatIfPool(PoolKey Key, ModelCheckResult? Check, InitialState.Result? Initial, long? Capacity, string CapacityOrigin,
    IReadOnlyList<WhatIfRun> Runs, string Status)
{
    public bool SettingsRecorded { get; init; }
    /// <summary>The pool's decoded trace, kept only with <see cref="WhatIfOptions.KeepTraces"/> (tests replay it again).</summary>
    public AllocatorTrace? Trace { get; init; }
}

/// <summary>One configuration from one start: its result and, when searched, the smallest capacity without an OOM.</summary>
public sealed record WhatIfRun(WhatIfConfig Config, WhatIfStart Start, WhatIfResult Result, long? MinCapacity);

public sealed record WhatIfOutput(IReadOnlyList<WhatIfPool> Pools, Table WhatIf, Table Check, IReadOnlyDictionary<string, long> Counts, Table Log);

/// <summary>
/// For each torch-caching pool: prove the allocator model on the trace (<see cref="ModelCheck"/>), then replay
/// the requests under each configuration (<see cref="WhatIfReplay"/>), in parallel across configurations.
/// </summary>
public static class WhatIfAnalyzer
{
    /// <param name="knownEvents">Events per pool when the caller already counted them (run: the fragmentation replay did): when no
    /// torch-caching pool is under the event limit, the events are not read a second time.</param>
    public static WhatIfOutput Run(ArchiveTableReader events, Table snapshot, Table settings, WhatIfOptions options, Action<double>? progress = null,
        Action<int, Exception>? onPartFailed = null, IReadOnlyDictionary<PoolKey, long>? knownEvents = null)
    {
        if (knownEvents is not null && options.MaxEvents is { } limit && knownEvents.All(kv => kv.Key.Pool != WhatIfInputs.TorchPool || kv.Value > limit))
            return AllSkipped(FragmentationAnalyzer.OrderedKeys(knownEvents.Keys.Where(k => k.Pool == WhatIfInputs.TorchPool && knownEvents[k] > 0)).Select(k => (k, knownEvents[k])).ToList(), limit);
        var plan = PoolPlan.Build(events, snapshot, onPartFailed ?? ((_, _) => { }));
        var segments = WhatIfInputs.Segments(snapshot);
        var settingsByPool = WhatIfInputs.Settings(settings);
        var pools = new List<WhatIfPool>();
        var sinks = new List<StatsSink>();
        var torchPools = Enumerable.Range(0, plan.Count).Where(p => plan.Key(p).Pool == WhatIfInputs.TorchPool && plan.Events(p) > 0).ToList();
        for (var n = 0; n < torchPools.Count; n++)
        {
            var p = torchPools[n];
            var key = plan.Key(p);
            var sink = new StatsSink(key.SourceId);
            sinks.Add(sink);
            if (options.MaxEvents is { } max && plan.Events(p) > max)
            {
                sink.Count(StatsCatalog.WhatIfPoolSkipped);
                pools.Add(Skipped(key, plan.Events(p), max));
                continue;
            }
            var recorded = settingsByPool.TryGetValue(key, out var s) ? s : null;
            if (recorded is null) sink.Count(StatsCatalog.WhatIfSettingsMissing);
            var trace = new AllocatorTrace
            {
                Key = key,
                Events = WhatIfInputs.InRecordedOrder(plan.Decode(p, WhatIfInputs.EventColumns, WhatIfInputs.Reader)),
                FinalSegments = segments.GetValueOrDefault(key) ?? [],
                Recorded = recorded is null ? AllocatorConfig.Default : AllocatorConfig.FromSettings(recorded),
                SettingsRecorded = recorded is not null,
            };
            pools.Add(RunPool(trace, options, sink));
            progress?.Invoke((n + 1.0) / torchPools.Count);
        }
        var log = new Table(Schemas.Tables.ImportLog.Def);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var sink in sinks)
        {
            log.AppendTable(sink.Log_);
            foreach (var (k, v) in sink.Counts) counts[k] = counts.GetValueOrDefault(k) + v;
        }
        return new WhatIfOutput(pools, WhatIfTables.Runs(pools), WhatIfTables.Checks(pools), counts, log);
    }

    private static WhatIfPool Skipped(PoolKey key, long events, long max) =>
        new(key, null, null, null, CapacityOrigins.None, [], $"skipped: {events} events, over the limit of {max} (--whatif-max-events; memtrace whatif has none)");

    /// <param name="pools">In the result tables' pool order (FragmentationAnalyzer.OrderedKeys).</param>
    private static WhatIfOutput AllSkipped(List<(PoolKey Key, long Events)> pools, long limit)
    {
        var skipped = pools.Select(p => Skipped(p.Key, p.Events, limit)).ToList();
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        if (skipped.Count > 0) counts[StatsCatalog.WhatIfPoolSkipped.Key] = skipped.Count;
        return new WhatIfOutput(skipped, WhatIfTables.Runs(skipped), WhatIfTables.Checks(skipped), counts, new Table(Schemas.Tables.ImportLog.Def));
    }

    public static WhatIfPool RunPool(AllocatorTrace trace, WhatIfOptions options, StatsSink sink)
    {
        var initial = InitialState.Reconstruct(trace);
        if (initial.Unplaced > 0) sink.Log(StatsCatalog.WhatIfUnplacedBlock, "initial state", "", $"{initial.Unplaced} blocks live at the trace's first event lie in no segment or overlap another", initial.Unplaced);
        if (initial.ExpandableHistory > 0) sink.Log(StatsCatalog.WhatIfExpandableHistory, "trace", "", $"{initial.ExpandableHistory} segment_map/unmap events; expandable segments start as fixed ones", initial.ExpandableHistory);
        if (trace.FinalSegments.Count(s => s.PoolId != CachingAllocatorModel.DefaultPoolId) is > 0 and var privates) sink.Count(StatsCatalog.WhatIfPrivatePools, privates);
        var check = ModelCheck.Run(trace, initial.Segments);
        foreach (var (counter, n) in check.Counts) sink.Count(counter, n);
        foreach (var (seq, counter, excerpt, message) in check.Mismatches) sink.Log(counter, seq >= 0 ? $"seq {seq}" : "final snapshot", excerpt, message, 0);

        var (capacity, origin) = options.DeviceMemory is { } dm ? (dm, CapacityOrigins.DeviceMemory)
            : check.CapacityAtOom is { } c ? (c, CapacityOrigins.Oom) : ((long?)null, CapacityOrigins.None);
        var configs = options.Only is { } only
            ? [new WhatIfConfig("recorded", trace.Recorded), new WhatIfConfig("user", only)]
            : WhatIfConfigs.Standard(trace.Recorded, trace.Events);
        // Every configuration from both starts: the trace's own state first, then an empty allocator.
        var jobs = new[] { WhatIfStart.Trace, WhatIfStart.Empty }.SelectMany(start => configs.Select(c => (c, start))).ToArray();
        var runs = new WhatIfRun[jobs.Length];
        // Each worker's replays pass their blocks on to the next one it runs.
        Parallel.For(0, jobs.Length, () => new SpareBlocks(), (i, _, spare) =>
        {
            var (config, start) = jobs[i];
            var result = WhatIfReplay.Run(trace, initial.Segments, check.ExternalReleases, config.Config, capacity, start: start, spare: spare);
            long? min = null;
            if (options.MinimumCapacity)
            {
                var unlimited = capacity is null ? result : WhatIfReplay.Run(trace, initial.Segments, check.ExternalReleases, config.Config, null, start: start, spare: spare);
                min = WhatIfReplay.MinimumCapacity(trace, initial.Segments, check.ExternalReleases, config.Config, unlimited, start,
                    capacity is { } c ? (c, result.Ooms > 0) : null, spare);
            }
            runs[i] = new WhatIfRun(config, start, result, min);
            return spare;
        }, _ => { });
        return new WhatIfPool(trace.Key, check, initial, capacity, origin, runs, "ok") { SettingsRecorded = trace.SettingsRecorded, Trace = options.KeepTraces ? trace : null };
    }
}
