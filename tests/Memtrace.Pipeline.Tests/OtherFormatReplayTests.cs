using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class OtherFormatReplayTests
{
    [Fact]
    public void Rmm_fixture_oom_is_fragmentation_by_hand()
    {
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        new ImportRunner(archive, new ImportOptions { Date = new DateOnly(2026, 11, 20) }).ImportOne(Repo.Data("rmm", "pool.dev1.csv"), "rmm-csv");
        var output = FragmentationAnalyzer.Run(archive.ReadTable(GpuAllocEvents.Def), archive.ReadTable(GpuSegmentsSnapshot.Def), new FragmentationOptions());
        var pool = Assert.Single(output.Pools);
        const long MiB = 1 << 20;
        // Eight 64 MiB buffers span the observed 512 MiB range; freeing every other one leaves four 64 MiB holes.
        var oom = Assert.Single(pool.Ooms);
        Assert.Equal((96 * MiB, 256 * MiB, 64 * MiB, 4L, "fragmentation"), (oom.Request, oom.F, oom.L, oom.N, oom.Verdict));
        Assert.Equal(32 * MiB, oom.ExtraContiguousNeeded);
        Assert.Equal(0.75, pool.Timeline.Single(r => r.Seq == 11).FragRate);
        Assert.Empty(pool.Anomalies);
    }
}
