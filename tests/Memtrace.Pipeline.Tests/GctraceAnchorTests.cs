using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Normalize;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests;

public sealed class GctraceAnchorTests
{
    [Fact]
    public void Real_go_program_start_is_recovered_from_its_gctrace_and_memstats()
    {
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        new ImportRunner(archive, new ImportOptions()).ImportOne(Repo.Data("go", "gctrace.log"), "gctrace");
        var t = archive.ReadTable(GoGcEvents.Def);
        var gcs = Enumerable.Range(0, t.RowCount).Select(i => new GcLine(t[GoGcEvents.GcNum][i], t[GoGcEvents.SinceStartNs][i],
            t[GoGcEvents.ClockSweepTermMs][i] + t[GoGcEvents.ClockMarkMs][i] + t[GoGcEvents.ClockMarkTermMs][i])).ToList();
        // memstats.txt was written by the same process: runtime.ReadMemStats at exit, and time.Now() at the top of main.
        var kv = File.ReadAllLines(Repo.Data("go", "memstats.txt")).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => long.Parse(p[1]));
        var anchor = GctraceAnchor.Anchor(gcs, [new MemStatsRead(kv["num_gc"], kv["last_gc_unix_ns"])]);
        Assert.NotNull(anchor);
        Assert.Equal(1, anchor!.Pairs);
        // The runtime starts (and '@s' counts from) a little before main() runs: within a few ms, never after.
        var early = kv["start_unix_ns"] - anchor.ProcessStartNs;
        Assert.InRange(early, -500_000, 5_000_000);
    }

    [Fact]
    public void Several_reads_give_the_median_and_their_spread()
    {
        var gcs = new[] { new GcLine(1, 1_000_000_000, 1.0), new GcLine(2, 2_000_000_000, 2.0), new GcLine(3, 3_000_000_000, 0.5) };
        const long start = 1_700_000_000_000_000_000;
        var reads = new[]
        {
            new MemStatsRead(1, start + 1_000_000_000 + 1_000_000),
            new MemStatsRead(2, start + 2_000_000_000 + 2_000_000 + 400_000), // 0.4 ms late
            new MemStatsRead(3, start + 3_000_000_000 + 500_000),
            new MemStatsRead(9, start), // no such cycle in the log
        };
        var a = GctraceAnchor.Anchor(gcs, reads)!;
        Assert.Equal((start, 3, 400_000L), (a.ProcessStartNs, a.Pairs, a.SpreadNs));
        Assert.Null(GctraceAnchor.Anchor(gcs, [new MemStatsRead(0, 0)]));
    }
}
