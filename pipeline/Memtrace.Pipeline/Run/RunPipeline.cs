using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Pipeline.Run;

public sealed record RunOptions
{
    public FragmentationOptions Fragmentation { get; init; } = new();
    public Host.HostOptions Host { get; init; } = new();
    /// <summary>The allocator what-if (whatif and allocator_model_check tables); null turns it off (--no-whatif).</summary>
    public Allocators.WhatIfOptions? WhatIf { get; init; } = new();
    public bool TolerateErrors { get; init; }
    /// <summary>
    /// Up to this many GPU events the what-if runs beside the fragmentation replay: both are mostly cold code on a small
    /// archive, and the second core would idle. The pair then holds both stages' memory at once, which a small archive
    /// can afford and the 10^8-event run (3.6 GB peak against a 4 GB budget) cannot. 0 runs them one after the other.
    /// </summary>
    public long WhatIfBesideReplayMaxEvents { get; init; } = 1_000_000;
    /// <summary>The values --fail-on accepts (RunPipeline.FailOnHit tests each); any other is refused when the command line is parsed.</summary>
    public static readonly IReadOnlyList<string> FailOnValues = Verdicts.FailOn;

    /// <summary>Verdicts that make the run exit with <see cref="ExitCode.FailOn"/>: one of <see cref="FailOnValues"/> each.</summary>
    public IReadOnlyList<string> FailOn { get; init; } = [];
}

/// <param name="Refused">One line per archive file the run could not use ("PATH: refused: REASON"); the rest of the run went on.</param>
public sealed record RunOutcome(ExitCode Exit, string Message, IReadOnlyDictionary<string, long> Counts)
{
    public IReadOnlyList<string> Refused { get; init; } = [];
    /// <summary>The run's findings, worst first (<see cref="Run.Findings"/>).</summary>
    public IReadOnlyList<Finding> Findings { get; init; } = [];
}

/// <summary>
/// archive → analyzers → &lt;out&gt;/tables/*.arrow, summary.json, run.json, report.html. Every file is
/// written atomically; tables are sorted by their key, so the same archive gives byte-identical tables.
/// </summary>
public static class RunPipeline
{
    public const string Version = "0.1.0";

