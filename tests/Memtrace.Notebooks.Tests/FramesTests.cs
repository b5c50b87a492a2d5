using System.Globalization;
using Memtrace.Schemas;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Tests;
using Microsoft.Data.Analysis;
using Xunit;

namespace Memtrace.Notebooks.Tests;

/// <summary>The library surface: frames equal the tables they come from, slices equal a naive filter, CSV is what it says.</summary>
public sealed class FramesTests(DemoRuns runs) : IClassFixture<DemoRuns>
{
    /// <summary>Every cell of the frame equals the table's cell (lists joined by " | ").</summary>
    private static void AssertSame(Table t, DataFrame df)
    {
        Assert.Equal(t.RowCount, df.Rows.Count);
        Assert.Equal(t.Def.Columns.Select(c => c.Name), df.Columns.Select(c => c.Name));
        foreach (var col in t.Columns)
        {
            var f = df.Columns[col.Def.Name];
            for (var r = 0; r < t.RowCount; r++)
            {
                var expected = TableComparer.Cell(col, r, " | ");
                Assert.True(Equals(expected, f[r]), $"{t.Def.Name}.{col.Def.Name}[{r}]: {expected} vs {f[r]}");
            }
        }
    }

    [Fact]
    public void Every_result_table_of_a_real_run_reads_back_cell_for_cell()
    {
        var run = RunResults.Open(runs.First);
        Assert.Equal(TableCatalog.Results.Count + 1, run.TableNames.Count);
        foreach (var name in run.TableNames)
        {
            var def = TableCatalog.Find(name)!;
            using var fs = File.OpenRead(Path.Combine(runs.First, "tables", name + ".arrow"));
            var table = ArrowIo.Read(def, fs);
            var df = run.Frame(name);
            GC.Collect(); // frames must own (or keep alive) the memory they read
            GC.WaitForPendingFinalizers();
            AssertSame(table, df);
            // Filter and clone touch every buffer: the bool column bug of Microsoft.Data.Analysis shows up here.
            Assert.Equal(df.Rows.Count, df.Filter(new PrimitiveDataFrameColumn<bool>("all", Enumerable.Repeat(true, (int)df.Rows.Count))).Rows.Count);
        }
    }

    [Fact]
    public void Raw_archive_tables_with_list_columns_become_frames()
    {
        var archive = TraceArchive.Open(runs.Archive);
        foreach (var def in TableCatalog.Raw)
        {
            var table = archive.ReadTable(def);
            var df = ArchiveTables.Open(runs.Archive).Frame(def.Name);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            AssertSame(table, df);
        }
    }

    [Fact]
    public void Slice_keeps_exactly_the_rows_a_naive_filter_keeps()
    {
        var run = RunResults.Open(runs.First);
        var t = run.Frame("memory_timeline");
        var ts = Frames.Longs(t, "ts_ns");
        var pids = Frames.Longs(t, "pid");
        var cgroups = Frames.Strings(t, "cgroup_path");
        var rng = new Random(7);
        var sorted = ts.Select(v => v!.Value).Order().ToArray();
        for (var trial = 0; trial < 50; trial++)
        {
            var a = sorted[rng.Next(sorted.Length)];
            var b = sorted[rng.Next(sorted.Length)];
            var pid = rng.Next(3) == 0 ? null : pids[rng.Next(pids.Length)];
            var cg = rng.Next(3) switch { 0 => null, 1 => cgroups[rng.Next(cgroups.Length)], _ => "/process_api" };
            var slice = new Slice(Math.Min(a, b), Math.Max(a, b), Pid: pid, Cgroup: cg);
            var expected = Enumerable.Range(0, ts.Length).Count(i =>
                ts[i] >= Math.Min(a, b) && ts[i] < Math.Max(a, b) && (pid is null || pids[i] == pid)
                && (cg is null || cgroups[i] == cg || cgroups[i]!.StartsWith(cg + "/", StringComparison.Ordinal)));
            Assert.Equal(expected, slice.Apply(t).Rows.Count);
        }
        var ex = Assert.Throws<ArgumentException>(() => new Slice(Device: 0).Apply(t));
        Assert.Contains("no a device column", ex.Message);
    }

    [Fact]
    public void Reanalysis_in_a_window_is_the_full_replay_cut_to_the_window()
    {
        var source = (string)RunResults.Open(runs.First).Frame("oom_diagnoses")["source_id"][0]!;
        var full = Reanalysis.Fragmentation(runs.Archive, new Slice(SourceId: source), requestSize: 32L << 20);
        var ts = Frames.Longs(full.Timeline, "ts_ns").Select(v => v!.Value).ToArray();
        var (from, to) = (ts[ts.Length / 4], ts[3 * ts.Length / 4]);
        var cut = Reanalysis.Fragmentation(runs.Archive, new Slice(from, to, SourceId: source), requestSize: 32L << 20);
        // The state at the window's start comes from the events before it, so the windowed rows are the
        // full replay's rows in [from, to), value for value.
        var inWindow = Enumerable.Range(0, ts.Length).Where(i => ts[i] >= from && ts[i] < to).ToList();
        Assert.Equal(inWindow.Count, cut.Timeline.Rows.Count);
        var fullUser = Frames.Doubles(full.Timeline, "unusable_user");
        Assert.Equal(inWindow.Select(i => fullUser[i]), Frames.Doubles(cut.Timeline, "unusable_user"));
        Assert.All(fullUser, v => Assert.NotNull(v));
        Assert.Empty(Reanalysis.Fragmentation(runs.Archive, new Slice(from, to, SourceId: "no-such-source")).Timeline.Rows);
    }

    [Fact]
    public void Concat_labels_rows_with_their_run()
    {
        var both = RunResults.Concat([RunResults.Open(runs.First), RunResults.Open(runs.Second)], "capacity_plan");
        var labels = Frames.Strings(both, "run");
        Assert.Equal(both.Rows.Count, labels.Length);
        Assert.Equal(new[] { "demo", "demo-headroom-1.5" }, labels.Distinct().Order(StringComparer.Ordinal).Select(l => l!).ToArray());
        Assert.Equal(1.5, Frames.Doubles(new Slice().Apply(both), "headroom_factor").Max());
    }

    [Fact]
    public void Csv_quotes_what_needs_quoting_and_writes_instants_as_utc_times()
    {
        var df = new DataFrame(
            new StringDataFrameColumn("evidence", ["plain", "a, b", "say \"hi\""]),
            new PrimitiveDataFrameColumn<long>("ts_ns", [0L, 1_700_000_000_123_000_000L, 5]),
            new PrimitiveDataFrameColumn<double>("ratio", [0.5, double.NaN, 1e-7]));
        var path = Path.Combine(Repo.TempDir(), "x.csv");
        Display.WriteCsv(df, path);
        Assert.Equal([
            "evidence,ts_ns,ratio",
            "plain,1970-01-01 00:00:00.000,0.5",
            "\"a, b\",2023-11-14 22:13:20.123,NaN",
            "\"say \"\"hi\"\"\",1970-01-01 00:00:00.000,1E-07",
        ], File.ReadAllLines(path));
    }

    [Theory]
    [InlineData(0, 1, "0,0.2,0.4,0.6,0.8,1")]
    [InlineData(0, 0.052, "0,0.01,0.02,0.03,0.04,0.05")]
    [InlineData(-5, 480, "0,100,200,300,400")]
    public void Chart_ticks_are_round_numbers(double lo, double hi, string expected)
    {
        Assert.Equal(expected, string.Join(",", Charts.Ticks(lo, hi).Select(v => v.ToString("0.###", CultureInfo.InvariantCulture))));
    }
}
