using System.IO.Compression;
using System.Text.RegularExpressions;
using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.Cgroupfs;
using Memtrace.Collectors.Importers.Procfs;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

public sealed class CgroupfsTests
{
    private static (TraceArchive Archive, ImportReport Report) Import(string zip)
    {
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        return (archive, new ImportRunner(archive, new ImportOptions()).ImportOne(Repo.Data("cgroup-fixtures", zip), "auto"));
    }

    /// <summary>Independent oracle: a regex over the raw file text, not the importer's parser.</summary>
    private static long StatOf(string zip, string suffix, string key)
    {
        using var z = ZipFile.OpenRead(Repo.Data("cgroup-fixtures", zip));
        var text = new StreamReader(z.Entries.Single(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal)).Open()).ReadToEnd();
        return long.Parse(Regex.Match(text, $"^{key} (\\d+)$", RegexOptions.Multiline).Groups[1].Value);
    }

    [Fact]
    public void Docker2_v2_sample_matches_its_files()
    {
        var (archive, report) = Import("docker2.zip");
        Assert.Equal("cgroupfs", report.Format);
        var t = archive.ReadTable(CgroupSamples.Def);
        var i = Assert.Single(Enumerable.Range(0, t.RowCount));
        Assert.Equal("/user.slice/user-1000.slice/session-520.scope", t[CgroupSamples.CgroupPath][i]);
        Assert.Equal(2, t[CgroupSamples.CgroupVersion][i]);
        Assert.Equal(10498404352L, t[CgroupSamples.Usage][i]);
        Assert.True(t[CgroupSamples.Limit].IsNull(i), "memory.max is 'max'");
        Assert.Equal(18772946944L, t[CgroupSamples.MaxUsage][i]);
        Assert.Equal(StatOf("docker2.zip", "session-520.scope/memory.stat", "anon"), t[CgroupSamples.Anon][i]);
        Assert.Equal(StatOf("docker2.zip", "session-520.scope/memory.stat", "inactive_file"), t[CgroupSamples.InactiveFile][i]);
        Assert.Equal(StatOf("docker2.zip", "session-520.scope/memory.stat", "kernel_stack"), t[CgroupSamples.KernelStack][i]);
        Assert.Contains("zswap=0", t[CgroupSamples.StatExtra][i]);
        Assert.Equal((0L, 0L), (t[CgroupSamples.Oom][i], t[CgroupSamples.OomKill][i]));
        Assert.Equal((1736583L, 1677369L), (t[CgroupSamples.PsiSomeTotal][i], t[CgroupSamples.PsiFullTotal][i]));
    }

    [Fact]
    public void Amzn2_v1_sample_uses_hierarchical_totals()
    {
        var (archive, _) = Import("amzn2.zip");
        var t = archive.ReadTable(CgroupSamples.Def);
        var i = Assert.Single(Enumerable.Range(0, t.RowCount));
        Assert.Equal(1, t[CgroupSamples.CgroupVersion][i]);
        Assert.StartsWith("/kubepods.slice/kubepods-burstable.slice/", t[CgroupSamples.CgroupPath][i]);
        Assert.Equal(1215860736L, t[CgroupSamples.Usage][i]);
        Assert.Equal(2147483648L, t[CgroupSamples.Limit][i]);
        Assert.Equal(1532657664L, t[CgroupSamples.MaxUsage][i]);
        Assert.Equal(1119465472L, t[CgroupSamples.Anon][i]); // total_rss
        Assert.Equal(78397440L, t[CgroupSamples.File][i]); // total_cache
        Assert.Equal(78557184L, t[CgroupSamples.InactiveFile][i]);
        Assert.Equal((0L, 0L, 0L), (t[CgroupSamples.Oom][i], t[CgroupSamples.OomKill][i], t[CgroupSamples.Failcnt][i]));
    }

    [Fact]
    public void Hybrid_docker_host_gives_v1_and_v2_rows()
    {
        var (archive, _) = Import("docker.zip");
        var t = archive.ReadTable(CgroupSamples.Def);
        var versions = Enumerable.Range(0, t.RowCount).Select(i => t[CgroupSamples.CgroupVersion][i]).ToHashSet();
        Assert.Equal([1L, 2L], versions.Order());
    }

    [Fact]
    public void The_upstream_edited_docker_scope_is_reported_as_contradicting_itself()
    {
        // docker.zip's docker-1c8f….scope/memory.current was edited upstream to 9125888 while its memory.stat says
        // anon 411045888: the sample is kept as read, and the contradiction is counted and logged with the numbers.
        var (archive, _) = Import("docker.zip");
        var src = archive.Manifest.Sources.Single();
        Assert.Equal(1, src.Stats[StatsCatalog.CgroupInconsistent.Key]);
        var log = archive.ReadTable(ImportLog.Def);
        var row = Enumerable.Range(0, log.RowCount).Single(r => log[ImportLog.StatKey][r] == StatsCatalog.CgroupInconsistent.Key);
        Assert.Contains("docker-1c8fa019", log[ImportLog.Location][row]);
        Assert.Contains("usage=9125888 anon=411045888", log[ImportLog.Excerpt][row]);
        var t = archive.ReadTable(CgroupSamples.Def);
        Assert.Contains(Enumerable.Range(0, t.RowCount), r => t[CgroupSamples.Usage].Get(r) == 9125888);
    }

    [Fact]
    public void A_zip_without_cgroup_files_is_refused()
    {
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "x.zip");
        using (var z = ZipFile.Open(path, ZipArchiveMode.Create)) z.CreateEntry("proc/1/status").Open().Dispose();
        var report = new ImportRunner(TraceArchive.OpenOrCreate(Path.Combine(dir, "a")), new ImportOptions()).ImportOne(path, "cgroupfs");
        Assert.Equal(ImportOutcome.Refused, report.Outcome);
        Assert.Contains("memory.stat", report.Message);
    }

    [Fact]
    public void A_captured_directory_imports_and_bad_files_are_logged()
    {
        var dir = Repo.TempDir();
        var cg = Path.Combine(dir, "tree", "sys", "fs", "cgroup", "app.slice");
        Directory.CreateDirectory(cg);
        File.WriteAllText(Path.Combine(cg, "memory.stat"), "anon 4096\nfile 8192\ngarbage\n");
        File.WriteAllText(Path.Combine(cg, "memory.current"), "lots\n");
        File.WriteAllText(Path.Combine(cg, "memory.max"), "1073741824\n");
        // A PSI file with a field missing from its "some" line (no avg300).
        File.WriteAllText(Path.Combine(cg, "memory.pressure"), "some avg10=1.00 avg60=2.00 total=5\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1\n");
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(Path.Combine(dir, "tree"), "auto");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        Assert.Equal(3, archive.Manifest.Sources.Single().Stats[StatsCatalog.CgroupBadFile.Key]);
        var logged = archive.ReadTable(ImportLog.Def);
        Assert.Contains(Enumerable.Range(0, logged.RowCount), r => logged[ImportLog.Location][r]!.EndsWith("memory.pressure", StringComparison.Ordinal));
        var t = archive.ReadTable(CgroupSamples.Def);
        Assert.Equal((4096L, 1073741824L), (t[CgroupSamples.Anon][0], t[CgroupSamples.Limit][0]));
        Assert.True(t[CgroupSamples.Usage].IsNull(0));
    }
}
