using System.IO.Compression;
using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.Dmesg;
using Memtrace.Collectors.Importers.PerfScript;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>perf script syscall tracepoints and the kernel's OOM-killer lines: edge-case lines, the real captures, the three tiers.</summary>
public sealed class PerfDmesgTests
{
    [Theory]
    // The spinsvc capture's own lines (perf script --ns -F comm,pid,tid,cpu,time,event,trace).
    [InlineData("         spinsvc  9524/9527  [000] 13368.713250677: syscalls:sys_enter_epoll_pwait: epfd: 0x00000005, events: 0x7efbff2ec6e0, maxevents: 0x00000080, timeout: 0x00000000, sigmask: 0x00000000, sigsetsize: 0x00000000", true, 9524L, 9527L, 13368713250677L, true, 0L, null)]
    [InlineData("         spinsvc  9524/9527  [000] 13368.713286876:  syscalls:sys_exit_epoll_pwait: 0x0", true, 9524L, 9527L, 13368713286876L, false, null, 0L)]
    // Blocking wait: timeout −1 is printed as the int 0xffffffff; EINTR as the long −4.
    [InlineData("  netsvc 77/78 [3] 100.5: syscalls:sys_enter_epoll_wait: epfd: 0x00000003, events: 0x1, maxevents: 0x00000080, timeout: 0xffffffff", true, 77L, 78L, 100_500_000_000L, true, -1L, null)]
    [InlineData("  netsvc 77/78 [3] 100.500001: syscalls:sys_exit_epoll_wait: 0xfffffffffffffffc", true, 77L, 78L, 100_500_001_000L, false, null, -4L)]
    // Default perf script fields: no pid, only the tid; a comm with spaces; older perf's "ret:" prefix.
    [InlineData("Web Content  4242 [001]  55.000000001: syscalls:sys_exit_epoll_pwait: ret: 0x3", true, null, 4242L, 55_000_000_001L, false, null, 3L)]
    [InlineData("x 1/2 [0] 1.0: syscalls:sys_exit_epoll_pwait: garbage", false, null, 0L, 0L, false, null, null)]
    // raw_syscalls from the default fields: hex arguments (timeout is the 4th; an int, so ffffffff is −1), decimal return.
    [InlineData("         spinsvc 30852 [000] 15880.019727869: raw_syscalls:sys_enter: NR 281 (5, 7f92d23eb6e0, 80, 0, 0, 0)", true, null, 30852L, 15880019727869L, true, 0L, null)]
    [InlineData("         spinsvc 30852 [000] 15880.019729051:  raw_syscalls:sys_exit: NR 281 = 1", true, null, 30852L, 15880019729051L, false, null, 1L)]
    [InlineData("   my prog 7/8 [1] 2.5: raw_syscalls:sys_enter: NR 232 (3, 1000, 40, ffffffffffffffff, 0, 0)", true, 7L, 8L, 2_500_000_000L, true, -1L, null)]
    [InlineData("   my prog 7/8 [1] 2.5: raw_syscalls:sys_exit: NR 232 = -4", true, 7L, 8L, 2_500_000_000L, false, null, -4L)]
    [InlineData("   my prog 7/8 [1] 2.5: raw_syscalls:sys_exit: NR 232 = ?", false, null, 0L, 0L, false, null, null)]
    [InlineData("x 1/2 [0] 1.0: sched:sched_switch: prev_comm=x", false, null, 0L, 0L, false, null, null)]
    public void Perf_script_edge_case_lines(string line, bool ok, long? pid, long tid, long ns, bool enter, long? timeout, long? ret)
    {
        Assert.Equal(ok, PerfScriptLine.TryParse(line, out var r));
        if (!ok) return;
        Assert.Equal((pid, tid, ns, enter, timeout, ret), (r!.Pid, r.Tid, r.TimeNs, r.Enter, r.TimeoutMs, r.Ret));
    }

