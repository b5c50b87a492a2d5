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

public sealed class CgroupLocatorTests
{
    // Copied from this build machine: memcg on cgroup v1, cgroup2 at /sys/fs/cgroup/unified.
    private const string HybridCgroup = "9:name=systemd:/\n4:memory:/process_api/ab5c3de02470dfddea56485ebd6cddee\n1:cpu:/\n0::/\n";
    private const string HybridMounts = "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

    [Fact]
    public void Hybrid_host_takes_the_v1_memory_controller() =>
        Assert.Equal("/sys/fs/cgroup/memory/process_api/ab5c3de02470dfddea56485ebd6cddee", CgroupLocator.MemoryCgroupDir(HybridCgroup, HybridMounts));

    [Fact]
    public void Pure_v2_host_uses_the_cgroup2_mount() =>
        Assert.Equal("/sys/fs/cgroup/system.slice/app.service",
            CgroupLocator.MemoryCgroupDir("0::/system.slice/app.service\n", "25 20 0:22 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n"));

    [Fact]
    public void Namespaced_root_is_stripped_and_missing_mounts_give_null()
    {
        Assert.Equal("/sys/fs/cgroup/memory/pod1",
            CgroupLocator.MemoryCgroupDir("4:memory:/kubepods/pod1\n", "34 30 0:31 /kubepods /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"));
        Assert.Null(CgroupLocator.MemoryCgroupDir("4:memory:/x\n", ""));
    }
}

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
        Assert.Contains(Enumerable.Range(0, p.RowCount), i => !p.Bool("alive")[i] && p.I64("vm_rss").IsNull(i));
        Assert.All(Enumerable.Range(0, p.RowCount).Where(i => p.Bool("alive")[i]), i => Assert.True(p.I64("vm_rss")[i] > 0));
        // Realtime and monotonic are read back to back: their difference is the same every tick to within a few ms.
        var offsets = Enumerable.Range(0, p.RowCount).Select(i => p.I64("ts_ns")[i] - p.I64("mono_ns")[i]).ToList();
        Assert.InRange(offsets.Max() - offsets.Min(), 0, 5_000_000);
        if (result.CgroupDir is not null)
        {
            var c = archive.ReadTable(CgroupSamples.Def);
            Assert.Equal(result.Ticks, c.RowCount);
            Assert.All(Enumerable.Range(0, c.RowCount), i => Assert.True(c.I64("usage")[i] > 0));
            // PSI exists only in cgroup2 and /proc/pressure: on a hybrid host (memcg on v1, like the build machine) the
            // sampler reads it from there and the importer merges it into the v1 sample of the same tick.
            if (File.Exists("/proc/pressure/memory"))
                Assert.All(Enumerable.Range(0, c.RowCount), i => Assert.False(c.F64("psi_some_avg10").IsNull(i) || c.I64("psi_full_total").IsNull(i)));
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
        Assert.Equal((8192L, 3L), (p.I64("vm_rss")[0], p.I64("threads")[0]));
        var c = archive.ReadTable(CgroupSamples.Def);
        Assert.Equal(("/app", 2L, 8192L, 4096L), (c.Str("cgroup_path")[0], c.I64("cgroup_version")[0], c.I64("usage")[0], c.I64("anon")[0]));
    }
}

/// <summary>The tick and liveness rules of the capture importer on hand-written sidecar records.</summary>
public sealed class CaptureTickTests
{
    private const string Status = "VmRSS:\\t 8 kB\\nRssAnon:\\t 4 kB\\n";
    private const string Stat = "7 (svc) S 1 7 7 0 -1 4194560 100 0 0 0 12 3 0 0 20 0 1 0 100 1000 10";

    private static string Rec(long ts, string path, string? content = null, string? error = null, long? seq = null) =>
        "{" + (seq is { } q ? $"\"seq\": {q}, " : "") + $"\"ts_ns\": {ts}, \"path\": \"{path}\", " + (error is null ? $"\"content\": \"{content}\"" : $"\"error\": \"{error}\"") + "}";

