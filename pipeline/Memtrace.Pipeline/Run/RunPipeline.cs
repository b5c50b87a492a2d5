using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.Json;
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
        TraceArchive archive;
        try
        {
            archive = TraceArchive.Open(archiveDir);
        }
        catch (ArchiveException e)
        {
            return new RunOutcome(ExitCode.InputRefused, $"{archiveDir}: refused: {e.Message}", new Dictionary<string, long>());
        }
        AtomicFile.SweepStale(outDir);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var s in archive.Manifest.Sources)
            foreach (var (k, v) in s.Stats) counts[k] = counts.GetValueOrDefault(k) + v;
        var missing = new List<string>();
        // Archive-level problems get import_log rows under the pseudo source "archive": the file, its first bytes, why.
        var archiveLog = new StatsSink("archive");
        Action<string, string> Refused(TableDef def) => (src, msg) =>
        {
            var path = TraceArchive.IsSafeId(src) ? archive.TablePath(def.Name, src) : null;
            var (location, head) = path is null ? ("manifest.json", []) : (Path.GetRelativePath(archive.Root, path), FirstBytes(path));
            lock (missing)
            {
                // The what-if reads gpu_alloc_events a second time: a refused file is reported once.
                if (missing.Contains(msg)) return;
                archiveLog.Log(StatsCatalog.ArchiveSourceMissing, location, StatsSink.Excerpt(head), msg);
                missing.Add(msg);
            }
        };
        Table Read(TableDef def) => archive.ReadTable(def, Refused(def));

        progress?.Invoke("read archive", 0);
        // The GPU tables go straight into the replay: no local here keeps them alive after it (see FragmentationAnalyzer.Run).
        var snapshot = Read(GpuSegmentsSnapshot.Def);
        var stacks = Read(Stacks.Def);
        var importLog = Read(ImportLog.Def);
        timings["read_archive_s"] = clock.Elapsed.TotalSeconds;

        var frames = new StackFrames(stacks);
        var t = clock.Elapsed.TotalSeconds;
        // gpu_alloc_events is streamed: each pool is decoded from its row groups when its replay starts.
        FragmentationOutput frag;
        using (var events = archive.OpenTableReader(GpuAllocEvents.Def, Refused(GpuAllocEvents.Def)))
            frag = FragmentationAnalyzer.Run(events, snapshot, options.Fragmentation, frames, p => progress?.Invoke("fragmentation replay", p), Refused(GpuAllocEvents.Def));
        timings["fragmentation_s"] = clock.Elapsed.TotalSeconds - t;
        // The replay's event arrays (hundreds of MB a pool, large-object heap) are garbage now; a full compacting
        // collection returns them before the host half reads its tables, instead of at the next gen2 GC, which
        // may come only after the host tables are resident too.
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        foreach (var (k, v) in frag.Counts) counts[k] = counts.GetValueOrDefault(k) + v;

        t = clock.Elapsed.TotalSeconds;
        Allocators.WhatIfOutput? whatif = null;
        if (options.WhatIf is { } whatIfOptions)
        {
            using var events = archive.OpenTableReader(GpuAllocEvents.Def, Refused(GpuAllocEvents.Def));
            whatif = Allocators.WhatIfAnalyzer.Run(events, snapshot, Read(GpuAllocatorSettings.Def),
                whatIfOptions with { DeviceMemory = whatIfOptions.DeviceMemory ?? options.Fragmentation.DeviceMemory },
                p => progress?.Invoke("allocator what-if", p), knownEvents: frag.Pools.ToDictionary(p => p.Key, p => p.EventsReplayed));
            foreach (var (k, v) in whatif.Counts) counts[k] = counts.GetValueOrDefault(k) + v;
            importLog.AppendTable(whatif.Log);
        }
        timings["whatif_s"] = clock.Elapsed.TotalSeconds - t;

        t = clock.Elapsed.TotalSeconds;
        progress?.Invoke("host analysis", 0.8);
        var host = Host.HostAnalysis.Run(Read, frag, options.Host);
        timings["host_s"] = clock.Elapsed.TotalSeconds - t;
        foreach (var (k, v) in host.Counts) counts[k] = counts.GetValueOrDefault(k) + v;

        foreach (var (k, v) in archiveLog.Counts) counts[k] = counts.GetValueOrDefault(k) + v;
        importLog.AppendTable(archiveLog.Log_);
        var whatifTables = whatif is null ? [new Table(Schemas.Results.WhatIf.Def), new Table(Schemas.Results.AllocatorModelCheck.Def)] : new[] { whatif.WhatIf, whatif.Check };
        var tables = frag.Tables.Concat(host.Tables).Concat(whatifTables).Append(StatsBuilder.Build(counts)).Append(importLog).ToList();
        t = clock.Elapsed.TotalSeconds;
        foreach (var table in tables)
        {
            var sorted = TableSort.ByKey(table);
            AtomicFile.Write(Path.Combine(outDir, "tables", table.Def.Name + ".arrow"), s => ArrowIo.Write(sorted, s));
        }
        var findings = Findings.Build(frag, host, whatif);
        var summary = Summary.Build(frag, counts);
        summary["findings"] = Findings.Json(findings);
        summary["host"] = Host.HostAnalysis.Summary(host);
        summary["whatif"] = Allocators.WhatIfSummary.Build(whatif);
        AtomicFile.WriteAllText(Path.Combine(outDir, "summary.json"), summary.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        timings["write_tables_s"] = clock.Elapsed.TotalSeconds - t;
        // Everything still needed of the analyses, taken now: the report reads the written tables back, and
        // tier-0 code would keep these locals (every result table in memory) alive through it.
        var tableCount = tables.Count;
        var failOnHit = Summary.FailOnHit(summary, options.FailOn);
        var batchJson = frag.Batch is { } b ? new JsonObject
        {
            ["device"] = b.Device, ["instants"] = b.Instants, ["blocks"] = b.Blocks, ["seconds"] = b.Seconds, ["mismatches"] = b.Mismatches,
        } : null;
        var rasterJson = frag.Raster is { } h ? new JsonObject
        {
            ["device"] = h.Device, ["intervals"] = h.Intervals, ["cells"] = h.Cells, ["seconds"] = h.Seconds, ["mismatches"] = h.Mismatches,
        } : null;
        (tables, frag, host, whatif) = (null!, null!, null!, null);
        if (report)
        {
            progress?.Invoke("report", 0.9);
            Report.HtmlReport.Write(outDir);
        }
        timings["total_s"] = clock.Elapsed.TotalSeconds;

        var run = new JsonObject
        {
            ["tool"] = "memtrace",
            ["version"] = Version,
            ["archive"] = archive.Root,
            ["inputs"] = new JsonArray(archive.Manifest.Sources.Select(s => (JsonNode)new JsonObject
            {
                ["source_id"] = s.SourceId, ["path"] = s.Path, ["sha256"] = s.Sha256, ["importer"] = s.Importer, ["importer_version"] = s.ImporterVersion,
            }).ToArray()),
            ["options"] = JsonSerializer.SerializeToNode(options.Fragmentation with { }, OptionsJson),
            ["host_options"] = JsonSerializer.SerializeToNode(options.Host),
            ["timings"] = JsonSerializer.SerializeToNode(timings),
            ["peak_rss_bytes"] = PeakMemory.PeakRssBytes(),
            ["batch_statistics"] = batchJson,
            ["heatmap_raster"] = rasterJson,
            ["counters"] = JsonSerializer.SerializeToNode(new SortedDictionary<string, long>(counts, StringComparer.Ordinal)),
            ["unreadable_tables"] = new JsonArray(missing.Select(m => (JsonNode)JsonValue.Create(m)!).ToArray()),
        };
        AtomicFile.WriteAllText(Path.Combine(outDir, "run.json"), run.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

        var (exit, gates) = Gates(failOnHit, counts, options);
        return new RunOutcome(exit, $"wrote {tableCount} tables, summary.json, run.json{(report ? " and report.html" : "")} to {outDir}{gates}", counts) { Refused = missing, Findings = findings };
    }

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

    private static readonly JsonSerializerOptions OptionsJson = new() { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

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

    private static byte[] FirstBytes(string path)
    {
        try
        {
            using var fs = File.OpenRead(path);
            var head = new byte[Math.Min(64, fs.Length)];
            fs.ReadExactly(head);
            return head;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }
}
