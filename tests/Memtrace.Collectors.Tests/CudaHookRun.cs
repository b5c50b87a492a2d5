using System.Diagnostics;
using System.Globalization;
using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.CudaHook;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;

namespace Memtrace.Collectors.Tests;

/// <summary>Builds collectors/cuda-hook with gcc (once) and runs its test program with or without the hook.</summary>
internal static class CudaHookRun
{
    public static string Dir => CudaHookBuild.Dir;
    public static string Hook => CudaHookBuild.Library;
    public static string Driver => CudaHookBuild.Fake("hookdriver");

    public static ProcessStartInfo Start(string program, string outDir, bool hooked, IEnumerable<string> args, IDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(program, args) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (hooked) psi.Environment["LD_PRELOAD"] = Hook;
        psi.Environment["MEMTRACE_OUT"] = outDir;
        psi.Environment["MEMTRACE_MEMINFO_MS"] = "10";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        return psi;
    }

    public static (int Code, string Out) Run(string program, string outDir, bool hooked, params string[] args)
    {
        using var p = Process.Start(Start(program, outDir, hooked, args))!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr);
    }

    public static (ImportResult Result, StatsSink Stats) Import(string path)
    {
        var stats = new StatsSink("s-test");
        var result = new CudaHookImporter().Import(new ImportContext { Path = path, SourceId = "s-test", Stats = stats });
        return (result, stats);
    }

    public static string[] Logs(string dir) => Directory.GetFiles(dir, "*.mtcu").Order(StringComparer.Ordinal).ToArray();
}

/// <summary>One line of the test program's own log of what it called.</summary>
internal sealed record TruthCall(long Pid, long Tid, MtcuOp Op, long Device, long Address, long Size, long Rc, long Stream, long Handle, long Aux)
{
    public static List<TruthCall> Read(string path) => File.Exists(path)
        ? File.ReadLines(path).Where(l => l.Length > 0).Select(Parse).ToList()
        : [];

    private static TruthCall Parse(string line)
    {
        var f = line.Split('\t').Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return new TruthCall(f[0], f[1], (MtcuOp)f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9]);
    }
}

/// <summary>The imported events of one file, per thread in call order, in the test program's terms.</summary>
internal sealed record ImportedCall(long Tid, MtcuOp Op, long Device, long? Address, long Size, long? Requested, long Rc, long? Stream, long? StackId, string Pool)
{
    public static Dictionary<long, List<ImportedCall>> ByThread(Table events)
    {
        var rows = Enumerable.Range(0, events.RowCount).OrderBy(i => events[GpuAllocEvents.Seq][i]);
        return rows.Select(i => new ImportedCall(events[GpuAllocEvents.Tid][i], Enum.Parse<MtcuOp>(events[GpuAllocEvents.Api][i]!), events[GpuAllocEvents.Device][i],
                events[GpuAllocEvents.Address].Get(i), events[GpuAllocEvents.Size][i], events[GpuAllocEvents.RequestedSize].Get(i), events[GpuAllocEvents.ReturnCode][i],
                events[GpuAllocEvents.Stream].Get(i), events[GpuAllocEvents.StackId].Get(i), events[GpuAllocEvents.Pool][i]!))
            .GroupBy(c => c.Tid).ToDictionary(g => g.Key, g => g.ToList());
    }

    /// <summary>What the hook must have seen for this call: allocation size asked for, address on success, code, stream.</summary>
    public bool Matches(TruthCall t)
    {
        if (Op != t.Op || Rc != t.Rc || Device != t.Device) return false;
        var kind = HookOps.Kind(Op);
        if (kind == HookOpKind.Alloc) return Requested == t.Size && (t.Rc == 0 ? Address == t.Address : Address is null);
        if (kind == HookOpKind.Free) return Address == t.Address && (!HookOps.HasStream(Op) || Stream == t.Stream);
        return Op is MtcuOp.cuMemMap or MtcuOp.cuMemUnmap ? Address == t.Address && Size == t.Size : true;
    }
}
