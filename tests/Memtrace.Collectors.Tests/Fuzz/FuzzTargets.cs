using System.Text;
using Memtrace.Collectors.Importers;
using Memtrace.Tests;

namespace Memtrace.Collectors.Tests.Fuzz;

/// <summary>Every importer with the real inputs its cases start from (tests/data, our captures, and fixtures built to the upstream schema).</summary>
public static class FuzzTargets
{
    private static byte[] Data(params string[] parts) => File.ReadAllBytes(Repo.Data(parts));

    /// <summary>The first lines of a large real file: same shapes, shorter cases.</summary>
    private static byte[] Head(byte[] file, int lines)
    {
        var n = 0;
        for (var i = 0; i < file.Length; i++)
            if (file[i] == '\n' && ++n == lines) return file[..(i + 1)];
        return file;
    }

    /// <summary>
    /// One target per importer of the registry (ImporterRegistry.All, the one list of formats), with the real inputs
    /// its cases start from; pprof also gets its text form as a second target. A format with no seeds here fails
    /// the build of the list, so a new importer cannot go unfuzzed.
    /// </summary>
    public static IReadOnlyList<FuzzTarget> All() =>
        Seeds.Keys.FirstOrDefault(f => ImporterRegistry.Find(f) is null) is { } stale
            ? throw new InvalidOperationException($"FuzzTargets.Seeds names '{stale}', which is not in ImporterRegistry.All")
            : ImporterRegistry.All.SelectMany(importer => (Seeds.TryGetValue(importer.Format, out var targets) ? targets : throw new InvalidOperationException($"importer '{importer.Format}' has no fuzz seeds in FuzzTargets.Seeds"))
            .Select(t => new FuzzTarget(t.Name, importer, t.Extension, t.Gzip, t.Seeds()))).ToList();

    private static readonly Dictionary<string, (string Name, string Extension, bool Gzip, Func<byte[][]> Seeds)[]> Seeds = new()
    {
        ["torch-snapshot"] = [("torch-snapshot", ".pickle", false, () => [Data("torch-snapshots", "mosaic_output.pickle"), Data("torch-snapshots", "magma27_memory_snapshot.pickle")])],
        ["rmm-csv"] = [("rmm-csv", ".csv", false, () => [Data("rmm", "pool.dev1.csv")])],
        ["nsys-sqlite"] = [("nsys-sqlite", ".sqlite", false, () => [File.ReadAllBytes(NsysSqliteTests.Build(Repo.TempDir()))])],
        ["cuda-hook"] = [("cuda-hook", ".mtcu", false, () => [HookLog()])],
        ["capture-jsonl"] = [("capture-jsonl", ".jsonl", false, () => [Head(Data("go", "oomsvc", "capture", "procfs.jsonl"), 120), Head(Data("go", "spinsvc", "capture", "expvar.jsonl"), 10), Head(Data("go", "sidecar", "capture", "all.jsonl"), 120)])],
        ["procfs-ttar"] = [("procfs-ttar", ".ttar", false, () => [Data("procfs-fixtures", "fixtures.ttar")])],
        ["cgroupfs"] = [("cgroupfs", ".zip", false, () => [Data("cgroup-fixtures", "docker2.zip"), Data("cgroup-fixtures", "ubuntu1804.zip")])],
        ["gctrace"] = [("gctrace", ".log", false, () => [Data("go", "gctrace.log"), Head(Data("go", "oomsvc", "capture", "gctrace.log"), 80)])],
        ["go-expvar"] = [("go-expvar", ".jsonl", false, () => [Head(Data("go", "expvar.jsonl"), 20)])],
        ["pprof"] =
        [
            ("pprof", ".pb.gz", true, () => [Data("go", "heapsvc", "capture", "heap.pb.gz"), Data("go", "heapsvc", "capture", "goroutine.pb.gz")]),
            ("pprof-debug1", ".txt", false, () => [Head(Data("go", "heapsvc", "capture", "heap-debug1.txt"), 400)]),
        ],
        ["perf-script"] = [("perf-script", ".txt.gz", true, () => [Data("perf", "raw-syscalls.txt.gz")])],
        ["bpftrace"] = [("bpftrace", ".json", false, () => [Data("bpftrace", "epoll.json"), Data("bpftrace", "epoll.txt")])],
        ["memleak"] = [("memleak", ".txt", false, () => [Data("memleak", "memleak.txt")])],
        ["dmesg"] = [("dmesg", ".txt", false, () => [Data("go", "oomsvc", "capture", "dmesg.txt")])],
    };

    /// <summary>A real hook log: the test program's mixed calls on two threads under libmemtrace_cuda.so.</summary>
    private static byte[] HookLog()
    {
        var dir = Repo.TempDir();
        var (code, output) = CudaHookRun.Run(CudaHookRun.Driver, dir, hooked: true, "mix", "2", "300", Path.Combine(dir, "truth.tsv"));
        if (code != 0) throw new InvalidOperationException($"hookdriver failed: {output}");
        return File.ReadAllBytes(CudaHookRun.Logs(dir)[0]);
    }

    public static string Describe(FuzzOutcome o) => new StringBuilder()
        .Append($"{o.Target,-16} {o.Executions,8:N0} runs in {o.Seconds,6:0.0} s: {o.Refused,7:N0} refused, {o.Imported,7:N0} imported ")
        .Append($"({o.BadRecords:N0} bad records counted), peak allocation {o.MaxAllocatedBytes / 1e6:0.0} MB ({o.MaxAllocatedPerInputByte:0} B per input byte)")
        .ToString();
}
