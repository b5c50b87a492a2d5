using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.Bpftrace;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>Real bpftrace 0.17 output (json and text) of the spinsvc workload, and bcc memleak reports.</summary>
public sealed class BpftraceMemleakTests
{
    private static (TraceArchive Archive, ImportReport Report) Import(string path, string format = "auto")
    {
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        return (archive, new ImportRunner(archive, new ImportOptions { Date = new DateOnly(2026, 11, 24) }).ImportOne(path, format));
    }

    [Theory]
    [InlineData("epoll.json")]
    [InlineData("epoll.txt")]
    public void Each_window_agrees_with_bpftraces_own_stats_of_the_same_probe(string file)
    {
        var (archive, report) = Import(Repo.Data("bpftrace", file));
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        Assert.Equal("bpftrace", report.Format);
        var t = archive.ReadTable(SyscallCounts.Def);
        var windows = Enumerable.Range(0, t.RowCount).GroupBy(r => t[SyscallCounts.WindowEndNs].Get(r)).ToList();
        Assert.True(windows.Count >= 4);
        var spinSeen = false;
        foreach (var w in windows)
        {
            var calls = w.Where(r => t[SyscallCounts.MapName][r] == "@calls").ToList();
            var stats = w.Single(r => t[SyscallCounts.MapName][r] == "@ret");
            // @calls[comm, pid, ret] and @ret = stats(ret) count the same exits: Σ count = stats count and Σ ret·count =
            // stats total, except for the few exits that land between the non-atomic print() and clear() calls of a busy window.
            var sum = calls.Sum(r => t[SyscallCounts.Count][r]);
            var skew = t[SyscallCounts.Count][stats] - sum;
            Assert.InRange(Math.Abs(skew), 0, 2 + sum / 1000);
            if (sum < 2000) Assert.Equal(0, skew);
            Assert.InRange(Math.Abs(t[SyscallCounts.Total][stats] - calls.Sum(r => long.Parse(t[SyscallCounts.Keys][r][2]) * t[SyscallCounts.Count][r])), 0, 4 + sum / 500);
            if (t[SyscallCounts.WindowStartNs].Get(w.First()) is { } start) Assert.Equal(1_000_000_000, w.Key!.Value - start);
            spinSeen |= calls.Where(r => t[SyscallCounts.Keys][r][2] == "0").Sum(r => t[SyscallCounts.Count][r]) > 5000;
            var buckets = w.Where(r => t[SyscallCounts.Kind][r] == "hist").ToList();
            Assert.All(buckets, r => Assert.True(t[SyscallCounts.BucketMin][r] <= t[SyscallCounts.BucketMax][r]));
        }
        Assert.True(spinSeen, "the 1.5 s epoll_pwait spin shows as > 5000 zero returns in a second");
        Assert.Equal(new DateOnly(2026, 11, 24), DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeMilliseconds(t[SyscallCounts.WindowEndNs][0] / 1_000_000).LocalDateTime));
    }

    [Theory]
    [InlineData("@x: 5", "map", "@x", "", 5L, null, null)]
    [InlineData("@m[a b, 7]: -3", "map", "@m", "a b|7", -3L, null, null)]
    [InlineData("@s[k]: count 3, average 1, total 4", "stats", "@s", "k", 3L, null, null)]
    public void Text_map_lines(string line, string kind, string map, string keys, long count, long? min, long? max)
    {
        (string, string[])? hist = null;
        var rows = new List<BpftraceRow>();
        Assert.True(BpftraceText.TryLine(line, ref hist, rows, out _));
        var r = Assert.Single(rows);
        Assert.Equal((kind, map, keys, count, min, max), (r.Kind, r.Map, string.Join('|', r.Keys), r.Count, r.Min, r.Max));
    }

    [Theory]
    [InlineData("[1]                  955 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|", 1L, 1L, 955L)]
    [InlineData("[2, 4)               180 |@@@@@@@@@                                           |", 2L, 3L, 180L)]
    [InlineData("[8K, 16K)              3 |                                                    |", 8192L, 16383L, 3L)]
    [InlineData("(..., 0)               4 |@                                                   |", null, -1L, 4L)]
    [InlineData("[100, ...)             2 |                                                    |", 100L, null, 2L)]
    public void Text_histogram_buckets(string line, long? min, long? max, long count)
    {
        (string, string[])? hist = ("@h", []);
        var rows = new List<BpftraceRow>();
        Assert.True(BpftraceText.TryLine(line, ref hist, rows, out _));
        var r = Assert.Single(rows);
        Assert.Equal((min, max, count), (r.Min, r.Max, r.Count));
    }

    [Fact]
    public void Three_tiers_for_bpftrace_and_memleak()
    {
        var dir = Repo.TempDir();
        var json = Path.Combine(dir, "bt.json");
        var lines = File.ReadAllLines(Repo.Data("bpftrace", "epoll.json")).Take(4).ToList();
        lines.Insert(2, "{\"type\": \"map\", \"data\": {\"@calls\": [1, 2");
        lines.Add("{\"type\": \"lost_events\", \"data\": {\"events\": 7}}");
        File.WriteAllLines(json, lines);
        var (archive, report) = Import(json);
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        var src = archive.Manifest.Sources.Single();
        Assert.Equal(1, src.Stats[StatsCatalog.BpftraceBadLine.Key]);
        Assert.Equal(7, src.Stats[StatsCatalog.BpftraceLostEvents.Key]);
        Assert.Equal("line 3", archive.ReadTable(ImportLog.Def)[ImportLog.Location][0]);

        var leak = Path.Combine(dir, "leak.txt");
        File.WriteAllLines(leak, File.ReadAllLines(Repo.Data("memleak", "memleak.txt")).Append("\tmany bytes in 2 allocations from stack"));
        var (a2, r2) = Import(leak);
        Assert.Equal(ImportOutcome.Imported, r2.Outcome);
        Assert.Equal(1, a2.Manifest.Sources.Single().Stats[StatsCatalog.MemleakBadLine.Key]);

        var other = Path.Combine(dir, "other.txt");
        File.WriteAllText(other, "Attaching 1 probe...\nnothing printed\n");
        var (_, r3) = Import(other, "bpftrace");
        Assert.Equal(ImportOutcome.Refused, r3.Outcome);
        Assert.Contains("other.txt", r3.Message);
    }

    [Fact]
    public void Memleak_reports_become_outstanding_bytes_by_stack()
    {
        var (archive, report) = Import(Repo.Data("memleak", "memleak.txt"));
        Assert.Equal("memleak", report.Format);
        var t = archive.ReadTable(HeapProfileSamples.Def);
        Assert.Equal(4, t.RowCount);
        Assert.All(Enumerable.Range(0, 4), r => Assert.Equal("memleak", t[HeapProfileSamples.Profile][r]));
        var rows = Enumerable.Range(0, 4).OrderBy(r => t[HeapProfileSamples.TsNs][r]).ThenBy(r => t[HeapProfileSamples.InuseSpace][r]).ToList();
        Assert.Equal([80L, 4096, 160, 8192], rows.Select(r => t[HeapProfileSamples.InuseSpace][r]));
        Assert.Equal([5L, 1, 10, 2], rows.Select(r => t[HeapProfileSamples.InuseObjects][r]));
        Assert.Equal(5_000_000_000, t[HeapProfileSamples.TsNs][rows[2]] - t[HeapProfileSamples.TsNs][rows[0]]);
        var stacks = archive.ReadTable(Stacks.Def);
        var frames = Enumerable.Range(0, stacks.RowCount).ToDictionary(r => stacks[Stacks.StackId][r], r => stacks[Stacks.Frames][r]);
        Assert.Equal(["leak_buffer+0x1c [allocs]", "[unknown] [allocs]"], frames[t[HeapProfileSamples.StackId][rows[1]]]);
        Assert.Equal(t[HeapProfileSamples.StackId][rows[1]], t[HeapProfileSamples.StackId][rows[3]]); // the same stack in both reports
    }
}
