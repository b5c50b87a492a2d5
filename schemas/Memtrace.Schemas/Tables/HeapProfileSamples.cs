using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One pprof heap-profile sample.</summary>
public static class HeapProfileSamples
{
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Profile time_nanos, UTC.");
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id; 0 when unknown.");
    public static readonly I64Key StackId = I64("stack_id", "", "Sample's call stack; joins stacks.", nullable: true);
    public static readonly StrKey Profile = Str("profile", "heap, goroutine, memleak, or the first sample type's name for other profiles.");
    public static readonly I64Key AllocObjects = I64("alloc_objects", "", "alloc_objects value.", nullable: true);
    public static readonly I64Key AllocSpace = I64("alloc_space", "bytes", "alloc_space value.", nullable: true);
    public static readonly I64Key InuseObjects = I64("inuse_objects", "", "inuse_objects value.", nullable: true);
    public static readonly I64Key InuseSpace = I64("inuse_space", "bytes", "inuse_space value.", nullable: true);
    public static readonly StrListKey Values = StrList("values", "Every sample type's value as 'type/unit=value', in the profile's sample_type order.");

    public static readonly TableDef Def = new(
        "heap_profile_samples", 2, TableKind.Raw,
        "One row per profile sample (pprof protobuf, heap?debug=1 text, bcc memleak). The four heap values have columns; every sample type, heap or not, is in values.",
        [Host, Pid, TsNs, StackId],
        [
            SourceId,
            TsNs,
            Host,
            Pid,
            StackId,
            Profile,
            AllocObjects,
            AllocSpace,
            InuseObjects,
            InuseSpace,
            Values,
        ]);
}
