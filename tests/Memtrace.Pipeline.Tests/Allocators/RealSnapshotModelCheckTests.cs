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