    private static (Memtrace.Schemas.Model.Table Proc, Memtrace.Schemas.Model.Table Cgroup, SourceEntry Source) Import(params string[] lines)
    {
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "cap.jsonl");
        File.WriteAllLines(path, lines);
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(path, "capture-jsonl");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        return (archive.ReadTable(ProcSamples.Def), archive.ReadTable(CgroupSamples.Def), archive.Manifest.Sources.Single());
    }

    private static List<(long Ts, bool Alive, long? Rss, long? Utime)> Rows(Memtrace.Schemas.Model.Table p) =>
        Enumerable.Range(0, p.RowCount).Select(r => (p.I64("ts_ns")[r], p.Bool("alive")[r], p.I64("vm_rss").Get(r), p.I64("utime_ticks").Get(r))).ToList();

    [Fact]
    public void Per_read_stamps_make_one_row_a_tick_at_its_first_read_and_a_tick_without_status_is_alive()
    {
        const long ms = 1_000_000;
        var (p, _, _) = Import(
            Rec(1000 * ms, "/proc/7/status", Status), Rec(1000 * ms + 300_000, "/proc/7/stat", Stat),
            Rec(1500 * ms + 200_000, "/proc/7/stat", Stat),
            Rec(2000 * ms, "/proc/7/status", Status), Rec(2000 * ms + 100_000, "/proc/7/stat", Stat));
        Assert.Equal([(1000 * ms, true, 8192L, 12L), (1500 * ms + 200_000, true, null, 12L), (2000 * ms, true, 8192L, 12L)], Rows(p));
    }

    [Fact]
    public void A_process_is_gone_only_where_a_read_found_it_gone_and_the_same_tick_keeps_what_it_read()
    {
        const long ms = 1_000_000;
        var (p, _, src) = Import(
            Rec(1000 * ms, "/proc/7/status", Status), Rec(1000 * ms + 100, "/proc/7/smaps_rollup", error: "[Errno 13] Permission denied: '/proc/7/smaps_rollup'"),
            Rec(1500 * ms, "/proc/7/status", Status), Rec(1500 * ms + 400_000, "/proc/7/stat", error: "[Errno 2] No such file or directory: '/proc/7/stat'"),
            Rec(2000 * ms, "/proc/7/status", error: "[Errno 2] No such file or directory: '/proc/7/status'"));
        Assert.Equal([(1000 * ms, true, 8192L, null), (1500 * ms, true, 8192L, null), (1500 * ms + 400_000, false, null, null), (2000 * ms, false, null, null)], Rows(p));
        Assert.Equal(1, src.Stats[StatsCatalog.CaptureReadFailed.Key]);
    }

    [Fact]
    public void Seq_groups_a_tick_whatever_its_reads_stamps()
    {
        // A slow tick: the stat read came 400 ms after status (past half the 500 ms interval), but seq says one tick.
        const long ms = 1_000_000;
        var (p, _, _) = Import(
            Rec(1000 * ms, "/proc/7/status", Status, seq: 1), Rec(1400 * ms, "/proc/7/stat", Stat, seq: 1),
            Rec(1500 * ms, "/proc/7/status", Status, seq: 2), Rec(1500 * ms + 100, "/proc/7/stat", Stat, seq: 2),
            Rec(2000 * ms, "/proc/7/status", Status, seq: 3), Rec(2000 * ms + 100, "/proc/7/stat", Stat, seq: 3));
        Assert.Equal([1000 * ms, 1500 * ms, 2000 * ms], Rows(p).Select(r => r.Ts));
        Assert.All(Rows(p), r => Assert.Equal((true, 8192L, 12L), (r.Alive, r.Rss, r.Utime)));
    }

    [Fact]
    public void A_v1_cgroup_tick_read_file_by_file_is_one_row_with_its_oom_kill_counter()
    {
        // memory.oom_control as this machine's v1 memcg prints it, read 0.2 ms after memory.usage_in_bytes.
        const long ms = 1_000_000;
        const string dir = "/sys/fs/cgroup/memory/app";
        var lines = new List<string>();
        for (var k = 0; k < 3; k++)
        {
            var t = (1000 + 500 * k) * ms;
            lines.Add(Rec(t, dir + "/memory.stat", "total_rss 4096\\ntotal_cache 0\\n"));
            lines.Add(Rec(t + 100_000, dir + "/memory.usage_in_bytes", "8192\\n"));
            if (k != 1) lines.Add(Rec(t + 300_000, dir + "/memory.oom_control", $"oom_kill_disable 0\\nunder_oom 0\\noom_kill {k / 2}\\n"));
        }
        var (_, c, _) = Import([.. lines]);
        Assert.Equal(3, c.RowCount);
        Assert.Equal([0L, null, 1L], Enumerable.Range(0, 3).Select(r => c.I64("oom_kill").Get(r)));
        Assert.All(Enumerable.Range(0, 3), r => Assert.Equal((1L, 8192L, 4096L), (c.I64("cgroup_version")[r], c.I64("usage")[r], c.I64("anon")[r])));
    }
}

/// <summary>collect go against a local server that replays a real Go service's /debug/vars body and heap profile.</summary>
public sealed class GoSamplerTests
{
    [Fact]
    public async Task Polls_expvar_and_every_nth_heap_profile_and_both_import()
    {
        using var server = new ExpvarServer();
        var port = server.Port;
        var dir = Repo.TempDir();
        // One request first, so the listener's and HttpClient's first-use cost (JIT, on a 2-core machine running
        // every test assembly at once) is not paid inside the sampler's 1 s request timeout: CI once saw
        // "0 polls, 2 failures" in a 1.5 s window from exactly that.
        using (var warm = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
            await warm.GetByteArrayAsync($"http://127.0.0.1:{port}/debug/vars");
        var warmed = server.Served;
        var result = GoExpvarSampler.Run(new Uri($"http://127.0.0.1:{port}/debug/vars"), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(3000), Path.Combine(dir, "raw"), CancellationToken.None, heapEvery: 4);
        server.Dispose();
        // Pacing is best effort and a request can time out on a loaded machine (then it is a counted failure), so the
        // counts are bounds: one heap profile per four successful polls at most, starting with the first.
        Assert.True(result.Polls >= 2, $"{result.Polls} polls, {result.Failures} failures");
        Assert.InRange(result.HeapProfiles.Count, 1, (result.Polls + 3) / 4);
        Assert.True(server.Served - warmed >= result.Polls + result.HeapProfiles.Count);
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        var runner = new ImportRunner(archive, new ImportOptions { Pid = 7 });
        Assert.Equal(ImportOutcome.Imported, runner.ImportOne(result.CapturePath, "go-expvar").Outcome);
        Assert.Equal(ImportOutcome.Imported, runner.ImportOne(result.HeapProfiles[0], "pprof").Outcome);
        Assert.Equal(result.Polls, archive.ReadTable(GoRuntimeSamples.Def).RowCount);
        Assert.True(archive.ReadTable(HeapProfileSamples.Def).RowCount > 0);
    }
}
