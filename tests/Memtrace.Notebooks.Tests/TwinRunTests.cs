using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Tables;
using Xunit;

namespace Memtrace.Notebooks.Tests;

/// <summary>
/// Every runnable twin, run as a file-based app on real out directories. Each test checks what the twin
/// printed against figures read from the tables here, another way (ArrowIo / the archive's Parquet files,
/// and for the re-analysis a hand computation from the snapshot's free blocks).
/// </summary>
public sealed class TwinRunTests(DemoRuns runs) : IClassFixture<DemoRuns>
{
    private static Table Result(string outDir, TableDef def)
    {
        using var fs = File.OpenRead(Path.Combine(outDir, "tables", def.Name + ".arrow"));
        return ArrowIo.Read(def, fs);
    }

    private static void AssertSvgs(string figures, int count)
    {
        var files = Directory.GetFiles(figures, "*.svg").Order().ToList();
        Assert.Equal(count, files.Count);
        foreach (var f in files)
        {
            var svg = XDocument.Load(f).Root!;
            Assert.Equal("svg", svg.Name.LocalName);
            Assert.Contains(svg.Descendants(), e => e.Name.LocalName == "path" && ((string?)e.Attribute("d"))?.Length > 20);
        }
    }

    [Fact]
    public void Gpu_fragmentation_twin_shows_the_oom_and_replays_at_another_size()
    {
        var (stdout, figures) = DemoRuns.RunTwin("01-gpu-fragmentation", runs.First);
        var ooms = Result(runs.First, OomDiagnoses.Def);
        Assert.Equal(1, ooms.RowCount);
        Assert.Contains("fragmentation-oom", stdout);
        Assert.Contains($"OOM 1: request {Display.Bytes(ooms[OomDiagnoses.Request][0])}, free {Display.Bytes(ooms[OomDiagnoses.FreeBytes][0])}, " +
                        $"largest free block {Display.Bytes(ooms[OomDiagnoses.LargestFree][0])} -> fragmentation", stdout);

        // unusable_index(64 MiB) at the end, by hand from the final snapshot's inactive blocks of that pool
        // (the replay's final state equals the snapshot): (F − Σ⌊b/R⌋·R) / F.
        var source = ooms[PoolKeyColumns.SourceId][0]!;
        var snap = TraceArchive.Open(runs.Archive).ReadTable(GpuSegmentsSnapshot.Def);
        const long r = 64L << 20;
        long free = 0, usable = 0;
        for (var i = 0; i < snap.RowCount; i++)
        {
            if (snap[Col.SourceId][i] != source || snap[GpuSegmentsSnapshot.BlockState][i] != "inactive") continue;
            free += snap[GpuSegmentsSnapshot.BlockSize][i];
            usable += snap[GpuSegmentsSnapshot.BlockSize][i] / r * r;
        }
        var expected = (free - usable) / (double)free;
        var printed = Regex.Match(stdout, @"unusable_index at the end (\d\.\d{4})");
        Assert.True(printed.Success, stdout);
        Assert.Equal(expected.ToString("0.0000", CultureInfo.InvariantCulture), printed.Groups[1].Value);
        AssertSvgs(figures, 2);
    }

    [Fact]
    public void Rss_gap_twin_sums_the_layers_to_the_total_and_walks_the_flags()
    {
        var (stdout, figures) = DemoRuns.RunTwin("02-rss-gap", runs.First);
        var plan = Result(runs.First, CapacityPlan.Def);
        var killed = Enumerable.Range(0, plan.RowCount).Single(i => plan[CapacityPlan.Ooms][i] > 0);
        var pid = plan[CapacityPlan.Pid][killed];
        Assert.Contains($"looking at pid {pid} (", stdout);
        // The notebook sums the 13 long-format layers at the peak; the wide table's largest total must match.
        var wide = Result(runs.First, RssGapWide.Def);
        var peak = Enumerable.Range(0, wide.RowCount).Where(i => wide[RssGapWide.Pid][i] == pid).Max(i => wide[RssGapWide.Total][i]);
        Assert.Contains($"{Display.Bytes(peak)} in all", stdout);
        var flags = Result(runs.First, Flags.Def);
        foreach (var i in Enumerable.Range(0, flags.RowCount).Where(i => flags[Flags.Pid][i] == pid))
            Assert.Contains($"[{flags[Flags.Severity][i]}] {flags[Flags.Kind][i]} from {Display.Time(flags[Flags.StartTsNs][i])}", stdout);
        Assert.Contains("[critical] oom_kill", stdout);
        AssertSvgs(figures, 1);
    }

