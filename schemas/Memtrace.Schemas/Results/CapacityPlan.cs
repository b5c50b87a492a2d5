using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Peaks and recommended limits per workload (seed 004).</summary>
public static class CapacityPlan
{
    private static ColumnDef B(string name, string doc) => I64(name, "bytes", doc, nullable: true);

    public static readonly TableDef Def = new(
        "capacity_plan", 1, TableKind.Result,
        "One row per workload: observed peaks, the limit in effect, and the recommended limit, GOMEMLIMIT and RSS alert thresholds.",
        ["host", "cgroup_path", "pid"],
        [
            Str("host", "Host name, or empty."),
            Str("cgroup_path", "Memory cgroup, or empty."),
            I64("pid", "", "Process id."),
            I64("instants", "", "memory_timeline rows the peaks were taken over."),
            B("peak_usage", "Largest cgroup usage."),
            B("peak_working_set", "Largest working set (usage − inactive_file)."),
            B("peak_rss", "Largest VmRSS."),
            B("peak_go_managed", "Largest Sys − HeapReleased."),
            B("peak_non_heap", "Largest Sys − HeapSys (stacks, runtime metadata)."),
            B("limit", "Cgroup limit in effect (null when unlimited)."),
            B("gomemlimit", "GOMEMLIMIT in effect (null when unknown or unset)."),
            F64("headroom_factor", "", "Factor applied to the peak working set."),
            B("recommended_limit", "ceil_MiB(peak_working_set × headroom_factor)."),
            B("recommended_gomemlimit", "0.8 × recommended_limit (seed 004)."),
            B("alert_rss_a", "min(recommended_limit × 0.9, recommended_gomemlimit × 1.1)."),
            B("alert_rss_b", "recommended_gomemlimit × 1.2 + peak_non_heap × 0.8."),
            I64("ooms", "", "OOM kills of this workload seen in the trace."),
            I64("first_oom_ts_ns", "ns", "First OOM kill.", nullable: true),
        ]);
}
