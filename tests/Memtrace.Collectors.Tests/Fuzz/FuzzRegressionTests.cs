using System.IO.Compression;
using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.Bpftrace;
using Memtrace.Collectors.Importers.Cgroupfs;
using Memtrace.Collectors.Importers.Dmesg;
using Memtrace.Collectors.Importers.Gctrace;
using Memtrace.Collectors.Importers.Memleak;
using Memtrace.Collectors.Importers.PerfScript;
using Memtrace.Collectors.Importers.Procfs;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests.Fuzz;

/// <summary>
/// Every crash the importer fuzzer found, as the smallest case it shrank to: a real line with one number
/// swapped for 2^64−1 (or a malformed decimal), and a zip with one corrupt entry. Each was an unhandled
/// exception that failed the whole import; each is now one bad record, counted.
/// </summary>
public sealed class FuzzRegressionTests
{
    private const string Max64 = "18446744073709551615";

    [Theory]
    // perf script: pid, then syscall number, past 64 bits (fuzz: ExtremeNumber on raw-syscalls.txt.gz)
    [InlineData("         spinsvc " + Max64 + " [000] 15880.019594144:  raw_syscalls:sys_exit: NR 281 = 1")]
    [InlineData("         spinsvc 30848 [000] 15880.019594144:  raw_syscalls:sys_exit: NR " + Max64 + " = 1")]
    [InlineData("         spinsvc 30848 [000] 15880.0195941441234567890123:  raw_syscalls:sys_exit: NR 281 = 1")]
    public void Perf_script_numbers_past_64_bits_make_a_bad_line(string line)
    {
        Assert.True(PerfScriptLine.LooksLike(line));
        var parsed = PerfScriptLine.TryParse(line, out var record);
        if (parsed) Assert.NotNull(record); // a fraction past ns is cut to ns, which is fine
        else Assert.Null(record);
    }

    [Fact]
    public void Dmesg_kill_line_with_a_pid_past_64_bits_is_a_bad_line()
    {
        var line = "[13311.956500] Memory cgroup out of memory: Killed process " + Max64 + " (oomsvc) total-vm:1628208kB, anon-rss:522788kB, file-rss:5424kB, shmem-rss:0kB, UID:0 pgtables:1180kB oom_score_adj:0";
        Assert.False(DmesgLine.TryParse(line, out var record));
        Assert.Null(record);
    }

    [Theory]
    [InlineData("gc 1 @0.0.047s 2%: 0.016+1.6+0.005 ms clock, 0.032+0.026/0.21/0.53+0.010 ms cpu, 3->4->4 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P")]
    [InlineData("gc " + Max64 + " @0.003s 2%: 0.016+1.6+0.005 ms clock, 0.032+0.026/0.21/0.53+0.010 ms cpu, 3->4->4 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P")]
    public void Gctrace_line_with_a_malformed_number_is_a_bad_line(string line)
    {
        Assert.True(GctraceLine.LooksLike(line));
        Assert.False(GctraceLine.TryParse(line, out _));
    }

    [Fact]
    public void Bpftrace_histogram_bucket_with_an_empty_bound_is_a_bad_map_line()
    {
        (string Map, string[] Keys)? hist = ("@us", []);
        var rows = new List<BpftraceRow>();
        Assert.False(BpftraceText.TryLine("[, 8)                 12 |@@@@@@@@@@@@@@@@@@@@|", ref hist, rows, out var isMapLine));
        Assert.True(isMapLine);
        Assert.Empty(rows);
    }

    [Fact]
    public void Bpftrace_map_count_past_64_bits_is_a_bad_map_line()
    {
        (string Map, string[] Keys)? hist = null;
        var rows = new List<BpftraceRow>();
        Assert.False(BpftraceText.TryLine("@calls[spinsvc, 25998, 2]: " + Max64, ref hist, rows, out var isMapLine));
        Assert.True(isMapLine);
        Assert.Empty(rows);
    }

    [Fact]
    public void Proc_status_kb_past_2_to_the_63_bytes_is_skipped()
    {
        var d = ProcFiles.KeyValues("VmRSS:\t " + (long.MaxValue / 1024 + 1) + " kB\nThreads:\t3\n");
        Assert.False(d.ContainsKey("VmRSS"));
        Assert.Equal(3, d["Threads"]);
    }

    [Fact]
    public void Memleak_count_past_64_bits_is_counted_and_the_rest_of_the_report_lands()
    {
        var original = File.ReadAllText(Repo.Data("memleak", "memleak.txt"));
        var hits = original.Split("\t80 bytes in 5 allocations").Length - 1;
        Assert.True(hits > 0);
        var text = original.Replace("\t80 bytes in 5 allocations", "\t" + Max64 + " bytes in 5 allocations");
        var path = Path.Combine(Repo.TempDir(), "memleak.txt");
        File.WriteAllText(path, text);
        var stats = new StatsSink("s-test");
        var result = new MemleakImporter().Import(new ImportContext { Path = path, SourceId = "s-test", Stats = stats });
        Assert.Equal(hits, stats.Counts[StatsCatalog.MemleakBadLine.Key]); // one per bad header: its frames go with it, never to the entry before
        Assert.Contains(result.Tables, t => t.RowCount > 0);
    }

