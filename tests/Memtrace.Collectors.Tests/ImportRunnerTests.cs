using Memtrace.Collectors.Importers;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Stats;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

public sealed class ImportRunnerTests
{
    [Fact]
    public void Importing_the_same_file_twice_is_a_no_op()
    {
        var dir = Repo.TempDir();
        var archive = TraceArchive.OpenOrCreate(dir);
        var runner = new ImportRunner(archive, new ImportOptions());
        Assert.Equal(ImportOutcome.Imported, runner.ImportOne(Repo.Torch("magma27_memory_snapshot.pickle"), "auto").Outcome);
        var manifest = File.ReadAllBytes(Path.Combine(dir, "manifest.json"));
        var files = Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(f => (f, File.GetLastWriteTimeUtc(f))).ToList();
        var again = new ImportRunner(TraceArchive.Open(dir), new ImportOptions()).ImportOne(Repo.Torch("magma27_memory_snapshot.pickle"), "torch-snapshot");
        Assert.Equal(ImportOutcome.AlreadyImported, again.Outcome);
        Assert.Equal(manifest, File.ReadAllBytes(Path.Combine(dir, "manifest.json")));
        Assert.Equal(files, Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Select(f => (f, File.GetLastWriteTimeUtc(f))).ToList());
    }

    [Fact]
    public void An_unknown_file_is_refused_with_a_one_line_reason_and_the_others_still_land()
    {
        var dir = Repo.TempDir();
        var junk = Path.Combine(dir, "notes.txt");
        File.WriteAllText(junk, "hello\nworld\n");
        var empty = Path.Combine(dir, "empty.pickle");
        File.WriteAllBytes(empty, []);
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        var runner = new ImportRunner(archive, new ImportOptions());
        var reports = new[] { Repo.Torch("magma27_memory_snapshot.pickle"), junk, empty, Path.Combine(dir, "missing.pickle"), Repo.Torch("bcrafton_memory_snapshot.pickle") }
            .Select(p => runner.ImportOne(p, "auto")).ToList();
        Assert.Equal([ImportOutcome.Imported, ImportOutcome.Refused, ImportOutcome.Refused, ImportOutcome.Refused, ImportOutcome.Imported], reports.Select(r => r.Outcome));
        foreach (var r in reports.Where(r => r.Outcome == ImportOutcome.Refused))
        {
            Assert.StartsWith(r.Path, r.Message);
            Assert.DoesNotContain('\n', r.Message);
        }
        Assert.Equal(3, runner.Totals[StatsCatalog.FileRefused]);
        Assert.Equal(2, TraceArchive.Open(Path.Combine(dir, "a")).Manifest.Sources.Count);
    }

    [Fact]
    public void A_wrong_file_handed_to_a_named_importer_is_refused()
    {
        var dir = Repo.TempDir();
        var csv = Path.Combine(dir, "x.csv");
        File.WriteAllText(csv, "Thread,Time,Action,Pointer,Size,Stream\n");
        var report = new ImportRunner(TraceArchive.OpenOrCreate(Path.Combine(dir, "a")), new ImportOptions()).ImportOne(csv, "torch-snapshot");
        Assert.Equal(ImportOutcome.Refused, report.Outcome);
        Assert.Contains("does not look like torch-snapshot", report.Message);
    }
}
