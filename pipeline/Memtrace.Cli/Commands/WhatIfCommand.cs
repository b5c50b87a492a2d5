using System.CommandLine;
using Memtrace.Pipeline.Allocators;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;

namespace Memtrace.Cli.Commands;

/// <summary>memtrace whatif: one allocator configuration (or the standard set) against each PyTorch trace of an archive.</summary>
internal static class WhatIfCommand
{
    public static Command Create()
    {
        var archive = new Argument<string>("archive") { Description = "Trace archive directory holding a PyTorch memory snapshot." };
        var conf = new Option<string?>("--alloc-conf") { Description = "A PYTORCH_CUDA_ALLOC_CONF value to replay beside the recorded settings, e.g. \"expandable_segments:True,max_split_size_mb:128\" (default: the standard set: expandable segments, three max_split_size_mb values, roundup_power2_divisions 4 and 8)." };
        var deviceMemory = SizeOption.Create("--device-memory", "Device capacity for every pool (default: reserved + the driver's free bytes at the trace's first OOM; unlimited without one).");
        var outDir = new Option<string?>("--out") { Description = "Also write tables/whatif.arrow and tables/allocator_model_check.arrow there." };
        var noMin = new Option<bool>("--no-min-capacity") { Description = "Skip the bisection for the smallest capacity without an OOM." };
        var format = Common.Format();
        var cmd = new Command("whatif", """
            Replay each PyTorch allocator trace of the archive through a model of the CUDA caching allocator:
            first under the recorded settings, checked against every address the real allocator chose, then
            under other settings: which PYTORCH_CUDA_ALLOC_CONF, or how much memory, would have avoided the OOM.

            Example:
              memtrace whatif trace/ --alloc-conf "expandable_segments:True,max_split_size_mb:128" --device-memory 24GiB
              memtrace whatif trace/ --out results/
            """) { archive, conf, deviceMemory, outDir, noMin, format };
        cmd.SetAction(r =>
        {
            AllocatorConfig? only = null;
            if (r.GetValue(conf) is { } text)
            {
                try
                {
                    only = AllocatorConfig.Parse(text);
                }
                catch (FormatException e)
                {
                    Console.Error.WriteLine($"whatif: --alloc-conf: {e.Message}");
                    return (int)ExitCode.Usage;
                }
            }
            var options = new WhatIfOptions { DeviceMemory = r.GetValue(deviceMemory), MaxEvents = null, Only = only, MinimumCapacity = !r.GetValue(noMin) };
            return Execute(r.GetValue(archive)!, options, r.GetValue(outDir), r.GetValue(format) == "json");
        });
        return cmd;
    }

    private static int Execute(string archiveDir, WhatIfOptions options, string? outDir, bool json)
    {
        if (outDir is not null && Common.OutIsAFile("whatif", outDir) is { } usage) return usage;
        TraceArchive archive;
        try
        {
            archive = TraceArchive.Open(archiveDir);
        }
        catch (ArchiveException e)
        {
            Console.Error.WriteLine($"{archiveDir}: refused: {e.Message}");
            return (int)ExitCode.InputRefused;
        }
        var refused = new List<string>();
        void Refused(string source, string message) => refused.Add(message);
        var output = Common.WithProgress("whatif", progress =>
        {
            using var events = archive.OpenTableReader(GpuAllocEvents.Def, Refused);
            return WhatIfAnalyzer.Run(events, archive.ReadTable(GpuSegmentsSnapshot.Def, Refused), archive.ReadTable(GpuAllocatorSettings.Def, Refused), options,
                p => progress("allocator what-if", p));
        });
        foreach (var line in refused) Console.Error.WriteLine(line);
        if (outDir is not null)
        {
            foreach (var table in new[] { output.WhatIf, output.Check })
            {
                var sorted = TableSort.ByKey(table);
                AtomicFile.Write(Path.Combine(outDir, "tables", table.Def.Name + ".arrow"), s => ArrowIo.Write(sorted, s));
            }
        }
        if (json) Console.WriteLine(WhatIfSummary.Build(output).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        else foreach (var line in WhatIfText.Lines(output)) Console.WriteLine(line);
        if (output.Pools.Count == 0)
        {
            Console.Error.WriteLine($"whatif: {archiveDir}: no torch-caching pool with allocation events (import a torch.cuda.memory._dump_snapshot pickle recorded with _record_memory_history)");
            return (int)ExitCode.InputRefused;
        }
        if (refused.Count > 0) return (int)ExitCode.InputRefused;
        return StatsBuilder.ErrorCounters(output.Counts) is { Count: > 0 } ? (int)ExitCode.ErrorCounters : (int)ExitCode.Success;
    }
}
