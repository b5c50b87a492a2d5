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

    /// <summary>
    /// A file of HashBesideParseMinBytes or more, whose length no imported source has, is hashed beside its parse: it
    /// must land under the id of its bytes' SHA-256, with the table file the hash-first path writes (the same file imported
    /// after a source of its length, which is hashed first), and a re-import of it is a no-op either way.
    /// </summary>
    [Fact]
    public void A_large_file_hashed_beside_its_parse_lands_as_one_hashed_first()
    {
        var dir = Repo.TempDir();
        var csv = Path.Combine(dir, "big.dev0.csv");
        var sameLength = Path.Combine(dir, "twin.dev0.csv");
        using (var w = new StreamWriter(csv))
        {
            w.Write("Thread,Time,Action,Pointer,Size,Stream\n");
            for (var i = 0; w.BaseStream.Position < ImportRunner.HashBesideParseMinBytes; i++)
                w.Write($"7,{i / 3_600_000_000L % 24:00}:{i / 60_000_000 % 60:00}:{i / 1_000_000 % 60:00}.{i % 1_000_000:000000},{(i % 2 == 0 ? "allocate" : "free")},0x{0x7f0000000000L + i / 2 * 4096:x},4096,0x0\n");
        }
        var bytes = File.ReadAllBytes(csv);
        bytes[^2] = (byte)(bytes[^2] == (byte)'0' ? '1' : '0'); // the last stream 0x0 → 0x1: other bytes, same length
        File.WriteAllBytes(sameLength, bytes);
        var options = new ImportOptions { Date = new DateOnly(2026, 1, 1) };

        var beside = TraceArchive.OpenOrCreate(Path.Combine(dir, "beside"));
        var report = new ImportRunner(beside, options).ImportOne(csv, "rmm-csv");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        var sha = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(csv))).ToLowerInvariant();
        Assert.Equal(TraceArchive.SourceIdFor(sha), report.SourceId);
        Assert.Equal(sha, beside.Manifest.Sources.Single().Sha256);

        var first = TraceArchive.OpenOrCreate(Path.Combine(dir, "first"));
        var runner = new ImportRunner(first, options);
        Assert.Equal(ImportOutcome.Imported, runner.ImportOne(sameLength, "rmm-csv").Outcome);
        Assert.Equal(ImportOutcome.Imported, runner.ImportOne(csv, "rmm-csv").Outcome);
        var events = Schemas.Tables.GpuAllocEvents.Def.Name;
        Assert.Equal(File.ReadAllBytes(first.TablePath(events, report.SourceId!)), File.ReadAllBytes(beside.TablePath(events, report.SourceId!)));

        foreach (var archive in new[] { beside, first })
            Assert.Equal(ImportOutcome.AlreadyImported, new ImportRunner(archive, options).ImportOne(csv, "rmm-csv").Outcome);
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
