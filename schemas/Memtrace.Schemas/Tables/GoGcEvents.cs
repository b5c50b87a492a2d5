using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>
/// One GODEBUG=gctrace=1 line, e.g.
/// "gc 12 @3.020s 1%: 0.015+1.2+0.003 ms clock, 0.12+0.4/1.1/2.0+0.024 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 8 P".
/// </summary>
public static class GoGcEvents
{
    public static readonly TableDef Def = new(
        "go_gc_events", 1, TableKind.Raw,
        "One row per gctrace line. ts_ns is null until clock alignment anchors the '@s' offset to MemStats.",
        ["host", "pid", "gc_num"],
        [
            SourceId(),
            I64("ts_ns", "ns", "UTC time after clock alignment; null when the line could not be anchored.", nullable: true),
            I64("since_start_ns", "ns", "The '@s' field: time since process start."),
            Str("host", "Host name, or empty."),
            I64("pid", "", "Process id; 0 when unknown."),
            I64("gc_num", "", "GC cycle number (the 'gc N' field)."),
            F64("cpu_percent", "%", "Share of CPU spent in GC since start."),
            F64("clock_sweep_term_ms", "ms", "Wall-clock STW sweep termination."),
            F64("clock_mark_ms", "ms", "Wall-clock concurrent mark."),
            F64("clock_mark_term_ms", "ms", "Wall-clock STW mark termination."),
            F64("cpu_sweep_term_ms", "ms", "CPU STW sweep termination."),
            F64("cpu_assist_ms", "ms", "CPU mark assist."),
            F64("cpu_background_ms", "ms", "CPU background mark."),
            F64("cpu_idle_ms", "ms", "CPU idle mark."),
            F64("cpu_mark_term_ms", "ms", "CPU STW mark termination."),
            F64("heap_before_mb", "MB", "Heap size at GC start."),
            F64("heap_after_mb", "MB", "Heap size at GC end."),
            F64("heap_live_mb", "MB", "Live heap marked."),
            F64("heap_goal_mb", "MB", "Heap goal."),
            F64("stacks_mb", "MB", "Scannable stack size (Go ≥ 1.18).", nullable: true),
            F64("globals_mb", "MB", "Scannable globals size (Go ≥ 1.18).", nullable: true),
            I64("procs", "", "GOMAXPROCS."),
            Bool("forced", "Line ends in '(forced)'."),
        ]);
}
