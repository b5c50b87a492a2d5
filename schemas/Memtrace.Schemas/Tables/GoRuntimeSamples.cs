using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>One runtime.MemStats read (expvar /debug/vars or heap?debug=1).</summary>
public static class GoRuntimeSamples
{
    private static ColumnDef B(string name, string field) => I64(name, "bytes", $"MemStats.{field}.", nullable: true);
    private static ColumnDef N(string name, string field) => I64(name, "", $"MemStats.{field}.", nullable: true);

    public static readonly TableDef Def = new(
        "go_runtime_samples", 2, TableKind.Raw,
        "One row per runtime.MemStats read, with every MemStats field that the source exposed.",
        ["host", "pid", "ts_ns"],
        [
            SourceId(),
            I64("ts_ns", "ns", "Time of the read, UTC."),
            I64("mono_ns", "ns", "CLOCK_MONOTONIC of the same read, when recorded.", nullable: true),
            Str("host", "Host name, or empty."),
            I64("pid", "", "Process id; 0 when unknown."),
            B("alloc", "Alloc"), B("total_alloc", "TotalAlloc"), B("sys", "Sys"),
            N("lookups", "Lookups"), N("mallocs", "Mallocs"), N("frees", "Frees"),
            B("heap_alloc", "HeapAlloc"), B("heap_sys", "HeapSys"), B("heap_idle", "HeapIdle"),
            B("heap_inuse", "HeapInuse"), B("heap_released", "HeapReleased"), N("heap_objects", "HeapObjects"),
            B("stack_inuse", "StackInuse"), B("stack_sys", "StackSys"),
            B("mspan_inuse", "MSpanInuse"), B("mspan_sys", "MSpanSys"),
            B("mcache_inuse", "MCacheInuse"), B("mcache_sys", "MCacheSys"),
            B("buck_hash_sys", "BuckHashSys"), B("gc_sys", "GCSys"), B("other_sys", "OtherSys"),
            B("next_gc", "NextGC"),
            I64("last_gc_ns", "ns", "MemStats.LastGC, Unix ns.", nullable: true),
            I64("pause_total_ns", "ns", "MemStats.PauseTotalNs.", nullable: true),
            N("num_gc", "NumGC"), N("num_forced_gc", "NumForcedGC"),
            F64("gc_cpu_fraction", "", "MemStats.GCCPUFraction.", nullable: true),
            I64("num_goroutine", "", "runtime.NumGoroutine(), when exposed.", nullable: true),
            I64("gogc", "%", "GOGC in effect, when known; -1 means off.", nullable: true),
            I64("gomemlimit", "bytes", "GOMEMLIMIT in effect, when known; null when unknown, math.MaxInt64 when unset.", nullable: true),
        ]);
}
