using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Pipeline.Tests;

/// <summary>
/// The streamed replay (pools decoded from their row groups one at a time) against the in-memory one, on the real
/// torch snapshots written with small row groups: a pool spans several row groups and a row group holds the end of
/// one pool and the start of the next.
/// </summary>
public sealed class StreamingReplayTests
{
    private static SourceEntry Entry(string id) => new() { SourceId = id, Path = id, Sha256 = id, Bytes = 1, Importer = "x", ImporterVersion = 1, ClockDomain = "realtime" };

    /// <summary>Two sources; the second holds the bcrafton trace twice, as devices 0 and 1; 777-row row groups.</summary>
    private static (TraceArchive Archive, Table Snapshot) SmallRowGroupArchive()
    {
        var (magma, magmaSnap) = RealSnapshotReplayTests.Import("magma27_memory_snapshot.pickle");
        var (bcrafton, bcraftonSnap) = RealSnapshotReplayTests.Import("bcrafton_memory_snapshot.pickle");
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        archive.AddSource(Entry("sa"), [Retag(magma, "sa", 0)], rowGroupRows: 777);
        var both = Retag(bcrafton, "sb", 0);
        both.AppendTable(Retag(bcrafton, "sb", 1));
        archive.AddSource(Entry("sb"), [both], rowGroupRows: 777);
        var snapshot = Retag(magmaSnap, "sa", 0);
        snapshot.AppendTable(Retag(bcraftonSnap, "sb", 0));
        return (archive, snapshot);
    }

    /// <summary>The table with its source_id and device set (every other column as it was).</summary>
    private static Table Retag(Table t, string source, long device)
    {
        var copy = new Table(t.Def);
        foreach (var c in t.Def.Columns)
        {
            var col = copy[c.Name];
            for (var r = 0; r < t.RowCount; r++)
            {
                switch (col)
                {
                    case StringColumn s: s.Append(c.Name == "source_id" ? source : t.Get<StringColumn>(c.Name)[r]); break;
                    case Int64Column i: i.Append(c.Name == "device" ? device : t.Get<Int64Column>(c.Name).Get(r)); break;
                    case Float64Column f: f.Append(t.Get<Float64Column>(c.Name).Get(r)); break;
                    case BoolColumn b: b.Append(t.Get<BoolColumn>(c.Name).Get(r)); break;
                    case StringListColumn l: l.Append([.. t.Get<StringListColumn>(c.Name)[r]]); break;
                }
            }
        }
        copy.SealBulk();
        return copy;
    }

    private static void AssertSameOutput(FragmentationOutput expected, FragmentationOutput actual)
    {
        Assert.Equal(expected.Pools.Select(p => (p.Key, p.EventsReplayed)), actual.Pools.Select(p => (p.Key, p.EventsReplayed)));
        foreach (var (e, a) in expected.Tables.Zip(actual.Tables)) TableComparer.AssertEqual(e, a);
        Assert.Equal(expected.Counts.OrderBy(kv => kv.Key), actual.Counts.OrderBy(kv => kv.Key));
    }

    [Fact]
    public void Streamed_replay_equals_the_in_memory_replay()
    {
        var (archive, snapshot) = SmallRowGroupArchive();
        using var reader = archive.OpenTableReader(GpuAllocEvents.Def);
        Assert.True(reader.Parts.All(p => p.RowGroupCount >= 3), "the pools must straddle row groups");
        var inMemory = FragmentationAnalyzer.Run(archive.ReadTable(GpuAllocEvents.Def), snapshot, new FragmentationOptions());
        var refused = new List<string>();
        var streamed = FragmentationAnalyzer.Run(reader, snapshot, new FragmentationOptions(), onRefused: (_, m) => refused.Add(m));
        Assert.Empty(refused);
        Assert.Equal(3, streamed.Pools.Count);
        AssertSameOutput(inMemory, streamed);
    }

    /// <summary>
    /// A page of source sb damaged after import in an archive without table hashes: found only when its pools are
    /// decoded. sb is refused (once) and the run's results are those of a run over sa alone.
    /// </summary>
    [Fact]
    public void A_source_damaged_mid_stream_is_refused_alone()
    {
        var (archive, snapshot) = SmallRowGroupArchive();
        var manifest = File.ReadAllText(archive.ManifestPath);
        File.WriteAllText(archive.ManifestPath, System.Text.RegularExpressions.Regex.Replace(manifest, "\"table_sha256\":\\s*\\{[^}]*\\}", "\"table_sha256\":{}"));
        var victim = archive.TablePath(GpuAllocEvents.Def.Name, "sb");
        var bytes = File.ReadAllBytes(victim);
        using var original = archive.OpenTableReader(GpuAllocEvents.Def);
        var size = original.Parts.Single(p => p.SourceId == "sb").Footer.RowGroups[^1].Columns.First(c => c.MetaData!.PathInSchema[0] == "size").MetaData!;
        var magic = bytes.AsSpan((int)size.DataPageOffset).IndexOf((byte[])[0x28, 0xB5, 0x2F, 0xFD]);
        bytes[(int)size.DataPageOffset + magic] ^= 0xFF; // a column the key pass does not read: found mid-replay
        File.WriteAllBytes(victim, bytes);

        var reopened = TraceArchive.Open(archive.Root);
        using var reader = reopened.OpenTableReader(GpuAllocEvents.Def);
        var refused = new List<string>();
        var streamed = FragmentationAnalyzer.Run(reader, snapshot, new FragmentationOptions(), onRefused: (_, m) => refused.Add(m));
        Assert.Contains("sb.parquet: refused:", Assert.Single(refused));
        Assert.Contains("column size", refused[0]);

        var saOnly = reopened.ReadTable(GpuAllocEvents.Def, (_, _) => { });
        var expected = FragmentationAnalyzer.Run(saOnly, snapshot, new FragmentationOptions());
        Assert.DoesNotContain(expected.Pools, p => p.Key.SourceId == "sb" && p.EventsReplayed > 0);
        AssertSameOutput(expected, streamed);
    }
}