    [Theory]
    [InlineData("[13311.956500] Memory cgroup out of memory: Killed process 9263 (oomsvc) total-vm:1628208kB, anon-rss:522788kB, file-rss:5424kB, shmem-rss:0kB, UID:0 pgtables:1180kB oom_score_adj:0", "oom_killed", 9263L, "oomsvc", 522788L * 1024)]
    [InlineData("[  12.5] Out of memory: Killed process 31 (my app) total-vm:10kB, anon-rss:8kB, file-rss:0kB, shmem-rss:0kB, UID:0", "oom_killed", 31L, "my app", 8L * 1024)]
    [InlineData("[13311.956453] oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/a/b,task_memcg=/a/b,task=oomsvc,pid=9263,uid=0", "oom_kill_context", 9263L, "oomsvc", null)]
    [InlineData("[13311.970000] oom_reaper: reaped process 9263 (oomsvc), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB", "oom_reaped", 9263L, "oomsvc", 0L)]
    [InlineData("[13311.955658] oomsvc invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0", "oom_invoked", null, "oomsvc", null)]
    [InlineData("[Tue Nov 24 02:28:31 2026] Memory cgroup out of memory: Killed process 9263 (oomsvc) total-vm:1kB, anon-rss:1kB", null, null, null, null)]
    [InlineData("[13311.956500] Memory cgroup out of memory: Killed process 9263 (oomsvc) total-vm:1628208kB", null, null, null, null)]
    public void Dmesg_edge_case_lines(string line, string? evt, long? pid, string? comm, long? anon)
    {
        Assert.Equal(evt is not null, DmesgLine.TryParse(line, out var r));
        if (evt is null) return;
        Assert.Equal((evt, pid, comm, anon), (r!.Event, r.Pid, r.Comm, r.AnonRss));
    }

    [Fact]
    public void Real_raw_syscalls_capture_reads_its_header_clock_and_names_the_syscalls()
    {
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(Repo.Data("perf", "raw-syscalls.txt.gz"), "auto");
        Assert.Equal("perf-script", report.Format);
        var t = archive.ReadTable(SyscallEvents.Def);
        Assert.Equal(600, t.RowCount);
        Assert.All(Enumerable.Range(0, t.RowCount), r => Assert.Equal("epoll_pwait", t[SyscallEvents.Syscall][r]));
        Assert.All(Enumerable.Range(0, t.RowCount), r => Assert.True(t[SyscallEvents.TsNs].IsNull(r)));
        var src = archive.Manifest.Sources.Single();
        Assert.Equal("monotonic", src.ClockDomain);
        Assert.Equal("perf header clockid", src.Notes["clock_source"]);
        Assert.Contains(Enumerable.Range(0, t.RowCount), r => t[SyscallEvents.Phase][r] == "enter" && t[SyscallEvents.TimeoutMs][r] == 0);
    }

