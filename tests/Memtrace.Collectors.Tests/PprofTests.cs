using Google.Protobuf;
using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.Pprof;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>
/// pprof from a real Go process (tests/data/go/heapsvc) that retained 1000 × 64 KiB in retainBlocks and
/// 20000 × 256 B in retainSmall with MemProfileRate = 1, so every allocation is in the profile unscaled.
/// </summary>
public sealed class PprofTests
{
    private static string Capture(string f) => Repo.Data("go", "heapsvc", "capture", f);

    private static (TraceArchive Archive, ImportReport Report) Import(string path, string format = "auto")
    {
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        return (archive, new ImportRunner(archive, new ImportOptions { Pid = 42 }).ImportOne(path, format));
    }

    private static (long Objects, long Bytes) InuseOf(TraceArchive archive, string function, string at = "")
    {
        var all = Samples(archive, function, at);
        return (all.Sum(s => s.Objects), all.Sum(s => s.Bytes));
    }

    private static List<(long Objects, long Bytes)> Samples(TraceArchive archive, string function, string at)
    {
        var t = archive.ReadTable(HeapProfileSamples.Def);
        var stacks = archive.ReadTable(Stacks.Def);
        var frames = Enumerable.Range(0, stacks.RowCount).ToDictionary(r => stacks[Stacks.StackId][r], r => stacks[Stacks.Frames][r]);
        var rows = Enumerable.Range(0, t.RowCount).Where(r => t[HeapProfileSamples.StackId].Get(r) is { } id && frames[id].Count > 0 && frames[id][0].StartsWith(function + " ", StringComparison.Ordinal) && frames[id][0].EndsWith(at, StringComparison.Ordinal)).ToList();
        return rows.Select(r => (t[HeapProfileSamples.InuseObjects][r], t[HeapProfileSamples.InuseSpace][r])).Where(x => x.Item1 > 0).ToList();
    }

    [Theory]
    [InlineData("heap.pb.gz")]
    [InlineData("heap-debug1.txt")]
    public void Both_encodings_of_the_real_heap_profile_give_the_retained_bytes_by_stack(string file)
    {
        var (archive, report) = Import(Capture(file));
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        Assert.Equal("pprof", report.Format);
        // The make() on heapsvc.go:23 and :30: exactly the retained objects, in one sample each. (The profile also
        // charges line 23 with one 96-byte runtime allocation that the make() triggered, in a sample of its own.)
        Assert.Contains((1000L, 1000L * 64 * 1024), Samples(archive, "main.retainBlocks", "heapsvc.go:23"));
        Assert.Equal([(20000L, 20000L * 256)], Samples(archive, "main.retainSmall", "heapsvc.go:30"));
        // Whatever else the functions allocated, both encodings of the same process agree on it.
        Assert.Equal(InuseOf(Import(Capture("heap.pb.gz")).Archive, "main.retainBlocks"), InuseOf(archive, "main.retainBlocks"));
        var t = archive.ReadTable(HeapProfileSamples.Def);
        Assert.All(Enumerable.Range(0, t.RowCount), r => Assert.Equal("heap", t[HeapProfileSamples.Profile][r]));
        Assert.Equal(4, t[HeapProfileSamples.Values][0].Count);
    }

    [Fact]
    public void Debug1_trailer_becomes_a_memstats_row()
    {
        var (archive, _) = Import(Capture("heap-debug1.txt"));
        var g = archive.ReadTable(GoRuntimeSamples.Def);
        Assert.Equal(1, g.RowCount);
        // Oracle: the trailer's own lines, read here with plain string handling.
        var trailer = File.ReadLines(Capture("heap-debug1.txt")).SkipWhile(l => l != "# runtime.MemStats")
            .Where(l => l.StartsWith("# ", StringComparison.Ordinal) && l.Contains(" = ", StringComparison.Ordinal))
            .GroupBy(l => l[2..l.IndexOf(" = ", StringComparison.Ordinal)]).ToDictionary(g => g.Key, g => g.First()[(g.First().IndexOf(" = ", StringComparison.Ordinal) + 3)..]);
        Assert.Equal(long.Parse(trailer["NumGC"]), g[GoRuntimeSamples.NumGc][0]);
        Assert.Equal(long.Parse(trailer["HeapAlloc"]), g[GoRuntimeSamples.HeapAlloc][0]);
        Assert.Equal(294912, g[GoRuntimeSamples.StackSys][0]); // "# Stack = 294912 / 294912" (StackInuse / StackSys)
        Assert.Equal(276624, g[GoRuntimeSamples.MspanSys][0]); // "# MSpan = 260928 / 276624"
        Assert.Equal(42, g[GoRuntimeSamples.Pid][0]);
        Assert.False(archive.Manifest.Sources.Single().ClockAligned);
    }

