using System.Globalization;
using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Allocators;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Tables;

namespace Memtrace.Bench;

/// <summary>
/// The allocator what-if's replay rate, one configuration on one core, against the issue's 5 M events/s: on the
/// 10^7-event synthetic caching-allocator trace (sizes from the real snapshots) from an empty allocator, and on the
/// real snapshots scaled ×100 (tests/bench/scripts/scale_snapshot.py --streams: copy k on stream k) from their
/// rebuilt first-event state. Each figure is the median of three runs (five for the scaled files) after a warm-up. The scaled files are also a
/// real-shape check of the proof: with a stream per copy a scaled snapshot is a valid history of one allocator, and
/// the model must reproduce every address.
/// </summary>
public static class WhatIfBench
{
    public static IEnumerable<Figure> Run(string work, int syntheticEvents, int factor)
    {
        var sizes = Program.RealSizes();
        var generator = new Memtrace.Pipeline.Synthetic.CachingAllocatorTrace(sizes, seed: 11);
        var events = generator.Next(syntheticEvents).Select(e => new TraceEvent(e.Seq, e.TsNs, e.Op switch { AllocOp.Alloc => TraceOp.Alloc, AllocOp.Free => TraceOp.FreeCompleted, _ => TraceOp.Other }, e.Address, e.Size, 0)).ToArray();
        var synthetic = new AllocatorTrace { Key = new PoolKey("", 1, 0, WhatIfInputs.TorchPool, "s"), Events = events, FinalSegments = [], Recorded = AllocatorConfig.Default };
        foreach (var f in Configs(synthetic, [], new bool[events.Length], WhatIfStart.Empty, "synthetic_1e7")) yield return f;

        var root = Memtrace.Tests.Repo.Root;
        foreach (var name in new[] { "magma27", "bcrafton" })
        {
            var file = Path.Combine(work, $"whatif_{name}_x{factor}.pickle");
            if (!RealShapeBench.Python([Path.Combine(root, "tests", "bench", "scripts", "scale_snapshot.py"),
                    Path.Combine(root, "tests", "data", "torch-snapshots", $"{name}_memory_snapshot.pickle"), file, factor.ToString(CultureInfo.InvariantCulture), "--streams"], out _))
            {
                Console.WriteLine("python3 not found: the scaled what-if bench is skipped");
                yield break;
            }
            var dir = Path.Combine(work, $"whatif_{name}_x{factor}");
            var report = new ImportRunner(TraceArchive.OpenOrCreate(dir), new ImportOptions()).ImportOne(file, "torch-snapshot");
            if (report.Outcome != ImportOutcome.Imported) throw new InvalidOperationException(report.Message);
            var archive = TraceArchive.Open(dir);
            WhatIfPool? pool = null;
            var checkS = Program.Time(() =>
            {
                using var reader = archive.OpenTableReader(GpuAllocEvents.Def);
                pool = WhatIfAnalyzer.Run(reader, archive.ReadTable(GpuSegmentsSnapshot.Def), archive.ReadTable(GpuAllocatorSettings.Def),
                    new WhatIfOptions { MaxEvents = null, MinimumCapacity = false, Only = AllocatorConfig.Default, KeepTraces = true }).Pools.Single();
            });
            var check = pool!.Check!;
            if (!check.Verified) throw new InvalidOperationException($"{name} x{factor}: the model did not reproduce the scaled trace: {check.AddressMatches}/{check.Allocations} addresses, {check.FinalSegmentMatches}/{check.FinalSegments} segments");
            Console.WriteLine($"whatif proof {name}_x{factor}: {check.AddressMatches:N0}/{check.Allocations:N0} addresses and {check.FinalSegmentMatches:N0}/{check.FinalSegments:N0} final segments reproduced (import to verdict {checkS:0.00} s)");
            foreach (var f in Configs(pool.Trace!, pool.Initial!.Segments, check.ExternalReleases, WhatIfStart.Trace, $"{name}_x{factor}")) yield return f;
            File.Delete(file);
        }
    }

    private static IEnumerable<Figure> Configs(AllocatorTrace trace, IReadOnlyList<SegmentState> initial, bool[] external, WhatIfStart start, string label)
    {
        foreach (var config in WhatIfConfigs.Standard(trace.Recorded, trace.Events).Take(3).Append(new WhatIfConfig("roundup_power2_divisions:4", AllocatorConfig.Parse("roundup_power2_divisions:4"))).DistinctBy(c => c.Label))
        {
            WhatIfResult? result = null;
            void Replay() => result = WhatIfReplay.Run(trace, initial, external, config.Config, null, start: start);
            Program.Time(Replay);
            // A ×100 replay takes ~0.1 s, where one GC pause shows: five runs for those, three for the 10^7 trace.
            var runs = Enumerable.Range(0, trace.Events.Length > 5_000_000 ? 3 : 5).Select(_ => Program.Time(Replay)).Order().ToArray();
            var secs = runs[runs.Length / 2];
            if (result!.Requests != trace.Events.Count(e => e.Op is TraceOp.Alloc or TraceOp.Oom) + (start == WhatIfStart.Empty ? initial.Sum(s => s.Blocks.Count(b => b.Live)) : 0) || result.Ooms != 0)
                throw new InvalidOperationException($"whatif {label} {config.Label}: {result.Requests} requests, {result.Ooms} OOMs on an unlimited device");
            var n = trace.Events.Length;
            Console.WriteLine($"whatif {label} {config.Label}: {n:N0} events in {secs:0.000} s = {n / secs / 1e6:0.00} M/s (runs {string.Join(" / ", runs.Select(r => r.ToString("0.000", CultureInfo.InvariantCulture)))}); peak reserved {result.PeakReserved:N0}, {result.DeviceAllocations:N0} device allocations");
            yield return new Figure($"whatif_{label}_{config.Label.Replace(':', '_')}_events_per_s", n / secs, "events/s", "issue target (5M/s)", 5e6, n / secs / 5e6);
        }
    }
}