    [Fact]
    public void Capacity_twin_puts_two_runs_side_by_side_and_exports_csv()
    {
        var (stdout, figures) = DemoRuns.RunTwin("03-capacity-planning", runs.First, runs.Second);
        Assert.Contains("2 run(s)", stdout);
        var csv = File.ReadAllLines(Path.Combine(figures, "capacity-plan.csv"));
        var header = csv[0].Split(',');
        Assert.Equal("run", header[0]);
        var expected = new List<string>();
        foreach (var dir in new[] { runs.First, runs.Second })
        {
            var plan = Result(dir, CapacityPlan.Def);
            for (var i = 0; i < plan.RowCount; i++) expected.Add($"{Path.GetFileName(dir)}/{plan[CapacityPlan.Pid][i]}/{plan[CapacityPlan.RecommendedLimit].Get(i)}");
        }
        var rl = Array.IndexOf(header, "recommended_limit");
        var got = csv.Skip(1).Select(l => l.Split(',')).Select(f => $"{f[0]}/{f[1]}/{f[rl]}").ToList();
        Assert.Equal(expected, got);
        Assert.Contains($"wrote {expected.Count} rows", stdout);
        // A larger headroom gives a larger recommended limit for the same workload.
        Assert.True(long.Parse(got.First(g => g.StartsWith("demo-headroom-1.5/", StringComparison.Ordinal)).Split('/')[2], CultureInfo.InvariantCulture)
                    > long.Parse(got.First(g => g.StartsWith("demo/", StringComparison.Ordinal)).Split('/')[2], CultureInfo.InvariantCulture));
        var alerts = Result(runs.First, AlertBacktest.Def);
        for (var i = 0; i < alerts.RowCount; i++)
            if (alerts[AlertBacktest.LeadTimeNs].Get(i) is { } lead)
                Assert.Contains($"alert {alerts[AlertBacktest.Alert][i]} fired {lead / 1e9:0.0} s before the OOM kill", stdout);
    }

    [Fact]
    public void Archive_query_twin_counts_what_the_parquet_files_hold()
    {
        var (stdout, figures) = DemoRuns.RunTwin("04-archive-query", runs.First);
        var archive = TraceArchive.Open(runs.Archive);
        var events = archive.ReadTable(GpuAllocEvents.Def);
        foreach (var op in new[] { "alloc", "free_requested", "oom" })
        {
            var n = Enumerable.Range(0, events.RowCount).Count(i => events[GpuAllocEvents.Op][i] == op);
            Assert.Matches(new Regex($@"(?m)^{op}\s+{n}$"), stdout);
        }
        var proc = archive.ReadTable(ProcSamples.Def);
        var pid = Enumerable.Range(0, proc.RowCount).Min(i => proc[ProcSamples.Pid][i]);
        var rss = Enumerable.Range(0, proc.RowCount).Where(i => proc[ProcSamples.Pid][i] == pid).Select(i => proc[ProcSamples.VmRss].Get(i)).OfType<long>().ToList();
        var rows = Enumerable.Range(0, proc.RowCount).Count(i => proc[ProcSamples.Pid][i] == pid);
        Assert.Contains($"pid {pid}: {rows} samples, {rss.Count} with VmRSS (the rest after the process was gone), VmRSS from {Display.Bytes(rss.Min())} to {Display.Bytes(rss.Max())}", stdout);
        AssertSvgs(figures, 1);
    }
}