    [Fact]
    public void Zip_with_one_corrupt_entry_keeps_the_other_samples_and_logs_the_entry()
    {
        // docker2.zip with the local header of one memory file broken (the fuzzer swapped two "lines" of the zip).
        var bytes = File.ReadAllBytes(Repo.Data("cgroup-fixtures", "docker2.zip"));
        string victim;
        long offset;
        using (var zip = new ZipArchive(new MemoryStream(bytes)))
        {
            var entry = zip.Entries.First(e => e.FullName.EndsWith("/memory.current", StringComparison.Ordinal) || e.FullName.EndsWith("/memory.usage_in_bytes", StringComparison.Ordinal));
            victim = entry.FullName;
            offset = FindLocalHeader(bytes, victim);
        }
        bytes[offset] = (byte)'X'; // "PK\x03\x04" → "XK\x03\x04": that entry's local header no longer reads
        var path = Path.Combine(Repo.TempDir(), "cgroup.zip");
        File.WriteAllBytes(path, bytes);
        var stats = new StatsSink("s-test");
        var result = new CgroupfsImporter().Import(new ImportContext { Path = path, SourceId = "s-test", Stats = stats });
        Assert.True(result.Tables.Single().RowCount > 0);
        Assert.Equal(1, stats.Counts[StatsCatalog.CgroupBadFile.Key]);
        Assert.Contains(victim, Enumerable.Range(0, stats.Log_.RowCount).Select(i => stats.Log_[ImportLog.Location][i]));
    }

    [Fact]
    public void Pprof_debug1_record_count_past_64_bits_is_counted_and_the_other_records_land()
    {
        // heap-debug1.txt from heapsvc, with one record's in-use count set to 2^64−1 (fuzz: ExtremeNumber on the record line).
        var lines = File.ReadAllLines(Repo.Data("go", "heapsvc", "capture", "heap-debug1.txt")).ToList();
        var victim = lines.FindIndex(1, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d+: \d+ \[\d+: \d+\] @"));
        Assert.True(victim > 0);
        lines[victim] = System.Text.RegularExpressions.Regex.Replace(lines[victim], @"^\d+:", Max64 + ":");
        var path = Path.Combine(Repo.TempDir(), "heap.txt");
        File.WriteAllLines(path, lines);
        var stats = new StatsSink("s-test");
        var result = new Importers.Pprof.PprofImporter().Import(new ImportContext { Path = path, SourceId = "s-test", Stats = stats });
        Assert.Contains(result.Tables, t => t.RowCount > 0);
        Assert.Equal(1, stats.Counts.Where(kv => kv.Key.StartsWith("pprof_", StringComparison.Ordinal)).Sum(kv => kv.Value));
    }

    [Fact]
    public void Pprof_debug1_header_rate_past_64_bits_does_not_throw()
    {
        Assert.Null(Importers.Pprof.HeapDebugText.Rate("heap profile: 1: 2 [3: 4] @ heap/" + Max64));
        Assert.Equal(524288, Importers.Pprof.HeapDebugText.Rate("heap profile: 1: 2 [3: 4] @ heap/1048576"));
    }

    [Fact]
    public void Cgroup_memory_events_with_a_repeated_key_keeps_the_last_value_and_logs_it()
    {
        var dir = Repo.TempDir();
        var cg = Path.Combine(dir, "sys", "fs", "cgroup", "svc");
        Directory.CreateDirectory(cg);
        File.WriteAllText(Path.Combine(dir, "sys", "fs", "cgroup", "cgroup.controllers"), "memory\n");
        File.WriteAllText(Path.Combine(cg, "memory.current"), "1048576\n");
        File.WriteAllText(Path.Combine(cg, "memory.max"), "max\n");
        File.WriteAllText(Path.Combine(cg, "memory.stat"), "anon 524288\nfile 262144\n");
        File.WriteAllText(Path.Combine(cg, "memory.events"), "low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_kill 2\n");
        var stats = new StatsSink("s-test");
        var result = new CgroupfsImporter().Import(new ImportContext { Path = dir, SourceId = "s-test", Stats = stats });
        var t = result.Tables.Single();
        Assert.True(t.RowCount > 0);
        Assert.Equal(1, stats.Counts[StatsCatalog.CgroupBadFile.Key]);
        Assert.Contains(Enumerable.Range(0, t.RowCount), r => t[CgroupSamples.OomKill].Get(r) == 2);
    }

    private static long FindLocalHeader(byte[] zip, string name)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(name);
        for (var i = 0; i + 30 + needle.Length <= zip.Length; i++)
            if (zip[i] == 'P' && zip[i + 1] == 'K' && zip[i + 2] == 3 && zip[i + 3] == 4 && zip.AsSpan(i + 30, needle.Length).SequenceEqual(needle)) return i;
        throw new InvalidOperationException($"no local header for {name}");
    }
}
