using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Host-memory findings, each over a time window with its evidence.</summary>
public static class Flags
{
    public static readonly TableDef Def = new(
        "flags", 1, TableKind.Result,
        "One row per finding: off-heap growth, stack growth, heap not returned, page cache dominating, kernel memory high, working set over 90% of the limit, GOMEMLIMIT unset or above the limit, PSI avg10/avg60 disagreement, OOM kill, limit hit, process vanished, negative layer, unanchored clock.",
        ["host", "cgroup_path", "pid", "kind", "start_ts_ns"],
        [
            Str("host", "Host name, or empty."),
            Str("cgroup_path", "Memory cgroup, or empty."),
            I64("pid", "", "Process id; 0 for a cgroup-wide finding."),
            Str("kind", "Finding, e.g. off_heap_growth, oom_kill."),
            Str("severity", "info, warning or critical."),
            I64("start_ts_ns", "ns", "First instant of the window."),
            I64("end_ts_ns", "ns", "Last instant of the window."),
            F64("value", "", "The worst measured value in the window (bytes, %, or a count; see evidence).", nullable: true),
            F64("threshold", "", "The threshold it was compared with.", nullable: true),
            Str("evidence", "Measured numbers and where they came from."),
        ]);
}
