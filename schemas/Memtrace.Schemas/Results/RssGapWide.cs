using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>The same attribution as <see cref="RssGapAttribution"/>, one row per instant with a column per layer.</summary>
public static class RssGapWide
{
    public static readonly StrKey Host = Str("host", "Host name, or empty.");
    public static readonly StrKey CgroupPath = Str("cgroup_path", "Memory cgroup, or empty.");
    public static readonly I64Key Pid = I64("pid", "", "Process id.");
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Attribution instant.");
    public static readonly StrKey TotalKind = Str("total_kind", "cgroup_usage or vm_rss.");
    public static readonly I64Key Total = I64("total", "bytes", "What the layers sum to.");
    /// <summary>One column per layer of <see cref="RssGapAttribution.Layers"/>, in order.</summary>
    public static readonly I64Key[] LayerColumns = [.. RssGapAttribution.Layers.Select(l => I64(l.Name, "bytes", l.Doc))];
    public static readonly I64Key GoManaged = I64("go_managed", "bytes", "Sys − HeapReleased (0 without a Go sample): the subtotal of the five Go layers.", nullable: false);
    public static readonly I64Key PairingSkewNs = I64("pairing_skew_ns", "ns", "Largest |sample time − instant| among the samples paired at this instant.");

    public static readonly TableDef Def = new(
        "rss_gap_attribution_wide", 1, TableKind.Result,
        "One row per attribution instant: total, one column per layer (same names as rss_gap_attribution.layer), the Go-managed subtotal and the pairing skew. The same instants as rss_gap_attribution (at most --max-instants per workload, peak-kept).",
        [Host, CgroupPath, Pid, TsNs],
        [
            Host,
            CgroupPath,
            Pid,
            TsNs,
            TotalKind,
            Total,
            .. LayerColumns,
            GoManaged,
            PairingSkewNs,
        ]);
}
