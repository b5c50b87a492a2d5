using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>cudaMemGetInfo samples, and the device_free an OOM event carries.</summary>
public static class GpuMemInfo
{
    public static readonly TableDef Def = new(
        "gpu_mem_info", 1, TableKind.Raw,
        "Device free/total bytes: periodic cudaMemGetInfo samples or the device_free recorded at an OOM.",
        ["host", "pid", "device", "ts_ns"],
        [
            SourceId(),
            I64("ts_ns", "ns", "Sample time on the UTC timeline."),
            Str("host", "Host name, or empty."),
            I64("pid", "", "Process id; 0 when unknown."),
            I64("device", "", "CUDA device ordinal."),
            I64("free", "bytes", "Free device memory."),
            I64("total", "bytes", "Total device memory, when known.", nullable: true),
            Str("origin", "sample (periodic cudaMemGetInfo) or oom (device_free of an OOM event)."),
        ]);
}
