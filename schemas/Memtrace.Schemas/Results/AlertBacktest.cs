using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Would each seed-004 RSS alert have fired before the OOM, how early, and how often for nothing.</summary>
public static class AlertBacktest
{
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly StrKey CgroupPath = Str("cgroup_path", "Memory cgroup, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id.");
    public static readonly StrKey Alert = Str("alert", "a = min(limit × 0.9, GOMEMLIMIT × 1.1); b = GOMEMLIMIT × 1.2 + (Sys − HeapSys) × 0.8.");
    public static readonly StrKey Basis = Str("basis", "Where limit and GOMEMLIMIT came from.");
    public static readonly I64Key ThresholdMin = I64("threshold_min", "bytes", "Smallest threshold over the trace (b moves with Sys − HeapSys).", nullable: true);
    public static readonly I64Key ThresholdMax = I64("threshold_max", "bytes", "Largest threshold over the trace.", nullable: true);
    public static readonly I64Key Evaluated = I64("evaluated", "", "Instants the alert could be evaluated at.");
    public static readonly I64Key FirstFireTsNs = I64("first_fire_ts_ns", "ns", "First instant VmRSS exceeded the threshold.", nullable: true);
    public static readonly I64Key OomTsNs = I64("oom_ts_ns", "ns", "First OOM kill.", nullable: true);
    public static readonly BoolKey FiredBeforeOom = Bool("fired_before_oom", "Whether it fired before the OOM; null without an OOM.", nullable: true);
    public static readonly I64Key LeadTimeNs = I64("lead_time_ns", "ns", "OOM time − first firing before it.", nullable: true);
    public static readonly I64Key Episodes = I64("episodes", "", "Separate firings (runs of instants above the threshold).");
    public static readonly I64Key FalseAlarms = I64("false_alarms", "", "Episodes not followed by an OOM within the horizon.");
    public static readonly I64Key HorizonNs = I64("horizon_ns", "ns", "How soon after an episode starts an OOM must come for the episode to count as a true alarm.");

    public static readonly TableDef Def = new(
        "alert_backtest", 1, TableKind.Result,
        "One row per (workload, alert): the threshold replayed over the trace's VmRSS with the limit and GOMEMLIMIT that were in effect (0.8 × limit where GOMEMLIMIT was unset).",
        [Host, CgroupPath, Pid, Alert],
        [
            Host,
            CgroupPath,
            Pid,
            Alert,
            Basis,
            ThresholdMin,
            ThresholdMax,
            Evaluated,
            FirstFireTsNs,
            OomTsNs,
            FiredBeforeOom,
            LeadTimeNs,
            Episodes,
            FalseAlarms,
            HorizonNs,
        ]);
}
