using Memtrace.Collectors.Importers.Bpftrace;
using Memtrace.Collectors.Importers.CaptureJsonl;
using Memtrace.Collectors.Importers.CudaHook;
using Memtrace.Collectors.Importers.Cgroupfs;
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

namespace Memtrace.Collectors.Importers;

/// <summary>The one list of input formats. A new format adds its folder under Importers/ and one line here.</summary>
public static class ImporterRegistry
{
    public static readonly IReadOnlyList<IImporter> All =
    [
        new TorchSnapshotImporter(),
        new RmmCsvImporter(),
        new NsysSqliteImporter(),
        new ProcfsTtarImporter(),
        new CgroupfsImporter(),
        new GctraceImporter(),
        // capture-jsonl before go-expvar: a capture line may hold a /debug/vars body, and its "path" key says which it is.
        new CaptureJsonlImporter(),
        new GoExpvarImporter(),
        new CudaHookImporter(),
        new PerfScriptImporter(),
        new PprofImporter(),
        new BpftraceImporter(),
        new MemleakImporter(),
        new DmesgImporter(),
    ];

    public static IImporter? Find(string format) => All.FirstOrDefault(i => i.Format == format);

    public static IImporter? Sniff(ReadOnlySpan<byte> head, string path)
    {
        foreach (var i in All)
        {
            if (i.Sniff(head, path)) return i;
        }
        return null;
    }
}
