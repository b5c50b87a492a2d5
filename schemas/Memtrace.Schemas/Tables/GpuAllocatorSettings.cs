using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>The caching allocator's settings a snapshot recorded (its allocator_settings dict), one row per setting.</summary>
public static class GpuAllocatorSettings
{
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id; 0 when unknown.");
    public static readonly I64Key Device = I64("device", "", "CUDA device ordinal the settings apply to (PyTorch's settings are per process: one row per device with a trace).");
    public static readonly StrKey Pool = Str("pool", "Allocator layer (torch-caching).");
    public static readonly StrKey Setting = Str("setting", "Key as the snapshot names it: PYTORCH_CUDA_ALLOC_CONF, max_split_size, expandable_segments, garbage_collection_threshold, roundup_power2_divisions, …");
    public static readonly StrKey Value = Str("value", "The value as text: numbers in decimal, booleans True/False, roundup_power2_divisions as interval_MiB:divisions pairs ('1:0,2:0,…').");

    public static readonly TableDef Def = new(
        "gpu_allocator_settings", 1, TableKind.Raw,
        "One row per allocator setting a snapshot recorded (torch.cuda.memory._snapshot()['allocator_settings'], PyTorch 2.1 and later): the settings the what-if replay starts from.",
        [Host, Pid, Device, Pool, Setting],
        [
            SourceId,
            Host,
            Pid,
            Device,
            Pool,
            Setting,
            Value,
        ]);
}
