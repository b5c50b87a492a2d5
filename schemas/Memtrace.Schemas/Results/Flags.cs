using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Host-memory findings, each over a time window with its evidence.</summary>
public static class Flags
{
    public static readonly TableDef Def = new(
        "flags", 1, TableKind.Result,
        "One row per finding over a time window, with its evidence. Every kind, its severity and its meaning are listed under Flag kinds at the end of this reference.",
        ["host", "cgroup_path", "pid", "kind", "start_ts_ns"],
        [
            Str("host", "Host name, or empty."),
            Str("cgroup_path", "Memory cgroup, or empty."),
            I64("pid", "", "Process id; 0 for a cgroup-wide finding."),
            Str("kind", "One of the flag kinds below."),
            Str("severity", $"{FlagKinds.Info}, {FlagKinds.Warning} or {FlagKinds.Critical}: the kind's, except gomemlimit_unset without a limit ({FlagKinds.Info})."),
            I64("start_ts_ns", "ns", "First instant of the window."),
            I64("end_ts_ns", "ns", "Last instant of the window."),
            F64("value", "", "The worst measured value in the window (bytes, %, or a count; see evidence).", nullable: true),
            F64("threshold", "", "The threshold it was compared with.", nullable: true),
            Str("evidence", "Measured numbers and where they came from."),
        ]);
}
