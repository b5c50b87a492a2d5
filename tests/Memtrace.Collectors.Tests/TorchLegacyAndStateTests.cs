using Memtrace.Collectors.Importers;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

public sealed class TorchLegacyAndStateTests
{
    private static byte[] Segment(string state) => new PickleBuilder().Proto(2).Op(']').Op('(')
        .Op('}').Op('(').Str("device").Int(0).Str("address").Int(1 << 20).Str("total_size").Int(2 << 20).Str("segment_type").Str("small")
        .Str("blocks").Op(']').Op('(')
            .Op('}').Op('(').Str("address").Int(1 << 20).Str("size").Int(1 << 20).Str("state").Str("active_awaiting_free").Op('u')
            .Op('}').Op('(').Str("address").Int(2 << 20).Str("size").Int(1 << 20).Str("state").Str(state).Op('u')
        .Op('e').Op('u').Op('e').Op('.').Build();

    [Fact]
    public void Legacy_bare_segment_list_imports_and_awaiting_free_is_accepted()
    {
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "legacy.pickle");
        File.WriteAllBytes(path, Segment("inactive"));
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(path, "auto");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        var snap = archive.ReadTable(GpuSegmentsSnapshot.Def);
        Assert.Equal(new[] { "active_pending_free", "inactive" }, Enumerable.Range(0, snap.RowCount).Select(i => snap[GpuSegmentsSnapshot.BlockState][i] ?? "").ToArray());
    }

    [Fact]
    public void Unknown_block_state_is_counted_and_the_block_skipped()
    {
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "odd-state.pickle");
        File.WriteAllBytes(path, Segment("levitating"));
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        Assert.Equal(ImportOutcome.Imported, new ImportRunner(archive, new ImportOptions()).ImportOne(path, "auto").Outcome);
        Assert.Equal(1, archive.Manifest.Sources.Single().Stats[StatsCatalog.TorchUnknownBlockState.Key]);
        Assert.Equal(1, archive.ReadTable(GpuSegmentsSnapshot.Def).RowCount);
    }
}
