using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>
/// One GODEBUG=gctrace=1 line, e.g.
/// "gc 12 @3.020s 1%: 0.015+1.2+0.003 ms clock, 0.12+0.4/1.1/2.0+0.024 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 8 P".
/// </summary>
public static class GoGcEvents
{
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "UTC time after clock alignment; null when the line could not be anchored.", nullable: true);
    public static readonly I64Key SinceStartNs = I64("since_start_ns", "ns", "The '@s' field: time since process start.");
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id; 0 when unknown.");
    public static readonly I64Key GcNum = I64("gc_num", "", "GC cycle number (the 'gc N' field).");
    public static readonly F64Key CpuPercent = F64("cpu_percent", "%", "Share of CPU spent in GC since start.");
    public static readonly F64Key ClockSweepTermMs = F64("clock_sweep_term_ms", "ms", "Wall-clock STW sweep termination.");
    public static readonly F64Key ClockMarkMs = F64("clock_mark_ms", "ms", "Wall-clock concurrent mark.");
    public static readonly F64Key ClockMarkTermMs = F64("clock_mark_term_ms", "ms", "Wall-clock STW mark termination.");
    public static readonly F64Key CpuSweepTermMs = F64("cpu_sweep_term_ms", "ms", "CPU STW sweep termination.");
    public static readonly F64Key CpuAssistMs = F64("cpu_assist_ms", "ms", "CPU mark assist.");
    public static readonly F64Key CpuBackgroundMs = F64("cpu_background_ms", "ms", "CPU background mark.");
    public static readonly F64Key CpuIdleMs = F64("cpu_idle_ms", "ms", "CPU idle mark.");
    public static readonly F64Key CpuMarkTermMs = F64("cpu_mark_term_ms", "ms", "CPU STW mark termination.");
    public static readonly F64Key HeapBeforeMb = F64("heap_before_mb", "MB", "Heap size at GC start.");
    public static readonly F64Key HeapAfterMb = F64("heap_after_mb", "MB", "Heap size at GC end.");
    public static readonly F64Key HeapLiveMb = F64("heap_live_mb", "MB", "Live heap marked.");
    public static readonly F64Key HeapGoalMb = F64("heap_goal_mb", "MB", "Heap goal.");
    public static readonly F64Key StacksMb = F64("stacks_mb", "MB", "Scannable stack size (Go ≥ 1.18).", nullable: true);
    public static readonly F64Key GlobalsMb = F64("globals_mb", "MB", "Scannable globals size (Go ≥ 1.18).", nullable: true);
    public static readonly I64Key Procs = I64("procs", "", "GOMAXPROCS.");
    public static readonly BoolKey Forced = Bool("forced", "Line ends in '(forced)'.");

    public static readonly TableDef Def = new(
        "go_gc_events", 1, TableKind.Raw,
        "One row per gctrace line. ts_ns is null until clock alignment anchors the '@s' offset to MemStats.",
        [Host, Pid, GcNum],
        [
            SourceId,
            TsNs,
            SinceStartNs,
            Host,
            Pid,
            GcNum,
            CpuPercent,
            ClockSweepTermMs,
            ClockMarkMs,
            ClockMarkTermMs,
            CpuSweepTermMs,
            CpuAssistMs,
            CpuBackgroundMs,
            CpuIdleMs,
            CpuMarkTermMs,
            HeapBeforeMb,
            HeapAfterMb,
            HeapLiveMb,
            HeapGoalMb,
            StacksMb,
            GlobalsMb,
            Procs,
            Forced,
        ]);
}
