using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Host-memory findings, each over a time window with its evidence.</summary>
public static class Flags
{
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly StrKey CgroupPath = Str("cgroup_path", "Memory cgroup, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id; 0 for a cgroup-wide finding.");
    public static readonly StrKey Kind = Str("kind", "One of the flag kinds below.");
    public static readonly StrKey Severity = Str("severity", $"{FlagKinds.Info}, {FlagKinds.Warning} or {FlagKinds.Critical}: the kind's, except gomemlimit_unset without a limit ({FlagKinds.Info}).");
    public static readonly I64Key StartTsNs = I64("start_ts_ns", "ns", "First instant of the window.");
    public static readonly I64Key EndTsNs = I64("end_ts_ns", "ns", "Last instant of the window.");
    public static readonly F64Key Value = F64("value", "", "The worst measured value in the window (bytes, %, or a count; see evidence).", nullable: true);
    public static readonly F64Key Threshold = F64("threshold", "", "The threshold it was compared with.", nullable: true);
    public static readonly StrKey Evidence = Str("evidence", "Measured numbers and where they came from.");

    public static readonly TableDef Def = new(
        "flags", 1, TableKind.Result,
        "One row per finding over a time window, with its evidence. Every kind, its severity and its meaning are listed under Flag kinds at the end of this reference.",
        [Host, CgroupPath, Pid, Kind, StartTsNs],
        [
            Host,
            CgroupPath,
            Pid,
            Kind,
            Severity,
            StartTsNs,
            EndTsNs,
            Value,
            Threshold,
            Evidence,
        ]);
}
