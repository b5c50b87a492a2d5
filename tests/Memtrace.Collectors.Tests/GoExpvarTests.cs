using Memtrace.Collectors.Importers;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

public sealed class GoExpvarTests
{
    [Fact]
    public void Real_expvar_capture_satisfies_the_runtimes_own_identities()
    {
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(Repo.Data("go", "expvar.jsonl"), "auto");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        Assert.Equal("go-expvar", report.Format);
        var t = archive.ReadTable(GoRuntimeSamples.Def);
        Assert.Equal(File.ReadAllLines(Repo.Data("go", "expvar.jsonl")).Length, t.RowCount);
        for (var i = 0; i < t.RowCount; i++)
        {
            long V(I64Key c) => t[c][i];
            // runtime.MemStats invariants: HeapSys = HeapInuse + HeapIdle, and Sys is the sum of the *Sys fields.
            Assert.Equal(V(GoRuntimeSamples.HeapSys), V(GoRuntimeSamples.HeapInuse) + V(GoRuntimeSamples.HeapIdle));
            Assert.Equal(V(GoRuntimeSamples.Sys), V(GoRuntimeSamples.HeapSys) + V(GoRuntimeSamples.StackSys) + V(GoRuntimeSamples.MspanSys) + V(GoRuntimeSamples.McacheSys) + V(GoRuntimeSamples.BuckHashSys) + V(GoRuntimeSamples.GcSys) + V(GoRuntimeSamples.OtherSys));
            Assert.Equal(V(GoRuntimeSamples.Alloc), V(GoRuntimeSamples.HeapAlloc));
            Assert.Equal(4, V(GoRuntimeSamples.NumGoroutine));
            if (i > 0) Assert.True(V(GoRuntimeSamples.TsNs) > t[GoRuntimeSamples.TsNs][i - 1]);
        }
        Assert.True(archive.Manifest.Sources.Single().ClockAligned);
    }

    [Fact]
    public void A_single_debug_vars_document_imports_unaligned_and_bad_lines_are_counted()
    {
        var dir = Repo.TempDir();
        var doc = Path.Combine(dir, "vars.json");
        File.WriteAllText(doc, "{\"cmdline\": [\"x\"], \"memstats\": {\"HeapAlloc\": 1048576, \"HeapSys\": 4194304, \"NumGC\": 7}}");
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        Assert.Equal(ImportOutcome.Imported, new ImportRunner(archive, new ImportOptions()).ImportOne(doc, "auto").Outcome);
        Assert.False(archive.Manifest.Sources.Single().ClockAligned);
        var t = archive.ReadTable(GoRuntimeSamples.Def);
        Assert.Equal((1048576L, 7L), (t[GoRuntimeSamples.HeapAlloc][0], t[GoRuntimeSamples.NumGc][0]));
        Assert.True(t[GoRuntimeSamples.StackSys].IsNull(0));

        var lines = Path.Combine(dir, "cap.jsonl");
        File.WriteAllLines(lines, [File.ReadLines(Repo.Data("go", "expvar.jsonl")).First(), "{\"ts_ns\": 5, \"body\": \"{}\"}", "garbage"]);
        var archive2 = TraceArchive.OpenOrCreate(Path.Combine(dir, "b"));
        Assert.Equal(ImportOutcome.Imported, new ImportRunner(archive2, new ImportOptions()).ImportOne(lines, "go-expvar").Outcome);
        Assert.Equal(2, archive2.Manifest.Sources.Single().Stats[StatsCatalog.ExpvarBadRecord.Key]);
        Assert.Equal(1, archive2.Manifest.Sources.Single().Rows["go_runtime_samples"]);
    }
}
