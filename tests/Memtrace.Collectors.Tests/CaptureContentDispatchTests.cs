using Google.Protobuf;
using Memtrace.Collectors.Importers;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>capture-jsonl records whose content is a /debug/vars body or a heap?debug=1 document, from any path.</summary>
public sealed class CaptureContentDispatchTests
{
    [Fact]
    public void Expvar_bodies_and_heap_profiles_inside_a_capture_land_in_their_tables()
    {
        var body = System.Text.Json.JsonDocument.Parse(File.ReadLines(Repo.Data("go", "expvar.jsonl")).First()).RootElement.GetProperty("body").GetString()!;
        var heap = File.ReadAllText(Repo.Data("go", "heapsvc", "capture", "heap-debug1.txt"));
        var path = Path.Combine(Repo.TempDir(), "sidecar.jsonl");
        File.WriteAllLines(path,
        [
            new Importers.CaptureJsonl.CaptureRecord(1_795_000_000_000_000_000, 5, "http://127.0.0.1:6060/debug/vars", body, null).ToJson(),
            new Importers.CaptureJsonl.CaptureRecord(1_795_000_001_000_000_000, 6, "/tmp/heap.txt", heap, null).ToJson(),
        ]);
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        var report = new ImportRunner(archive, new ImportOptions { Pid = 9 }).ImportOne(path, "auto");
        Assert.Equal("capture-jsonl", report.Format);
        var go = archive.ReadTable(GoRuntimeSamples.Def);
        Assert.Equal(2, go.RowCount); // the expvar body, and the heap profile's MemStats trailer
        Assert.Equal(1_795_000_000_000_000_000, go[GoRuntimeSamples.TsNs][0]);
        Assert.Equal(5, go[GoRuntimeSamples.MonoNs][0]);
        var h = archive.ReadTable(HeapProfileSamples.Def);
        Assert.Equal(System.Text.RegularExpressions.Regex.Matches(heap, @"^\d+: \d+ \[", System.Text.RegularExpressions.RegexOptions.Multiline).Count, h.RowCount);
        Assert.All(Enumerable.Range(0, h.RowCount), r => Assert.Equal(1_795_000_001_000_000_000, h[HeapProfileSamples.TsNs][r]));
    }
}
