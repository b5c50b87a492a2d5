using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Allocators;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Memtrace.Pipeline.Tests.Allocators;

/// <summary>
/// The proof on real data: each bundled snapshot's trace, replayed through the allocator model under the
/// snapshot's own allocator_settings from the state rebuilt at its first event, must put every recorded
/// allocation where the real allocator put it and end in the snapshot's final segments.
/// </summary>
public sealed class RealSnapshotModelCheckTests(ITestOutputHelper output)
{
    internal static WhatIfOutput WhatIf(string file, WhatIfOptions? options = null)
    {
        var dir = Repo.TempDir();
        var archive = TraceArchive.OpenOrCreate(dir);
        var runner = new ImportRunner(archive, new ImportOptions());
        Assert.NotEqual(ImportOutcome.Refused, runner.ImportOne(Repo.Torch(file), "auto").Outcome);
        archive = TraceArchive.Open(dir);
        using var events = archive.OpenTableReader(GpuAllocEvents.Def);
        return WhatIfAnalyzer.Run(events, archive.ReadTable(GpuSegmentsSnapshot.Def), archive.ReadTable(GpuAllocatorSettings.Def), options ?? new WhatIfOptions());
    }

    [Theory]
    [InlineData("magma27_memory_snapshot.pickle", 1721, 216)]
    [InlineData("bcrafton_memory_snapshot.pickle", 2162, 96)]
    [InlineData("bcrafton_oom_variant.pickle", 2162, 64)]
    public void Every_recorded_allocation_lands_where_the_real_allocator_put_it(string file, long allocations, long segments)
    {
        var pool = Assert.Single(WhatIf(file, new WhatIfOptions { MinimumCapacity = false }).Pools);
        var check = pool.Check!;
        foreach (var (seq, counter, excerpt, message) in check.Mismatches.Take(20)) output.WriteLine($"seq {seq} {counter.Key}: {excerpt}: {message}");
        Assert.True(pool.SettingsRecorded);
        Assert.Equal(allocations, check.Allocations);
        Assert.Equal(allocations, check.AddressMatches);
        Assert.Equal(segments, check.FinalSegments);
        Assert.Equal(segments, check.FinalSegmentMatches);
        Assert.Equal(check.SegmentEvents, check.SegmentMatches);
        Assert.Equal(0, pool.Initial!.Unplaced);
        Assert.True(check.Verified);
    }
}

public sealed class OomVariantWhatIfTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void The_recorded_settings_reproduce_the_OOM_and_each_configuration_gets_its_minimum_capacity()
    {
        var output = RealSnapshotModelCheckTests.WhatIf("bcrafton_oom_variant.pickle");
        var pool = Assert.Single(output.Pools);
        // Capacity: reserved after the empty_cache (96 − 32 segments: 4,238,344,192 − 985,661,440 bytes) + the 8 MiB free.
        Assert.Equal(4_238_344_192L - 985_661_440L + 8 * MiB, pool.Capacity);
        Assert.Equal("oom", pool.CapacityOrigin);
        var (config, start, recorded, min) = pool.Runs[0];
        Assert.Equal(WhatIfStart.Trace, start);
        Assert.Equal("recorded", config.Label);
        Assert.Equal(1, recorded.Ooms);
        Assert.Equal(14_963_200, recorded.FirstOomRequest);
        Assert.False(recorded.RecordedOomsServed);
        // The request's cudaMalloc is 16 MiB (rounded to 2 MiB) and the driver had 8 MiB: 8 MiB more avoids it.
        Assert.Equal(pool.Capacity + 8 * MiB, min);
        string[] labels = ["recorded", "expandable_segments", "max_split_size_mb:21", "max_split_size_mb:148", "roundup_power2_divisions:4", "roundup_power2_divisions:8"];
        Assert.Equal(labels.Concat(labels), pool.Runs.Select(r => r.Config.Label));
        Assert.Equal(Enumerable.Repeat(WhatIfStart.Trace, 6).Concat(Enumerable.Repeat(WhatIfStart.Empty, 6)), pool.Runs.Select(r => r.Start));
        foreach (var run in pool.Runs)
        {
            Assert.NotNull(run.MinCapacity);
            // Without an OOM at the trace's capacity, the smallest capacity found is at most that.
            Assert.Equal(run.Result.Ooms == 0, run.MinCapacity <= pool.Capacity);
        }
        // From an empty allocator expandable segments pack the same requests into less memory than the recorded settings.
        var empty = pool.Runs.Where(r => r.Start == WhatIfStart.Empty).ToDictionary(r => r.Config.Label);
        Assert.True(empty["expandable_segments"].MinCapacity < empty["recorded"].MinCapacity);
        Assert.Equal(pool.Runs.Count, output.WhatIf.RowCount);
        Assert.Equal(1, output.Check.RowCount);
        Assert.True(output.Check.Bool("verified")[0]);
    }

    [Fact]
    public void The_minimum_capacity_is_replayed_on_both_sides()
    {
        var pool = Assert.Single(RealSnapshotModelCheckTests.WhatIf("bcrafton_oom_variant.pickle", new WhatIfOptions { Only = AllocatorConfig.Parse("expandable_segments:True") }).Pools);
        Assert.Equal(["recorded", "user", "recorded", "user"], pool.Runs.Select(r => r.Config.Label));
        var replay = Replays("bcrafton_oom_variant.pickle");
        foreach (var (config, start, _, min) in pool.Runs)
        {
            Assert.Equal(0, WhatIfReplay.Run(replay.Trace, replay.Initial, replay.External, config.Config, min, start: start).Ooms);
            // The step below is an OOM, or under the floor no device could go below (the bytes live at the first event).
            var floor = replay.Initial.Sum(s => s.Blocks.Where(b => b.Live).Sum(b => b.Size));
            Assert.True(min - 2 * MiB < floor || WhatIfReplay.Run(replay.Trace, replay.Initial, replay.External, config.Config, min - 2 * MiB, start: start).Ooms > 0);
        }
    }

    internal static (AllocatorTrace Trace, IReadOnlyList<SegmentState> Initial, bool[] External) Replays(string file)
    {
        var pool = Assert.Single(RealSnapshotModelCheckTests.WhatIf(file, new WhatIfOptions { MinimumCapacity = false, KeepTraces = true }).Pools);
        return (pool.Trace!, pool.Initial!.Segments, pool.Check!.ExternalReleases);
    }
}

