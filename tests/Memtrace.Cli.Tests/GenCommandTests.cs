using Memtrace.Cli.Tests.CorruptedInputs;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Pipeline.Synthetic;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests;

[Collection("console")]
public sealed class GenCommandTests
{
    private static string Gen(string dir, int seed, params string[] extra)
    {
        var archive = Path.Combine(dir, $"gen{seed}");
        var (code, _, err) = Matrix.Invoke(["gen", "--out", archive, "--events", "20000", "--devices", "2", "--workloads", "2", "--hours", "0.05", "--seed", seed.ToString(), .. extra]);
        Assert.True(code == 0, err);
        return archive;
    }

    [Fact]
    public void Same_seed_gives_byte_identical_tables_and_another_seed_does_not()
    {
        var dir = Repo.TempDir();
        var a = TraceArchive.Open(Gen(dir, 5)).Manifest.Sources;
        var b = TraceArchive.Open(Gen(Path.Combine(dir, "again"), 5)).Manifest.Sources;
        var c = TraceArchive.Open(Gen(dir, 6)).Manifest.Sources;
        Assert.Equal(4, a.Count); // two devices, two workloads
        static IEnumerable<string> Hashes(IEnumerable<SourceEntry> sources) => sources.SelectMany(s => s.TableSha256.Select(kv => $"{s.SourceId}/{kv.Key}={kv.Value}"));
        Assert.Equal(Hashes(a), Hashes(b));
        Assert.NotEqual(a.Single(s => s.SourceId.EndsWith("d0")).TableSha256["gpu_alloc_events"], c.Single(s => s.SourceId.EndsWith("d0")).TableSha256["gpu_alloc_events"]);
    }

    [Fact]
    public void Generated_trace_draws_from_the_real_trace_and_replays_without_an_anomaly()
    {
        var dir = Repo.TempDir();
        var archive = Gen(dir, 9);
        var real = GpuDistributions.FromEvents(TraceArchive.Open(Path.Combine(Repo.Root, "samples", "demo-archive")).ReadTable(GpuAllocEvents.Def));
        var events = TraceArchive.Open(archive).ReadTable(GpuAllocEvents.Def);
        Assert.Equal(20_000, events.RowCount);
        var realSizes = real.RequestSizes.ToHashSet();
        var realGaps = real.GapsNs.ToHashSet();
        var inputs = FragmentationAnalyzer.BuildInputs(events, new Memtrace.Schemas.Model.Table(GpuSegmentsSnapshot.Def));
        Assert.Equal(2, inputs.Count);
        foreach (var pool in inputs)
        {
            Assert.All(pool.Events.Where(e => e.Op == AllocOp.Alloc), e => Assert.Contains(e.Size, realSizes));
            for (var i = 1; i < pool.Events.Length; i++) Assert.Contains(pool.Events[i].TsNs - pool.Events[i - 1].TsNs, realGaps);
            var result = PoolReplay.Run(pool, new FragmentationOptions { HeatmapTimeBins = 8, HeatmapAddressBins = 8 });
            Assert.DoesNotContain(result.Counts, c => c.Value != 0);
            // The allocator's own invariant: a block is live from its alloc to its free, nothing else.
            var live = new HashSet<long>();
            foreach (var e in pool.Events)
            {
                if (e.Op == AllocOp.Alloc) Assert.True(live.Add(e.Address));
                if (e.Op == AllocOp.Free) Assert.True(live.Remove(e.Address));
            }
            Assert.Equal(live.Order(), result.FinalLive.Select(b => b.Start));
        }
    }

    [Fact]
    public void A_generated_fleet_runs_end_to_end_with_every_workload_and_device()
    {
        var dir = Repo.TempDir();
        var archive = Gen(dir, 2);
        var (code, err, outDir) = Matrix.Run(archive);
        Assert.True(code == 0, string.Join("\n", err));
        var timeline = Matrix.Result(outDir, "fragmentation_timeline");
        Assert.Equal(2, Matrix.SourcesIn(timeline).Count);
        var plan = Matrix.Result(outDir, "capacity_plan");
        Assert.Equal(["/kubepods/pod0", "/kubepods/pod1"], Matrix.Rows(plan).Select(r => plan[CapacityPlan.CgroupPath][r]).Order());
        Assert.All(Matrix.Rows(plan), r => Assert.True(plan[CapacityPlan.RecommendedLimit][r] > 0));
        Assert.Equal(0, Matrix.Counter(outDir, "heatmap_raster_mismatch"));
        Assert.Equal(0, Matrix.Counter(outDir, "replay_batch_mismatch"));
    }

    [Fact]
    public void An_archive_without_gpu_events_is_refused_in_one_line()
    {
        var dir = Repo.TempDir();
        var empty = Path.Combine(dir, "empty");
        TraceArchive.OpenOrCreate(empty);
        var (code, _, err) = Matrix.Invoke("gen", "--out", Path.Combine(dir, "g"), "--from", empty);
        Assert.Equal(2, code);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"gen: {empty}: refused:", line);
    }
}
