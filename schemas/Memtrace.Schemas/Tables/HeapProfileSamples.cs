using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One pprof heap-profile sample.</summary>
public static class HeapProfileSamples
{
    public static readonly TableDef Def = new(
        "heap_profile_samples", 2, TableKind.Raw,
        "One row per profile sample (pprof protobuf, heap?debug=1 text, bcc memleak). The four heap values have columns; every sample type, heap or not, is in values.",
        ["host", "pid", "ts_ns", "stack_id"],
        [
            SourceId(),
            I64("ts_ns", "ns", "Profile time_nanos, UTC."),
            Str("host", "Host name, or empty."),
            I64("pid", "", "Process id; 0 when unknown."),
            I64("stack_id", "", "Sample's call stack; joins stacks.", nullable: true),
            Str("profile", "heap, goroutine, memleak, or the first sample type's name for other profiles."),
            I64("alloc_objects", "", "alloc_objects value.", nullable: true),
            I64("alloc_space", "bytes", "alloc_space value.", nullable: true),
            I64("inuse_objects", "", "inuse_objects value.", nullable: true),
            I64("inuse_space", "bytes", "inuse_space value.", nullable: true),
            StrList("values", "Every sample type's value as 'type/unit=value', in the profile's sample_type order."),
        ]);
}
