using System.Text.Json;
using Memtrace.Schemas.Archive;
using Xunit;

namespace Memtrace.Schemas.Tests;

/// <summary>manifest.json through the build-time serializer: what a file leaves out reads as the class's defaults, and a written manifest reads back whole.</summary>
public sealed class ManifestJsonTests
{
    [Fact]
    public void A_manifest_without_the_optional_fields_reads_with_their_defaults()
    {
        const string json = """
            {"sources": [{"source_id": "s1", "path": "a.pickle", "sha256": "ab", "bytes": 3, "importer": "torch-snapshot", "importer_version": 1, "clock_domain": "realtime"}]}
            """;
        var m = JsonSerializer.Deserialize<Manifest>(json, Manifest.Json)!;
        Assert.Equal((Manifest.CurrentFormat, "memtrace"), (m.Format, m.Tool));
        var s = Assert.Single(m.Sources);
        Assert.True(s.ClockAligned);
        Assert.Null(s.TimeStartNs);
        Assert.Empty(s.Rows);
        Assert.Empty(s.Stats);
        Assert.Empty(s.TableSha256);
        Assert.Empty(s.Notes);
    }

    [Fact]
    public void A_written_manifest_reads_back_to_the_same_bytes()
    {
        var m = new Manifest
        {
            Sources =
            [
                new SourceEntry
                {
                    SourceId = "s1", Path = "a.pickle", Sha256 = "ab", Bytes = 3, Importer = "torch-snapshot", ImporterVersion = 2, ClockDomain = "realtime",
                    ClockAligned = false, TimeStartNs = -5, TimeEndNs = long.MaxValue,
                    Rows = new(StringComparer.Ordinal) { ["gpu_alloc_events"] = 7 }, TableSha256 = new(StringComparer.Ordinal) { ["stacks"] = "cd" },
                    Notes = new(StringComparer.Ordinal) { ["date"] = "2026-11-20" },
                },
            ],
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(m, Manifest.Json);
        var back = JsonSerializer.Deserialize<Manifest>(bytes, Manifest.Json)!;
        Assert.Equal(bytes, JsonSerializer.SerializeToUtf8Bytes(back, Manifest.Json));
        Assert.Contains("\"clock_aligned\": false", System.Text.Encoding.UTF8.GetString(bytes));
        Assert.DoesNotContain("time_start_ns\": null", System.Text.Encoding.UTF8.GetString(bytes));
    }
}
