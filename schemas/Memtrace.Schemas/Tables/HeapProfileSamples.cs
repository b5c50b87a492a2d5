using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One pprof heap-profile sample.</summary>
public static class HeapProfileSamples
{
    public static readonly TableDef Def = new(
        "heap_profile_samples", 1, TableKind.Raw,
        "One row per pprof sample; value columns are named after the profile's sample_type entries.",
        ["host", "pid", "ts_ns", "stack_id"],
        [
            SourceId(),
            I64("ts_ns", "ns", "Profile time_nanos, UTC."),
            Str("host", "Host name, or empty."),
            I64("pid", "", "Process id; 0 when unknown."),
            I64("stack_id", "", "Sample's call stack; joins stacks."),
            I64("alloc_objects", "", "alloc_objects value.", nullable: true),
            I64("alloc_space", "bytes", "alloc_space value.", nullable: true),
            I64("inuse_objects", "", "inuse_objects value.", nullable: true),
            I64("inuse_space", "bytes", "inuse_space value.", nullable: true),
        ]);
}