    /// <param name="report">False for a fleet unit (<see cref="Fleet.UnitRunner"/>): its report would only be replaced by the merged one.</param>
    public static RunOutcome Run(string archiveDir, string outDir, RunOptions options, Action<string, double>? progress = null, bool report = true)
    {
        var clock = Stopwatch.StartNew();
        var timings = new SortedDictionary<string, double>(StringComparer.Ordinal);
        RunInputs inputs;
        try
        {
            inputs = RunInputs.Open(archiveDir);
        }
        catch (ArchiveException e)
        {
            return new RunOutcome(ExitCode.InputRefused, $"{archiveDir}: refused: {e.Message}", new Dictionary<string, long>());
        }
        AtomicFile.SweepStale(outDir);
        var counts = inputs.SourceCounts();

        progress?.Invoke("read archive", 0);
        // The GPU tables go straight into the replay: no local here keeps them alive after it (see FragmentationAnalyzer.Run).
        var snapshot = inputs.Read(GpuSegmentsSnapshot.Def);
        var frames = new StackFrames(inputs.Read(Stacks.Def));
        var importLog = inputs.Read(ImportLog.Def);
        timings["read_archive_s"] = clock.Elapsed.TotalSeconds;

        var overlap = options.WhatIf is not null && inputs.Archive.Manifest.Rows(GpuAllocEvents.Def.Name) <= options.WhatIfBesideReplayMaxEvents;
        var whatifSeconds = 0.0;
        var early = overlap ? Task.Run(() => Timed(() => WhatIf(inputs, snapshot, null, options, null), out whatifSeconds)) : null;
        var t = clock.Elapsed.TotalSeconds;
        var frag = Fragmentation(inputs, snapshot, frames, options, progress);
        timings["fragmentation_s"] = clock.Elapsed.TotalSeconds - t;
        if (!overlap) ReturnReplayMemory();
        Add(counts, frag.Counts);

        t = clock.Elapsed.TotalSeconds;
        if (early is not null) progress?.Invoke("allocator what-if", 0);
        var whatif = early is not null ? early.GetAwaiter().GetResult() : Timed(() => WhatIf(inputs, snapshot, frag.Pools.ToDictionary(p => p.Key, p => p.EventsReplayed), options, progress), out whatifSeconds);
        if (whatif is not null)
        {
            Add(counts, whatif.Counts);
            importLog.AppendTable(whatif.Log);
        }
        timings["whatif_s"] = whatifSeconds;
        timings["whatif_wait_s"] = clock.Elapsed.TotalSeconds - t;

        t = clock.Elapsed.TotalSeconds;
        progress?.Invoke("host analysis", 0.8);
        var host = Host.HostAnalysis.Run(inputs.Read, frag, options.Host);
        timings["host_s"] = clock.Elapsed.TotalSeconds - t;
        Add(counts, host.Counts);

        Add(counts, inputs.Log.Counts);
        importLog.AppendTable(inputs.Log.Log_);
        var whatifTables = whatif is null ? [new Table(Schemas.Results.WhatIf.Def), new Table(AllocatorModelCheck.Def)] : new[] { whatif.WhatIf, whatif.Check };
        var tables = frag.Tables.Concat(host.Tables).Concat(whatifTables).Append(StatsBuilder.Build(counts)).Append(importLog).ToList();
        t = clock.Elapsed.TotalSeconds;
        var written = WriteTables(outDir, tables);
        var findings = Findings.Build(frag, host, whatif);
        var summary = WriteSummary(outDir, frag, host, whatif, findings, counts);
        timings["write_tables_s"] = clock.Elapsed.TotalSeconds - t;
        // Everything still needed of the analyses, taken now: the report takes only the tables as written, and tier-0
        // code would keep these locals (the analyses' own state besides their tables) alive through it.
        var tableCount = tables.Count;
        var failOnHit = Summary.FailOnHit(summary, options.FailOn);
        var (batchJson, rasterJson) = (BatchJson(frag.Batch), RasterJson(frag.Raster));
        (tables, frag, host, whatif) = (null!, null!, null!, null);
        if (report)
        {
            progress?.Invoke("report", 0.9);
            Report.HtmlReport.Write(outDir, written);
        }
        written = null!;
        timings["total_s"] = clock.Elapsed.TotalSeconds;

        var run = new JsonObject
        {
            ["tool"] = "memtrace",
            ["version"] = Version,
            ["archive"] = inputs.Archive.Root,
            ["inputs"] = new JsonArray(inputs.Archive.Manifest.Sources.Select(s => (JsonNode)new JsonObject
            {
                ["source_id"] = s.SourceId, ["path"] = s.Path, ["sha256"] = s.Sha256, ["importer"] = s.Importer, ["importer_version"] = s.ImporterVersion,
            }).ToArray()),
            ["options"] = JsonSerializer.SerializeToNode(options.Fragmentation with { }, OptionsJson),
            ["host_options"] = JsonSerializer.SerializeToNode(options.Host, PipelineJson.Default.HostOptions),
            ["timings"] = JsonSerializer.SerializeToNode(timings, PipelineJson.Default.SortedDictionaryStringDouble),
            ["peak_rss_bytes"] = PeakMemory.PeakRssBytes(),
            ["batch_statistics"] = batchJson,
            ["heatmap_raster"] = rasterJson,
            ["counters"] = JsonSerializer.SerializeToNode(new SortedDictionary<string, long>(counts, StringComparer.Ordinal), PipelineJson.Default.SortedDictionaryStringInt64),
            ["unreadable_tables"] = new JsonArray(inputs.Missing.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "run.json"), run.ToJsonString(Indented) + "\n");

        var (exit, gates) = Gates(failOnHit, counts, options);
        return new RunOutcome(exit, $"wrote {tableCount} tables, summary.json, run.json{(report ? " and report.html" : "")} to {outDir}{gates}", counts) { Refused = inputs.Missing, Findings = findings };
    }

    /// <summary>How summary.json and run.json are written, by a run and by a fleet merge alike.</summary>
    internal static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Adds counters into a total: a run's stages, an archive's sources, a fleet's units.</summary>
    internal static void Add(Dictionary<string, long> counts, IEnumerable<KeyValuePair<string, long>> more)
    {
        foreach (var (k, v) in more) counts[k] = counts.GetValueOrDefault(k) + v;
    }

    /// <summary>The replay of every GPU pool: gpu_alloc_events is streamed, each pool decoded from its row groups when its replay starts.</summary>
    private static FragmentationOutput Fragmentation(RunInputs inputs, Table snapshot, StackFrames frames, RunOptions options, Action<string, double>? progress)
    {
        using var events = inputs.Archive.OpenTableReader(GpuAllocEvents.Def, inputs.Refused(GpuAllocEvents.Def));
        return FragmentationAnalyzer.Run(events, snapshot, options.Fragmentation, frames, p => progress?.Invoke("fragmentation replay", p), inputs.Refused(GpuAllocEvents.Def));
    }

