using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>cudaMemGetInfo samples, and the device_free an OOM event carries.</summary>
public static class GpuMemInfo
{
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Sample time on the UTC timeline.");
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id; 0 when unknown.");
    public static readonly I64Key Device = I64("device", "", "CUDA device ordinal.");
    public static readonly I64Key Free = I64("free", "bytes", "Free device memory.");
    public static readonly I64Key Total = I64("total", "bytes", "Total device memory, when known.", nullable: true);
    public static readonly StrKey Origin = Str("origin", "sample (periodic cudaMemGetInfo) or oom (device_free of an OOM event).");

    public static readonly TableDef Def = new(
        "gpu_mem_info", 1, TableKind.Raw,
        "Device free/total bytes: periodic cudaMemGetInfo samples or the device_free recorded at an OOM.",
        [Host, Pid, Device, TsNs],
        [
            SourceId,
            TsNs,
            Host,
            Pid,
            Device,
            Free,
            Total,
            Origin,
        ]);
}
