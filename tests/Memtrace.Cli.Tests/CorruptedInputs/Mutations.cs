using Memtrace.Schemas;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests.CorruptedInputs;

/// <summary>
/// The record-level cases of the matrix, each a small edit of a real input (or of the RMM fixture, built to
/// the letter of RMM's logger), shared by the tier-2 (counted) and tier-3 (logged with location) classes.
/// </summary>
internal static class Mutations
{
    public const string Max64 = "18446744073709551615";
    private const string RmmThread = "140213184464704";
    private const string RmmStream = "0x5581f6a3c2d0";

    /// <summary>pool.dev1.csv line 15: "…,00:00:02.700250,allocate,0x7f3a40000000,33554432,…", the allocation after the OOM.</summary>
    public const int RmmAllocLine = 15;

    public static string Rmm(Func<List<string>, List<string>> edit)
    {
        var lines = edit(File.ReadAllLines(Matrix.Rmm).ToList());
        var path = Path.Combine(Repo.TempDir(), "pool.dev1.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    public static string RmmRow(string time, string action, string pointer, string size) => $"{RmmThread},{time},{action},{pointer},{size},{RmmStream}";

    public static List<string> SetSize(List<string> lines, int lineNo, string size)
    {
        var f = lines[lineNo - 1].Split(',');
        f[4] = size;
        lines[lineNo - 1] = string.Join(',', f);
        return lines;
    }

    /// <summary>The oomsvc capture with the 4th read of /proc/PID/status moved 2 s before the 3rd: an NTP step back.</summary>
    public static string CaptureWithClockStepBack()
    {
        var lines = File.ReadAllLines(Repo.Data("go", "oomsvc", "capture", "procfs.jsonl"));
        var status = Enumerable.Range(0, lines.Length).Where(i => lines[i].Contains("/status\"", StringComparison.Ordinal)).ToArray();
        long Ts(string line) => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("ts_ns").GetInt64();
        var back = Ts(lines[status[2]]) - 2_000_000_000;
        var node = System.Text.Json.Nodes.JsonNode.Parse(lines[status[3]])!;
        node["ts_ns"] = back;
        lines[status[3]] = node.ToJsonString();
        var path = Path.Combine(Repo.TempDir(), "procfs.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>A real gctrace log with one line edited.</summary>
    public static string Gctrace(int lineNo, Func<string, string> edit)
    {
        var lines = File.ReadAllLines(Repo.Data("go", "gctrace.log"));
        lines[lineNo - 1] = edit(lines[lineNo - 1]);
        var path = Path.Combine(Repo.TempDir(), "gctrace.log");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>The real bcc memleak report with its first stack a million frames deep.</summary>
    public static string MemleakMillionFrames()
    {
        var lines = File.ReadAllLines(Repo.Data("memleak", "memleak.txt")).ToList();
        lines.InsertRange(4, Enumerable.Range(0, 1_000_000).Select(i => $"\t\trecurse+0x{i:x} [allocs]"));
        var path = Path.Combine(Repo.TempDir(), "memleak.txt");
        File.WriteAllLines(path, lines);
        return path;
    }

    /// <summary>Imports one file alone; returns the archive, whose manifest holds the source's counters.</summary>
    public static (TraceArchive Archive, SourceEntry Source) ImportAlone(string path, string format = "auto")
    {
        var archive = Path.Combine(Repo.TempDir(), "archive");
        var (code, _, err) = Matrix.Invoke("import", format, path, "--archive", archive, "--date", Matrix.Date);
        Assert.True(code == 0, err);
        var a = TraceArchive.Open(archive);
        return (a, Assert.Single(a.Manifest.Sources));
    }

    public static Table Read(TraceArchive a, string table) => a.ReadTable(TableCatalog.Find(table)!, (_, m) => Assert.Fail(m));

    public static long Count(SourceEntry s, string key) => s.Stats.GetValueOrDefault(key);
}