    /// <summary>
    /// The replay's event arrays (hundreds of MB a pool, large-object heap) are garbage once it ends; a full compacting
    /// collection returns them before the host half reads its tables, instead of at the next gen2 GC, which may come
    /// only after the host tables are resident too.
    /// </summary>
    private static void ReturnReplayMemory()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    }

    private static T Timed<T>(Func<T> stage, out double seconds)
    {
        var clock = Stopwatch.StartNew();
        var result = stage();
        seconds = clock.Elapsed.TotalSeconds;
        return result;
    }

    /// <summary>The allocator what-if over the PyTorch pools (null when --no-whatif); it reads gpu_alloc_events a second time.</summary>
    /// <param name="knownEvents">Events per pool that the replay counted (null when the what-if runs beside it).</param>
    private static Allocators.WhatIfOutput? WhatIf(RunInputs inputs, Table snapshot, IReadOnlyDictionary<PoolKey, long>? knownEvents, RunOptions options, Action<string, double>? progress)
    {
        if (options.WhatIf is not { } whatIfOptions) return null;
        using var events = inputs.Archive.OpenTableReader(GpuAllocEvents.Def, inputs.Refused(GpuAllocEvents.Def));
        return Allocators.WhatIfAnalyzer.Run(events, snapshot, inputs.Read(GpuAllocatorSettings.Def),
            whatIfOptions with { DeviceMemory = whatIfOptions.DeviceMemory ?? options.Fragmentation.DeviceMemory },
            p => progress?.Invoke("allocator what-if", p), knownEvents: knownEvents);
    }

    /// <summary>
    /// Every table sorted by its key, so the same archive gives byte-identical files, and written, a table a core, the largest
    /// first (the bundled bcrafton snapshot's run spent 0.10–0.16 s here one table after another, most of it the heatmap's
    /// 96,000 rows); returns them as written, by name.
    /// </summary>
    private static Dictionary<string, Table> WriteTables(string outDir, List<Table> tables)
    {
        var sorted = new Table[tables.Count];
        var order = Enumerable.Range(0, tables.Count).OrderByDescending(i => (long)tables[i].RowCount * tables[i].Columns.Count).ToArray();
        Parallel.ForEach(order, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            sorted[i] = TableSort.ByKey(tables[i]);
            AtomicFile.Write(Path.Combine(outDir, "tables", tables[i].Def.Name + ".arrow"), s => ArrowIo.Write(sorted[i], s));
        });
        var written = new Dictionary<string, Table>(StringComparer.Ordinal);
        for (var i = 0; i < tables.Count; i++) written[tables[i].Def.Name] = sorted[i];
        return written;
    }

    private static JsonObject WriteSummary(string outDir, FragmentationOutput frag, Host.HostOutput host, Allocators.WhatIfOutput? whatif,
        IReadOnlyList<Finding> findings, Dictionary<string, long> counts)
    {
        var summary = Summary.Build(frag, counts);
        summary["findings"] = Findings.Json(findings);
        summary["host"] = Host.HostAnalysis.Summary(host);
        summary["whatif"] = Allocators.WhatIfSummary.Build(whatif);
        AtomicFile.WriteAllText(Path.Combine(outDir, "summary.json"), summary.ToJsonString(Indented) + "\n");
        return summary;
    }

    private static JsonObject? BatchJson(Gpu.BatchCrossCheck.Outcome? b) => b is null ? null : new JsonObject
    {
        ["device"] = b.Device, ["instants"] = b.Instants, ["blocks"] = b.Blocks, ["seconds"] = b.Seconds, ["mismatches"] = b.Mismatches,
    };

    private static JsonObject? RasterJson(Gpu.HeatmapRasterizer.Outcome? h) => h is null ? null : new JsonObject
    {
        ["device"] = h.Device, ["intervals"] = h.Intervals, ["cells"] = h.Cells, ["seconds"] = h.Seconds, ["mismatches"] = h.Mismatches,
    };

    /// <summary>The exit code and message tail of --fail-on and of error counters above zero (unless --tolerate-errors).</summary>
    public static (ExitCode Exit, string Message) Gates(string? failOnHit, IReadOnlyDictionary<string, long> counts, RunOptions options)
    {
        var exit = ExitCode.Success;
        var message = "";
        if (failOnHit is { } hit)
        {
            exit = ExitCode.FailOn;
            message += $"; --fail-on {hit} matched";
        }
        if (StatsBuilder.ErrorCounters(counts) is { Count: > 0 } errs && !options.TolerateErrors)
        {
            exit = ExitCode.ErrorCounters;
            message += $"; error counters above zero: {string.Join(", ", errs)} (use --tolerate-errors to accept)";
        }
        return (exit, message);
    }

    private static readonly JsonSerializerOptions OptionsJson = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() }, TypeInfoResolver = PipelineJson.Default };

    /// <summary>
    /// SHA-256 of every option that changes a table (not --fail-on or --tolerate-errors, which only gate the exit):
    /// fleet parts made with different options are refused by a merge, and the unit cache keys on it.
    /// </summary>
    public static string OptionsSha256(RunOptions options)
    {
        var node = new JsonObject
        {
            ["fragmentation"] = JsonSerializer.SerializeToNode(options.Fragmentation with { Accelerator = Gpu.AcceleratorChoice.Auto }, OptionsJson),
            ["host"] = JsonSerializer.SerializeToNode(options.Host, OptionsJson),
            ["whatif"] = JsonSerializer.SerializeToNode(options.WhatIf, OptionsJson),
        };
        return Fleet.ArchiveUnit.Hex(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(node.ToJsonString())));
    }
}
