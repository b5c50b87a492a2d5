using System.Diagnostics;
using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.CaptureJsonl;
using Memtrace.Collectors.Samplers;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

public sealed class CaptureJsonlTests
{
    [Theory]
    [InlineData("{\"ts_ns\": 5, \"path\": \"/proc/1/status\", \"content\": \"VmRSS: 4 kB\\n\"}", true, "")]
    [InlineData("{\"ts_ns\": 5, \"mono_ns\": 7, \"path\": \"/proc/1/status\", \"error\": \"No such process\"}", true, "")]
    [InlineData("{\"ts_ns\": \"5\", \"path\": \"/proc/1/status\", \"content\": \"\"}", false, "no integer ts_ns")]
    [InlineData("{\"ts_ns\": 5, \"content\": \"\"}", false, "no string path")]
    [InlineData("{\"ts_ns\": 5, \"path\": \"/x\"}", false, "neither content nor error")]
    [InlineData("[1, 2]", false, "not a JSON object")]
    public void Parses_edge_case_lines(string line, bool ok, string error)
    {
        Assert.Equal(ok, CaptureRecord.TryParse(line, out _, out var e));
        if (!ok) Assert.StartsWith(error, e);
    }

    [Fact]
    public void Sampling_a_real_process_records_its_exit_and_keeps_the_cgroup()
    {
        using var child = Process.Start(new ProcessStartInfo("sleep", "1") { UseShellExecute = false })!;
        var dir = Repo.TempDir();
        var result = ProcfsSampler.Run(new SamplerOptions(child.Id, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(2.2), null), Path.Combine(dir, "raw"), CancellationToken.None);
        child.WaitForExit();
        Assert.InRange(result.Ticks, 8, 20);
        Assert.True(result.TicksAfterExit >= 3, $"{result.TicksAfterExit} ticks after exit");
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(result.CapturePath, "auto");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        Assert.Equal("capture-jsonl", report.Format);
        var p = archive.ReadTable(ProcSamples.Def);
        Assert.Equal(result.Ticks, p.RowCount);
        Assert.Contains(Enumerable.Range(0, p.RowCount), i => !p[ProcSamples.Alive][i] && p[ProcSamples.VmRss].IsNull(i));
        Assert.All(Enumerable.Range(0, p.RowCount).Where(i => p[ProcSamples.Alive][i]), i => Assert.True(p[ProcSamples.VmRss][i] > 0));
        // Realtime and monotonic are read back to back: their difference is the same every tick to within a few ms.
        var offsets = Enumerable.Range(0, p.RowCount).Select(i => p[ProcSamples.TsNs][i] - p[ProcSamples.MonoNs][i]).ToList();
        Assert.InRange(offsets.Max() - offsets.Min(), 0, 5_000_000);
        if (result.CgroupDir is not null)
        {
            var c = archive.ReadTable(CgroupSamples.Def);
            Assert.Equal(result.Ticks, c.RowCount);
            Assert.All(Enumerable.Range(0, c.RowCount), i => Assert.True(c[CgroupSamples.Usage][i] > 0));
            // PSI exists only in cgroup2 and /proc/pressure: on a hybrid host (memcg on v1, like the build machine) the
            // sampler reads it from there and the importer merges it into the v1 sample of the same tick.
            if (File.Exists("/proc/pressure/memory"))
                Assert.All(Enumerable.Range(0, c.RowCount), i => Assert.False(c[CgroupSamples.PsiSomeAvg10].IsNull(i) || c[CgroupSamples.PsiFullTotal].IsNull(i)));
        }
    }

    [Fact]
    public void Bad_lines_are_counted_with_their_line_number()
    {
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "cap.jsonl");
        File.WriteAllLines(path, [
            "{\"ts_ns\": 1000, \"mono_ns\": 10, \"path\": \"/proc/7/status\", \"content\": \"VmRSS:\\t 8 kB\\nThreads:\\t3\\n\"}",
            "{not json",
            "{\"ts_ns\": 1000, \"mono_ns\": 10, \"path\": \"/sys/fs/cgroup/app/memory.stat\", \"content\": \"anon 4096\\n\"}",
            "{\"ts_ns\": 1000, \"mono_ns\": 10, \"path\": \"/sys/fs/cgroup/app/memory.current\", \"content\": \"8192\\n\"}",
        ]);
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        Assert.Equal(ImportOutcome.Imported, new ImportRunner(archive, new ImportOptions()).ImportOne(path, "auto").Outcome);
        Assert.Equal(1, archive.Manifest.Sources.Single().Stats[StatsCatalog.CaptureBadLine.Key]);
        var p = archive.ReadTable(ProcSamples.Def);
        Assert.Equal((8192L, 3L), (p[ProcSamples.VmRss][0], p[ProcSamples.Threads][0]));
        var c = archive.ReadTable(CgroupSamples.Def);
        Assert.Equal(("/app", 2L, 8192L, 4096L), (c[CgroupSamples.CgroupPath][0], c[CgroupSamples.CgroupVersion][0], c[CgroupSamples.Usage][0], c[CgroupSamples.Anon][0]));
    }
}