/// <summary>The proof can fail: a trace the model cannot follow is reported, event by event.</summary>
public sealed class ModelCheckMismatchTests
{
    [Fact]
    public void An_allocation_the_real_allocator_placed_elsewhere_is_counted_and_the_replay_stays_in_step()
    {
        var (trace, initial, _) = OomVariantWhatIfTests.Replays("bcrafton_memory_snapshot.pickle");
        // Swap the recorded addresses of two consecutive large allocations of different sizes and places, as a
        // recording of an allocator with another policy would show.
        var events = trace.Events.ToArray();
        var allocs = Enumerable.Range(0, events.Length).Where(i => events[i].Op == TraceOp.Alloc).ToArray();
        var (i1, i2) = allocs.Select((e, k) => (e, k)).Skip(100).Select(p => (p.e, allocs[p.k + 1]))
            .First(p => events[p.e].Size != events[p.Item2].Size && events[p.e].Address != events[p.Item2].Address && events[p.e].Size > (1 << 20) && events[p.Item2].Size > (1 << 20));
        (events[i1], events[i2]) = (events[i1] with { Address = events[i2].Address }, events[i2] with { Address = events[i1].Address });
        var bad = new AllocatorTrace { Key = trace.Key, Events = events, FinalSegments = trace.FinalSegments, Recorded = trace.Recorded };
        var check = ModelCheck.Run(bad, initial);
        Assert.False(check.Verified);
        Assert.True(check.Allocations - check.AddressMatches >= 2);
        var first = check.Mismatches.First(m => m.Counter == Memtrace.Schemas.Stats.StatsCatalog.WhatIfAddressMismatch);
        Assert.Equal(events[i1].Seq, first.Seq);
        Assert.StartsWith("alloc addr=0x", first.Excerpt);
        Assert.Contains("the model chose 0x", first.Message);
    }

    [Fact]
    public void The_synthetic_mosaic_file_is_not_a_recorded_history_and_the_check_says_so()
    {
        // mosaic's addresses are random and its blocks do not tile its segments (tests/data/torch-snapshots/README.md):
        // no allocator produced it, so the model cannot reproduce it, and the table must not claim it did.
        var output = RealSnapshotModelCheckTests.WhatIf("mosaic_output.pickle", new WhatIfOptions { MinimumCapacity = false });
        Assert.NotEmpty(output.Pools);
        Assert.All(output.Pools, p => Assert.False(p.Check!.Verified));
        Assert.True(output.Counts.GetValueOrDefault("whatif_address_mismatch") > 0);
        Assert.All(Enumerable.Range(0, output.Check.RowCount), r => Assert.False(output.Check.Bool("verified")[r]));
    }
}
