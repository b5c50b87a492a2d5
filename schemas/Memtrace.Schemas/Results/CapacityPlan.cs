using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Peaks and recommended limits per workload (seed 004).</summary>
public static class CapacityPlan
{
    private static I64Key B(string name, string doc) => I64(name, "bytes", doc, nullable: true);

    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly StrKey CgroupPath = Str("cgroup_path", "Memory cgroup, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id.");
    public static readonly I64Key Instants = I64("instants", "", "memory_timeline rows the peaks were taken over.");
    public static readonly I64Key PeakUsage = B("peak_usage", "Largest cgroup usage.");
    public static readonly I64Key PeakWorkingSet = B("peak_working_set", "Largest working set (usage − inactive_file).");
    public static readonly I64Key PeakRss = B("peak_rss", "Largest VmRSS.");
    public static readonly I64Key PeakGoManaged = B("peak_go_managed", "Largest Sys − HeapReleased.");
    public static readonly I64Key PeakNonHeap = B("peak_non_heap", "Largest Sys − HeapSys (stacks, runtime metadata).");
    public static readonly I64Key Limit = B("limit", "Cgroup limit in effect (null when unlimited).");
    public static readonly I64Key Gomemlimit = B("gomemlimit", "GOMEMLIMIT in effect (null when unknown or unset).");
    public static readonly F64Key HeadroomFactor = F64("headroom_factor", "", "Factor applied to the peak working set.");
    public static readonly I64Key RecommendedLimit = B("recommended_limit", "ceil_MiB(peak_working_set × headroom_factor).");
    public static readonly I64Key RecommendedGomemlimit = B("recommended_gomemlimit", "0.8 × recommended_limit (seed 004).");
    public static readonly I64Key AlertRssA = B("alert_rss_a", "min(recommended_limit × 0.9, recommended_gomemlimit × 1.1).");
    public static readonly I64Key AlertRssB = B("alert_rss_b", "recommended_gomemlimit × 1.2 + peak_non_heap × 0.8.");
    public static readonly I64Key Ooms = I64("ooms", "", "OOM kills of this workload seen in the trace.");
    public static readonly I64Key FirstOomTsNs = I64("first_oom_ts_ns", "ns", "First OOM kill.", nullable: true);

    public static readonly TableDef Def = new(
        "capacity_plan", 1, TableKind.Result,
        "One row per workload: observed peaks, the limit in effect, and the recommended limit, GOMEMLIMIT and RSS alert thresholds.",
        [Host, CgroupPath, Pid],
        [
            Host,
            CgroupPath,
            Pid,
            Instants,
            PeakUsage,
            PeakWorkingSet,
            PeakRss,
            PeakGoManaged,
            PeakNonHeap,
            Limit,
            Gomemlimit,
            HeadroomFactor,
            RecommendedLimit,
            RecommendedGomemlimit,
            AlertRssA,
            AlertRssB,
            Ooms,
            FirstOomTsNs,
        ]);
}
