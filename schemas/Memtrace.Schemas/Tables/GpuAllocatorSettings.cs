using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>The caching allocator's settings a snapshot recorded (its allocator_settings dict), one row per setting.</summary>
public static class GpuAllocatorSettings
{
    public static readonly TableDef Def = new(
        "gpu_allocator_settings", 1, TableKind.Raw,
        "One row per allocator setting a snapshot recorded (torch.cuda.memory._snapshot()['allocator_settings'], PyTorch 2.1 and later): the settings the what-if replay starts from.",
        ["host", "pid", "device", "pool", "setting"],
        [
            SourceId(),
            Str("host", "Host name, or empty."),
            I64("pid", "", "Process id; 0 when unknown."),
            I64("device", "", "CUDA device ordinal the settings apply to (PyTorch's settings are per process: one row per device with a trace)."),
            Str("pool", "Allocator layer (torch-caching)."),
            Str("setting", "Key as the snapshot names it: PYTORCH_CUDA_ALLOC_CONF, max_split_size, expandable_segments, garbage_collection_threshold, roundup_power2_divisions, …"),
            Str("value", "The value as text: numbers in decimal, booleans True/False, roundup_power2_divisions as interval_MiB:divisions pairs ('1:0,2:0,…')."),
        ]);
}