    [Fact]
    public void Goroutine_profile_is_named_by_its_own_sample_type()
    {
        var (archive, report) = Import(Capture("goroutine.pb.gz"));
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        var t = archive.ReadTable(HeapProfileSamples.Def);
        Assert.All(Enumerable.Range(0, t.RowCount), r => Assert.Equal("goroutine", t[HeapProfileSamples.Profile][r]));
        Assert.All(Enumerable.Range(0, t.RowCount), r => Assert.StartsWith("goroutine/count=", Assert.Single(t[HeapProfileSamples.Values][r])));
        Assert.True(Enumerable.Range(0, t.RowCount).All(r => t[HeapProfileSamples.InuseSpace].IsNull(r)));
        var stacks = archive.ReadTable(Stacks.Def);
        Assert.Contains(Enumerable.Range(0, stacks.RowCount), r => stacks[Stacks.Frames][r].Any(f => f.StartsWith("main.main ", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData(10, 10240, 524288, 5125)]   // avg 1 KiB sampled at 512 KiB: probability 1 − e^(−1/512) ≈ 1/512.5
    [InlineData(3, 3 << 20, 524288, 3)]     // avg 1 MiB: probability 1 − e^(−2) = 0.8647, 3 / 0.8647 = 3.47
    [InlineData(7, 700, 1, 7)]              // MemProfileRate 1: every allocation recorded, no scaling
    [InlineData(0, 0, 524288, 0)]
    public void Debug1_counts_are_scaled_by_the_sampling_probability(long count, long bytes, long rate, long expectedCount)
    {
        Assert.Equal(expectedCount, HeapDebugText.Scale(count, bytes, rate).Count);
    }

    private static byte[] TinyProfile(int valuesInSecondSample)
    {
        var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        void Msg(int field, Action<CodedOutputStream> body)
        {
            var inner = new MemoryStream();
            var io = new CodedOutputStream(inner);
            body(io);
            io.Flush();
            o.WriteTag(field, WireFormat.WireType.LengthDelimited);
            o.WriteBytes(ByteString.CopyFrom(inner.ToArray()));
        }
        Msg(1, v => { v.WriteTag(1, WireFormat.WireType.Varint); v.WriteInt64(1); v.WriteTag(2, WireFormat.WireType.Varint); v.WriteInt64(2); });
        Msg(1, v => { v.WriteTag(1, WireFormat.WireType.Varint); v.WriteInt64(3); v.WriteTag(2, WireFormat.WireType.Varint); v.WriteInt64(4); });
        Msg(2, s => { s.WriteTag(2, WireFormat.WireType.Varint); s.WriteInt64(5); s.WriteTag(2, WireFormat.WireType.Varint); s.WriteInt64(500); });
        Msg(2, s => { for (var i = 0; i < valuesInSecondSample; i++) { s.WriteTag(2, WireFormat.WireType.Varint); s.WriteInt64(9); } });
        foreach (var str in new[] { "", "inuse_objects", "count", "inuse_space", "bytes" }) { o.WriteTag(6, WireFormat.WireType.LengthDelimited); o.WriteString(str); }
        o.WriteTag(9, WireFormat.WireType.Varint); o.WriteInt64(1_795_000_000_000_000_000);
        o.Flush();
        return ms.ToArray();
    }

    [Fact]
    public void Three_tiers_bad_sample_counted_bad_text_line_logged_corrupt_file_refused()
    {
        var dir = Repo.TempDir();
        var pb = Path.Combine(dir, "tiny.pb");
        File.WriteAllBytes(pb, TinyProfile(valuesInSecondSample: 1));
        var (archive, report) = Import(pb);
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        var src = archive.Manifest.Sources.Single();
        Assert.Equal(1, src.Rows["heap_profile_samples"]);
        Assert.Equal(1, src.Stats[StatsCatalog.PprofBadRecord.Key]);
        var t = archive.ReadTable(HeapProfileSamples.Def);
        Assert.Equal((5L, 500L, 1_795_000_000_000_000_000L), (t[HeapProfileSamples.InuseObjects][0], t[HeapProfileSamples.InuseSpace][0], t[HeapProfileSamples.TsNs][0]));
        Assert.Null(t[HeapProfileSamples.StackId].Get(0));

        var text = Path.Combine(dir, "heap.txt");
        var lines = File.ReadLines(Capture("heap-debug1.txt")).Take(12).ToList();
        lines.Insert(5, "12: 34 [56 @ 0xzz");
        File.WriteAllLines(text, lines);
        var (a2, r2) = Import(text);
        Assert.Equal(ImportOutcome.Imported, r2.Outcome);
        Assert.Equal(1, a2.Manifest.Sources.Single().Stats[StatsCatalog.PprofBadRecord.Key]);
        var log = a2.ReadTable(ImportLog.Def);
        Assert.Equal("line 6", log[ImportLog.Location][0]);
        Assert.Contains("0xzz", log[ImportLog.Excerpt][0]);

        var bytes = File.ReadAllBytes(Capture("heap.pb.gz"));
        var cut = Path.Combine(dir, "cut.pb.gz");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var (_, r3) = Import(cut, "pprof");
        Assert.Equal(ImportOutcome.Refused, r3.Outcome);
        Assert.Contains("cut.pb.gz", r3.Message);
        var junk = Path.Combine(dir, "junk.pb");
        File.WriteAllBytes(junk, [0x0a, 0x02, 0x08, 0x01, 0x12, 0xff, 0xff, 0xff, 0xff, 0x0f]);
        var (_, r4) = Import(junk, "pprof");
        Assert.Equal(ImportOutcome.Refused, r4.Outcome);
    }
}
