using System.Text;
using Memtrace.Collectors.Importers.Bpftrace;
using Memtrace.Collectors.Importers.CaptureJsonl;
using Memtrace.Collectors.Importers.Cgroupfs;
using Memtrace.Collectors.Importers.CudaHook;
using Memtrace.Collectors.Importers.Dmesg;
using Memtrace.Collectors.Importers.Gctrace;
using Memtrace.Collectors.Importers.GoExpvar;
using Memtrace.Collectors.Importers.Memleak;
using Memtrace.Collectors.Importers.NsysSqlite;
using Memtrace.Collectors.Importers.PerfScript;
using Memtrace.Collectors.Importers.Pprof;
using Memtrace.Collectors.Importers.Procfs;
using Memtrace.Collectors.Importers.RmmCsv;
using Memtrace.Collectors.Importers.TorchSnapshot;
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

    public static IReadOnlyList<FuzzTarget> All() =>
    [
        new("torch-snapshot", new TorchSnapshotImporter(), ".pickle", false, [Data("torch-snapshots", "mosaic_output.pickle"), Data("torch-snapshots", "magma27_memory_snapshot.pickle")]),
        new("rmm-csv", new RmmCsvImporter(), ".csv", false, [Data("rmm", "pool.dev1.csv")]),
        new("nsys-sqlite", new NsysSqliteImporter(), ".sqlite", false, [File.ReadAllBytes(NsysSqliteTests.Build(Repo.TempDir()))]),
        new("cuda-hook", new CudaHookImporter(), ".mtcu", false, [HookLog()]),
        new("capture-jsonl", new CaptureJsonlImporter(), ".jsonl", false, [Head(Data("go", "oomsvc", "capture", "procfs.jsonl"), 120), Head(Data("go", "spinsvc", "capture", "expvar.jsonl"), 10), Head(Data("go", "sidecar", "capture", "all.jsonl"), 120)]),
        new("procfs-ttar", new ProcfsTtarImporter(), ".ttar", false, [Data("procfs-fixtures", "fixtures.ttar")]),
        new("cgroupfs", new CgroupfsImporter(), ".zip", false, [Data("cgroup-fixtures", "docker2.zip"), Data("cgroup-fixtures", "ubuntu1804.zip")]),
        new("gctrace", new GctraceImporter(), ".log", false, [Data("go", "gctrace.log"), Head(Data("go", "oomsvc", "capture", "gctrace.log"), 80)]),
        new("go-expvar", new GoExpvarImporter(), ".jsonl", false, [Head(Data("go", "expvar.jsonl"), 20)]),
        new("pprof", new PprofImporter(), ".pb.gz", true, [Data("go", "heapsvc", "capture", "heap.pb.gz"), Data("go", "heapsvc", "capture", "goroutine.pb.gz")]),
        new("pprof-debug1", new PprofImporter(), ".txt", false, [Head(Data("go", "heapsvc", "capture", "heap-debug1.txt"), 400)]),
        new("perf-script", new PerfScriptImporter(), ".txt.gz", true, [Data("perf", "raw-syscalls.txt.gz")]),
        new("bpftrace", new BpftraceImporter(), ".json", false, [Data("bpftrace", "epoll.json"), Data("bpftrace", "epoll.txt")]),
        new("memleak", new MemleakImporter(), ".txt", false, [Data("memleak", "memleak.txt")]),
        new("dmesg", new DmesgImporter(), ".txt", false, [Data("go", "oomsvc", "capture", "dmesg.txt")]),
    ];

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