    [Fact]
    public void Real_perf_capture_imports_every_tracepoint_line_on_the_monotonic_clock()
    {
        var path = Repo.Data("go", "spinsvc", "capture", "perf-script.txt.gz");
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(path, "auto");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        Assert.Equal("perf-script", report.Format);
        var t = archive.ReadTable(SyscallEvents.Def);
        // Oracle: every line of the decompressed file names a syscalls: tracepoint.
        using var gz = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var lines = gz.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines.Length, t.RowCount);
        Assert.Equal(lines.Count(l => l.Contains("sys_enter_epoll_pwait", StringComparison.Ordinal)), Enumerable.Range(0, t.RowCount).Count(r => t[SyscallEvents.Phase][r] == "enter"));
        Assert.True(Enumerable.Range(0, t.RowCount).All(r => t[SyscallEvents.TsNs].IsNull(r) && !t[SyscallEvents.MonoNs].IsNull(r)));
        Assert.Equal("monotonic", archive.Manifest.Sources.Single().ClockDomain);
        Assert.Equal(long.Parse(File.ReadAllText(Repo.Data("go", "spinsvc", "capture", "pid")).Trim()), t[SyscallEvents.Pid][0]);
    }

    [Fact]
    public void Three_tiers_bad_lines_are_counted_and_logged_a_cut_gzip_keeps_its_lines_and_junk_is_refused()
    {
        var dir = Repo.TempDir();
        var good = "  svc 10/11 [0] 5.000000001: syscalls:sys_exit_epoll_pwait: 0x0";
        var plain = Path.Combine(dir, "perf.txt");
        File.WriteAllLines(plain, [good, "  svc 10/11 [0] 5.1: syscalls:sys_exit_epoll_pwait: zzz", "  svc 10/11 [0] 5.2: syscalls:sys_enter_epoll_pwait: timeout: 0x0"]);
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        var runner = new ImportRunner(archive, new ImportOptions());
        Assert.Equal(ImportOutcome.Imported, runner.ImportOne(plain, "perf-script").Outcome);
        var src = archive.Manifest.Sources.Single();
        Assert.Equal(2, src.Rows["syscall_events"]);
        Assert.Equal(1, src.Stats[StatsCatalog.PerfBadLine.Key]);
        var log = archive.ReadTable(ImportLog.Def);
        Assert.Equal("line 2", log[ImportLog.Location][0]);
        Assert.Contains("zzz", log[ImportLog.Excerpt][0]);

        // A gzip cut in the middle: the lines inflated before the cut are kept, and the cut is logged.
        var whole = Repo.Data("go", "spinsvc", "capture", "perf-script.txt.gz");
        var bytes = File.ReadAllBytes(whole);
        var cut = Path.Combine(dir, "cut.txt.gz");
        File.WriteAllBytes(cut, bytes[..(bytes.Length / 2)]);
        var archive2 = TraceArchive.OpenOrCreate(Path.Combine(dir, "b"));
        Assert.Equal(ImportOutcome.Imported, new ImportRunner(archive2, new ImportOptions()).ImportOne(cut, "perf-script").Outcome);
        var src2 = archive2.Manifest.Sources.Single();
        Assert.InRange(src2.Rows["syscall_events"], 1000, 39_000);
        Assert.Equal(1, src2.Stats[StatsCatalog.PerfBadLine.Key]);

        var junk = Path.Combine(dir, "junk.txt");
        File.WriteAllText(junk, "hello\nworld\n");
        var refused = runner.ImportOne(junk, "perf-script");
        Assert.Equal(ImportOutcome.Refused, refused.Outcome);
        Assert.Contains("junk.txt", refused.Message);
        Assert.Contains("perf-script", refused.Message);
        Assert.DoesNotContain("\n", refused.Message);
    }

    [Fact]
    public void Gzip_bomb_is_refused_not_inflated()
    {
        var dir = Repo.TempDir();
        var bomb = Path.Combine(dir, "bomb.txt.gz");
        using (var gz = new GZipStream(File.Create(bomb), CompressionLevel.SmallestSize))
        {
            gz.Write("  svc 10/11 [0] 5.000000001: syscalls:sys_exit_epoll_pwait: 0x0\n"u8);
            var zeros = new byte[1 << 20];
            for (var i = 0; i < 200; i++) gz.Write(zeros);
        }
        var report = new ImportRunner(TraceArchive.OpenOrCreate(Path.Combine(dir, "a")), new ImportOptions()).ImportOne(bomb, "perf-script");
        Assert.Equal(ImportOutcome.Refused, report.Outcome);
        Assert.Contains("gzip bomb", report.Message);
    }

    [Fact]
    public void Real_dmesg_capture_gives_the_kill_with_its_rss()
    {
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(Repo.Data("go", "oomsvc", "capture", "dmesg.txt"), "auto");
        Assert.Equal("dmesg", report.Format);
        var t = archive.ReadTable(KernelLog.Def);
        var events = Enumerable.Range(0, t.RowCount).Select(r => t[KernelLog.Event][r]).ToList();
        Assert.Equal(["oom_invoked", "oom_kill_context", "oom_killed"], events);
        var killed = events.IndexOf("oom_killed");
        Assert.Equal(522788L * 1024, t[KernelLog.AnonRss][killed]);
        Assert.Equal(13311_956500_000L, t[KernelLog.MonoNs][killed]);
        Assert.EndsWith("/mtest-oomsvc", t[KernelLog.Memcg][events.IndexOf("oom_kill_context")]);

        var dir = Repo.TempDir();
        var human = Path.Combine(dir, "dmesg-T.txt");
        File.WriteAllText(human, "[Tue Nov 24 02:28:31 2026] Memory cgroup out of memory: Killed process 9263 (oomsvc)\n");
        var refused = new ImportRunner(archive, new ImportOptions()).ImportOne(human, "dmesg");
        Assert.Equal(ImportOutcome.Refused, refused.Outcome);
        Assert.Contains("dmesg -T", refused.Message);
    }
}
