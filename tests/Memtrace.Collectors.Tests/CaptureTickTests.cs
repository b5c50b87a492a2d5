using System.Diagnostics;
using Memtrace.Collectors.Importers;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

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
        Enumerable.Range(0, p.RowCount).Select(r => (p[ProcSamples.TsNs][r], p[ProcSamples.Alive][r], p[ProcSamples.VmRss].Get(r), p[ProcSamples.UtimeTicks].Get(r))).ToList();

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
        Assert.Equal([0L, null, 1L], Enumerable.Range(0, 3).Select(r => c[CgroupSamples.OomKill].Get(r)));
        Assert.All(Enumerable.Range(0, 3), r => Assert.Equal((1L, 8192L, 4096L), (c[CgroupSamples.CgroupVersion][r], c[CgroupSamples.Usage][r], c[CgroupSamples.Anon][r])));
    }
}
