using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Would each seed-004 RSS alert have fired before the OOM, how early, and how often for nothing.</summary>
public static class AlertBacktest
{
    public static readonly TableDef Def = new(
        "alert_backtest", 1, TableKind.Result,
        "One row per (workload, alert): the threshold replayed over the trace's VmRSS with the limit and GOMEMLIMIT that were in effect (0.8 × limit where GOMEMLIMIT was unset).",
        ["host", "cgroup_path", "pid", "alert"],
        [
            Str("host", "Host name, or empty."),
            Str("cgroup_path", "Memory cgroup, or empty."),
            I64("pid", "", "Process id."),
            Str("alert", "a = min(limit × 0.9, GOMEMLIMIT × 1.1); b = GOMEMLIMIT × 1.2 + (Sys − HeapSys) × 0.8."),
            Str("basis", "Where limit and GOMEMLIMIT came from."),
            I64("threshold_min", "bytes", "Smallest threshold over the trace (b moves with Sys − HeapSys).", nullable: true),
            I64("threshold_max", "bytes", "Largest threshold over the trace.", nullable: true),
            I64("evaluated", "", "Instants the alert could be evaluated at."),
            I64("first_fire_ts_ns", "ns", "First instant VmRSS exceeded the threshold.", nullable: true),
            I64("oom_ts_ns", "ns", "First OOM kill.", nullable: true),
            Bool("fired_before_oom", "Whether it fired before the OOM; null without an OOM.", nullable: true),
            I64("lead_time_ns", "ns", "OOM time − first firing before it.", nullable: true),
            I64("episodes", "", "Separate firings (runs of instants above the threshold)."),
            I64("false_alarms", "", "Episodes not followed by an OOM within the horizon."),
            I64("horizon_ns", "ns", "How soon after an episode starts an OOM must come for the episode to count as a true alarm."),
        ]);
}
