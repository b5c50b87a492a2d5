using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.Gctrace;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

public sealed class GctraceTests
{
    [Theory]
    [InlineData("gc 1 @0.040s 1%: 0.027+1.4+0.005 ms clock, 0.055+0.78/0.28/0.84+0.010 ms cpu, 3->3->0 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P", true, false, true)]
    [InlineData("gc 10 @0.130s 4%: 0.11+0.14+0.003 ms clock, 0.23+0/0.091/0+0.006 ms cpu, 21->21->13 MB, 29 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)", true, true, true)]
    [InlineData("gc 7 @12.5s 0%: 0.010+2.1+0.004 ms clock, 0.08+0.5/1.9/4.0+0.032 ms cpu, 9->9->4 MB, 10 MB goal, 8 P", true, false, false)]
    [InlineData("gc 7 @12.5s 0%: 0.010+2.1 ms clock, 8 P", false, false, false)]
    [InlineData("gc 7 @x.5s 0%: 0.010+2.1+0.004 ms clock, 0.08+0.5/1.9/4.0+0.032 ms cpu, 9->9->4 MB, 10 MB goal, 8 P", false, false, false)]
    [InlineData("scvg: 0 MB released", false, false, false)]
    // Go 1.6's five clock phases, and Go 1.5's "gc #N".
    [InlineData("gc 1 @0.015s 1%: 0.10+0.26+0.034+0.44+0.13 ms clock, 0.40+0.26+0+0.21/0.37/0.26+0.51 ms cpu, 4->4->0 MB, 5 MB goal, 4 P", true, false, false)]
    [InlineData("gc #2 @0.030s 2%: 0.10+0.26+0.034+0.44+0.13 ms clock, 0.40+0.26+0+0.21/0.37/0.26+0.51 ms cpu, 4->4->0 MB, 5 MB goal, 4 P (forced)", true, true, false)]
    // A line from a future Go with a field this parser does not know: counted as bad, never guessed at.
    [InlineData("gc 3 @0.500s 2%: 0.1+0.2+0.3 ms clock, 0.1+0.2/0.3/0.4+0.5 ms cpu, 4->4->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 1 MB arenas, 8 P", false, false, false)]
    public void Parses_edge_case_lines(string line, bool ok, bool forced, bool hasStacks)
    {
        Assert.Equal(ok, GctraceLine.TryParse(line, out var r));
        if (!ok) return;
        Assert.Equal(forced, r!.Forced);
        Assert.Equal(hasStacks, r.Stacks is not null);
    }

    [Fact]
    public void Go16_phases_fold_into_the_three_phase_columns()
    {
        Assert.True(GctraceLine.TryParse("gc 1 @0.015s 1%: 0.10+0.26+0.034+0.44+0.13 ms clock, 0.40+0.26+0+0.21/0.37/0.26+0.51 ms cpu, 4->4->0 MB, 5 MB goal, 4 P", out var r));
        // Clock: sweep termination 0.10, mark = scan + synchronize + mark = 0.26 + 0.034 + 0.44, termination 0.13.
        Assert.Equal((0.10, 0.734, 0.13), (r!.ClockSweepTerm, Math.Round(r.ClockMark, 6), r.ClockMarkTerm));
        // CPU: assist 0.21, background = scan + synchronize + background = 0.26 + 0 + 0.37, idle 0.26, termination 0.51.
        Assert.Equal((0.40, 0.21, 0.63, 0.26, 0.51), (r.CpuSweepTerm, r.CpuAssist, Math.Round(r.CpuBackground, 6), r.CpuIdle, r.CpuMarkTerm));
        Assert.Equal((4.0, 0.0, 5.0, 4L), (r.HeapBefore, r.HeapLive, r.HeapGoal, r.Procs));
    }

    [Fact]
    public void Real_go_program_log_imports_every_cycle()
    {
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(Repo.Data("go", "gctrace.log"), "auto");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        Assert.Equal("gctrace", report.Format);
        var t = archive.ReadTable(GoGcEvents.Def);
        // memstats.txt, written by the same process, says num_gc 23.
        var numGc = long.Parse(File.ReadAllLines(Repo.Data("go", "memstats.txt")).Single(l => l.StartsWith("num_gc ", StringComparison.Ordinal))[7..]);
        Assert.Equal(numGc, t.RowCount);
        Assert.Equal(Enumerable.Range(1, (int)numGc).Select(i => (long)i), t[GoGcEvents.GcNum].Values.ToArray());
        Assert.Equal(2, Enumerable.Range(0, t.RowCount).Count(i => t[GoGcEvents.Forced][i]));
        Assert.True(Enumerable.Range(0, t.RowCount).All(i => t[GoGcEvents.TsNs].IsNull(i)), "not anchored until clock alignment");
        // Last line: "gc 23 @0.162s 4%: ... 20->20->12 MB, 20 MB goal, 0 MB stacks, 0 MB globals, 2 P".
        var last = t.RowCount - 1;
        Assert.Equal(162_000_000L, t[GoGcEvents.SinceStartNs][last]);
        Assert.Equal((20.0, 12.0, 20.0), (t[GoGcEvents.HeapBeforeMb][last], t[GoGcEvents.HeapLiveMb][last], t[GoGcEvents.HeapGoalMb][last]));
        Assert.False(archive.Manifest.Sources.Single().ClockAligned);
    }

    [Fact]
    public void Mixed_log_skips_other_lines_and_counts_broken_records()
    {
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "service.log");
        var lines = File.ReadAllLines(Repo.Data("go", "gctrace.log")).Take(3).ToList();
        lines.Insert(1, "2026/11/23 22:00:00 http: listening on :8080");
        lines.Add("gc 4 @0.1s 9%: garbled");
        File.WriteAllLines(path, lines);
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        Assert.Equal(ImportOutcome.Imported, new ImportRunner(archive, new ImportOptions()).ImportOne(path, "auto").Outcome);
        var src = archive.Manifest.Sources.Single();
        Assert.Equal(3, src.Rows["go_gc_events"]);
        Assert.Equal(1, src.Stats[StatsCatalog.GctraceBadLine.Key]);
    }
}
