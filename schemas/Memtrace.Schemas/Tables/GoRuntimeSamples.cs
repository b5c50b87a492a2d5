using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One runtime.MemStats read (expvar /debug/vars or heap?debug=1).</summary>
public static class GoRuntimeSamples
{
    private static readonly List<(I64Key Column, string Field)> IntegerFields = [];

    /// <summary>
    /// Every integer MemStats field the table keeps, with its Go name as /debug/vars spells it
    /// (<c>"memstats": {"Alloc": 1563504, "TotalAlloc": 1563504, …}</c>) and heap?debug=1 prints it
    /// (<c># HeapAlloc = 1563504</c>); the importers fill these columns from this list.
    /// </summary>
    public static IReadOnlyList<(I64Key Column, string Field)> MemStatsIntegers => IntegerFields;

    private static I64Key Field(string name, string unit, string field, string doc)
    {
        var key = I64(name, unit, doc, nullable: true);
        IntegerFields.Add((key, field));
        return key;
    }

    private static I64Key B(string name, string field) => Field(name, "bytes", field, $"MemStats.{field}.");
    private static I64Key N(string name, string field) => Field(name, "", field, $"MemStats.{field}.");

    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Time of the read, UTC.");
    public static readonly I64Key MonoNs = I64("mono_ns", "ns", "CLOCK_MONOTONIC of the same read, when recorded.", nullable: true);
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id; 0 when unknown.");
    public static readonly I64Key Alloc = B("alloc", "Alloc");
    public static readonly I64Key TotalAlloc = B("total_alloc", "TotalAlloc");
    public static readonly I64Key Sys = B("sys", "Sys");
    public static readonly I64Key Lookups = N("lookups", "Lookups");
    public static readonly I64Key Mallocs = N("mallocs", "Mallocs");
    public static readonly I64Key Frees = N("frees", "Frees");
    public static readonly I64Key HeapAlloc = B("heap_alloc", "HeapAlloc");
    public static readonly I64Key HeapSys = B("heap_sys", "HeapSys");
    public static readonly I64Key HeapIdle = B("heap_idle", "HeapIdle");
    public static readonly I64Key HeapInuse = B("heap_inuse", "HeapInuse");
    public static readonly I64Key HeapReleased = B("heap_released", "HeapReleased");
    public static readonly I64Key HeapObjects = N("heap_objects", "HeapObjects");
    public static readonly I64Key StackInuse = B("stack_inuse", "StackInuse");
    public static readonly I64Key StackSys = B("stack_sys", "StackSys");
    public static readonly I64Key MspanInuse = B("mspan_inuse", "MSpanInuse");
    public static readonly I64Key MspanSys = B("mspan_sys", "MSpanSys");
    public static readonly I64Key McacheInuse = B("mcache_inuse", "MCacheInuse");
    public static readonly I64Key McacheSys = B("mcache_sys", "MCacheSys");
    public static readonly I64Key BuckHashSys = B("buck_hash_sys", "BuckHashSys");
    public static readonly I64Key GcSys = B("gc_sys", "GCSys");
    public static readonly I64Key OtherSys = B("other_sys", "OtherSys");
    public static readonly I64Key NextGc = B("next_gc", "NextGC");
    public static readonly I64Key LastGcNs = Field("last_gc_ns", "ns", "LastGC", "MemStats.LastGC, Unix ns.");
    public static readonly I64Key PauseTotalNs = Field("pause_total_ns", "ns", "PauseTotalNs", "MemStats.PauseTotalNs.");
    public static readonly I64Key NumGc = N("num_gc", "NumGC");
    public static readonly I64Key NumForcedGc = N("num_forced_gc", "NumForcedGC");
    public static readonly F64Key GcCpuFraction = F64("gc_cpu_fraction", "", "MemStats.GCCPUFraction.", nullable: true);
    public static readonly I64Key NumGoroutine = I64("num_goroutine", "", "runtime.NumGoroutine(), when exposed.", nullable: true);
    public static readonly I64Key Gogc = I64("gogc", "%", "GOGC in effect, when known; -1 means off.", nullable: true);
    public static readonly I64Key Gomemlimit = I64("gomemlimit", "bytes", "GOMEMLIMIT in effect, when known; null when unknown, math.MaxInt64 when unset.", nullable: true);

    public static readonly TableDef Def = new(
        "go_runtime_samples", 2, TableKind.Raw,
        "One row per runtime.MemStats read, with every MemStats field that the source exposed.",
        [Host, Pid, TsNs],
        [
            SourceId,
            TsNs,
            MonoNs,
            Host,
            Pid,
            Alloc,
            TotalAlloc,
            Sys,
            Lookups,
            Mallocs,
            Frees,
            HeapAlloc,
            HeapSys,
            HeapIdle,
            HeapInuse,
            HeapReleased,
            HeapObjects,
            StackInuse,
            StackSys,
            MspanInuse,
            MspanSys,
            McacheInuse,
            McacheSys,
            BuckHashSys,
            GcSys,
            OtherSys,
            NextGc,
            LastGcNs,
            PauseTotalNs,
            NumGc,
            NumForcedGc,
            GcCpuFraction,
            NumGoroutine,
            Gogc,
            Gomemlimit,
        ]);
}
