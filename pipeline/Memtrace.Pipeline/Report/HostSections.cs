using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Report;

/// <summary>
/// The host half of report.html: a card per workload, the RSS-gap layers of each workload as a stacked
/// SVG (drawn from rss_gap_attribution_wide, nothing recomputed), and the flags, capacity plan, alert
/// back-test, spin and clock tables.
/// </summary>
internal static class HostSections
{
    private static readonly string[] Colors =
        ["#1b9e77", "#66c2a5", "#a6d854", "#e6ab02", "#fdb462", "#bbbbbb", "#d95f02", "#7570b3", "#e7298a", "#80b1d3", "#bebada", "#666666", "#fccde5"];

    public static void Cards(StringBuilder sb, JsonNode? summary)
    {
        if (summary?["host"] is not JsonObject host || host["workloads"] is not JsonArray ws || ws.Count == 0) return;
        sb.Append("<div class=\"cards\">");
        foreach (var w in ws)
        {
            var kills = w?["oom_kills"]?.GetValue<long>() ?? 0;
            var flags = (w?["flags"] as JsonArray)?.Select(f => f?.GetValue<string>() ?? "").ToList() ?? [];
            sb.Append($"<a class=\"card {(kills > 0 ? "bad" : "ok")}\" href=\"#host\"><b>pid {w?["pid"]} · {HtmlReport.E(w?["cgroup_path"]?.GetValue<string>() ?? "")}</b>");
            var peak = w?["peak_working_set_bytes"]?.GetValue<long?>();
            var limit = w?["limit_bytes"]?.GetValue<long?>();
            var share = peak is { } pk && limit is { } lim && lim > 0 ? $" ({100.0 * pk / lim:0.0} % of the limit)" : "";
            sb.Append($"<span>{(kills > 0 ? $"OOM-killed {kills}×" : "not OOM-killed")} · peak working set {Bytes(w?["peak_working_set_bytes"])} against limit {Bytes(w?["limit_bytes"])}{share}");
            sb.Append($"<br>recommended limit {Bytes(w?["recommended_limit_bytes"])}, GOMEMLIMIT {Bytes(w?["recommended_gomemlimit_bytes"])}");
            if (flags.Count > 0) sb.Append($"<br>{HtmlReport.E(string.Join(", ", flags))}");
            sb.Append("</span></a>");
        }
        var spin = host["spin_suspect_windows"]?.GetValue<int>() ?? 0;
        sb.Append($"<a class=\"card {(spin > 0 ? "bad" : "ok")}\" href=\"#spin\"><b>epoll spin</b><span>{spin} suspect window(s)</span></a></div>");
    }

    private static string Bytes(JsonNode? n) => n is null ? "none" : HtmlReport.Human(n.GetValue<long>());

    /// <param name="timeline">memory_timeline, which the report loaded already (for the run's start).</param>
    public static void Render(StringBuilder sb, HtmlReport.Tables tables, Table timeline)
    {
        var wide = tables.Load(RssGapWide.Def);
        if (wide.RowCount == 0) HtmlReport.EmptySection(sb, "host", "Host memory: where the bytes are", "no workload with /proc samples");
        else sb.Append("<h2 id=\"host\">Host memory: where the bytes are</h2>");
        // Loaded once for every workload's chart (per workload, 20 workloads re-read them 20 times).
        var flags = tables.Load(Flags.Def);
        foreach (var group in Enumerable.Range(0, wide.RowCount).GroupBy(r => (wide[RssGapWide.Host][r], wide[RssGapWide.CgroupPath][r], wide[RssGapWide.Pid][r])))
        {
            Chart(sb, wide, group.Key, group.ToList(), Overlays(timeline, flags, group.Key));
            LayerTable(sb, wide, group.ToList(), Capacity(tables, group.Key.Item3));
        }
        // The worst first: critical, then warning, then info; in time within each.
        string[] severities = ["critical", "warning", "info"];
        var bySeverity = Enumerable.Range(0, flags.RowCount).OrderBy(r => Array.IndexOf(severities, flags[Flags.Severity][r])).ThenBy(r => flags[Flags.StartTsNs][r]).ThenBy(r => r).ToArray();
        var sorted = flags.Permute(bySeverity);
        HtmlReport.Section(sb, "flags", "Flags (worst first)", sorted, [Flags.Pid, Flags.Kind, Flags.Severity, Flags.StartTsNs, Flags.EndTsNs, Flags.Evidence],
            rowId: i => Run.Findings.FlagAnchor(sorted[Flags.Pid][i], sorted[Flags.Kind][i] ?? "", sorted[Flags.StartTsNs][i]));
        HtmlReport.Section(sb, "capacity", "Capacity plan", tables.Load(CapacityPlan.Def),
            [CapacityPlan.Pid, CapacityPlan.CgroupPath, CapacityPlan.PeakUsage, CapacityPlan.PeakWorkingSet, CapacityPlan.PeakRss, CapacityPlan.PeakGoManaged, CapacityPlan.Limit, CapacityPlan.RecommendedLimit, CapacityPlan.RecommendedGomemlimit, CapacityPlan.AlertRssA, CapacityPlan.AlertRssB, CapacityPlan.Ooms]);
        HtmlReport.Section(sb, "alerts", "RSS alerts replayed over the trace (seed 004)", tables.Load(AlertBacktest.Def),
            [AlertBacktest.Pid, AlertBacktest.Alert, AlertBacktest.ThresholdMin, AlertBacktest.ThresholdMax, AlertBacktest.FirstFireTsNs, AlertBacktest.OomTsNs, AlertBacktest.FiredBeforeOom, AlertBacktest.LeadTimeNs, AlertBacktest.Episodes, AlertBacktest.FalseAlarms, AlertBacktest.Basis]);
        var spin = tables.Load(SpinWindows.Def);
        HtmlReport.Section(sb, "spin", "epoll windows (suspect first)", spin.Permute(Enumerable.Range(0, spin.RowCount).OrderBy(r => spin[SpinWindows.Suspect][r] ? 0 : 1).ThenBy(r => r).ToArray()),
            [SpinWindows.Pid, SpinWindows.Syscall, SpinWindows.WindowStartNs, SpinWindows.CallsPerS, SpinWindows.ZeroReturnFraction, SpinWindows.Timeout0Fraction, SpinWindows.CpuPercent, SpinWindows.GoroutinesMin, SpinWindows.GoroutinesMax, SpinWindows.Suspect, SpinWindows.Reason]);
        HtmlReport.Section(sb, "clocks", "Clock alignment", tables.Load(ClockAlignment.Def),
            [Col.SourceId, ClockAlignment.Table, ClockAlignment.Domain, ClockAlignment.Method, ClockAlignment.Status, ClockAlignment.OffsetNs, ClockAlignment.ErrorNs, ClockAlignment.Pairs, ClockAlignment.Rows, ClockAlignment.Backwards, ClockAlignment.Duplicates, ClockAlignment.Message]);
    }

    private static long? Capacity(HtmlReport.Tables tables, long pid)
    {
        var plan = tables.Load(CapacityPlan.Def);
        for (var i = 0; i < plan.RowCount; i++)
            if (plan[CapacityPlan.Pid][i] == pid) return plan[CapacityPlan.FirstOomTsNs].Get(i);
        return null;
    }

    /// <summary>The layers at the peak total and at the last attributed instant before the first OOM kill.</summary>
    private static void LayerTable(StringBuilder sb, Table t, List<int> rows, long? oomNs)
    {
        var peak = rows.MaxBy(r => t[RssGapWide.Total][r]);
        var columns = new List<(string Title, int Row)> { ($"peak ({HtmlReport.E(Instant(t[RssGapWide.TsNs][peak]))})", peak) };
        if (oomNs is { } oom && rows.Where(r => t[RssGapWide.TsNs][r] < oom).DefaultIfEmpty(-1).Max() is var before and >= 0)
            columns.Add(before == peak ? ("at the OOM kill (same instant)", before) : ($"last before the OOM kill ({HtmlReport.E(Instant(t[RssGapWide.TsNs][before]))})", before));
        sb.Append("<div class=\"scroll\"><table class=\"layers\"><tr><th>layer</th>");
        foreach (var c in columns) sb.Append("<th>").Append(c.Title).Append("</th>");
        sb.Append("</tr>");
        foreach (var layer in RssGapWide.LayerColumns)
        {
            sb.Append("<tr><td>").Append(HtmlReport.E(layer.Name)).Append("</td>");
            foreach (var c in columns) sb.Append("<td>").Append(HtmlReport.E(HtmlReport.Human(t[layer][c.Row]))).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append("<tr><th>total (").Append(HtmlReport.E(t[RssGapWide.TotalKind][peak] ?? "")).Append(")</th>");
        foreach (var c in columns) sb.Append("<th>").Append(HtmlReport.E(HtmlReport.Human(t[RssGapWide.Total][c.Row]))).Append("</th>");
        sb.Append("</tr></table></div>");
    }

    private static string Instant(long ns) => Run.UtcTime.Millis(ns) + " UTC";

    /// <summary>A line drawn over the stacked layers: (instant, bytes) points, or vertical markers when Bytes is null.</summary>
    private sealed record Overlay(string Name, string Color, bool Dashed, List<(long Ts, long? Bytes)> Points);

    private static List<Overlay> Overlays(Table mt, Table flags, (string? Host, string? Cgroup, long Pid) key)
    {
        var rows = Enumerable.Range(0, mt.RowCount).Where(r => mt[MemoryTimeline.Pid][r] == key.Pid && mt[MemoryTimeline.Host][r] == key.Host && mt[MemoryTimeline.CgroupPath][r] == key.Cgroup).ToList();
        var ws = rows.Where(r => mt[MemoryTimeline.WorkingSet].Get(r) is not null).Select(r => (mt[MemoryTimeline.TsNs][r], mt[MemoryTimeline.WorkingSet].Get(r))).ToList();
        var limit = rows.Where(r => mt[MemoryTimeline.Limit].Get(r) is not null).Select(r => (mt[MemoryTimeline.TsNs][r], mt[MemoryTimeline.Limit].Get(r))).ToList();
        var kills = Enumerable.Range(0, flags.RowCount).Where(r => flags[Flags.Pid][r] == key.Pid && flags[Flags.Kind][r] == FlagKinds.OomKill.Name)
            .Select(r => (flags[Flags.StartTsNs][r], (long?)null)).ToList();
        return [new("cgroup limit", "#d00", true, limit), new("working set", "#000", false, ws), new("OOM kill", "#d00", false, kills)];
    }

    /// <summary>
    /// The layers stacked over time (negative layers stack below zero), with the limit, the working set and
    /// the OOM kills drawn over them. x: wall-clock UTC; y: MiB. Every polygon and line has a title for hover.
    /// </summary>
    private static void Chart(StringBuilder sb, Table t, (string? Host, string? Cgroup, long Pid) key, List<int> rows, List<Overlay> overlays)
    {
        const int W = 1000, H = 300, L = 80, R = 20, T = 16, B = 40;
        // Two points per pixel column are all a chart can show: each column keeps its peak instant, so the
        // report stays small for a day of samples (20 workloads × 2 Hz made it 97 MB) and no spike is lost.
        const int points = 2 * (W - L - R);
        rows = Thin(rows, r => t[RssGapWide.TsNs][r], r => t[RssGapWide.Total][r], points);
        overlays = overlays.Select(o => o with { Points = Thin(o.Points, p => p.Ts, p => p.Bytes ?? 0, points) }).ToList();
        var layers = RssGapWide.LayerColumns.Select(l => t[l]).ToArray();
        var times = rows.Select(r => t[RssGapWide.TsNs][r]).Concat(overlays.SelectMany(o => o.Points.Select(p => p.Ts))).ToList();
        long t0 = times.Min(), t1 = Math.Max(times.Max(), t0 + 1);
        double top = rows.Max(r => layers.Sum(l => Math.Max(0, l[r]))), bottom = rows.Min(r => layers.Sum(l => Math.Min(0, l[r])));
        top = Math.Max(top, overlays.SelectMany(o => o.Points).Select(p => (double)(p.Bytes ?? 0)).DefaultIfEmpty(0).Max());
        var range = Math.Max(1, top - bottom);
        string N(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);
        double X(long ts) => L + (ts - t0) * (double)(W - L - R) / (t1 - t0);
        double Y(double v) => T + (top - v) * (H - B - T) / range;
        sb.Append($"<h3>pid {key.Pid} · {HtmlReport.E(key.Cgroup ?? "")}</h3><svg class=\"host\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" role=\"img\" font-size=\"11\" font-family=\"system-ui,sans-serif\">");
        var pos = new double[rows.Count];
        var neg = new double[rows.Count];
        for (var li = 0; li < layers.Length; li++)
        {
            var lower = new List<string>();
            var upper = new List<string>();
            for (var k = 0; k < rows.Count; k++)
            {
                var v = layers[li][rows[k]];
                ref var baseline = ref v >= 0 ? ref pos[k] : ref neg[k];
                var x = N(X(t[RssGapWide.TsNs][rows[k]]));
                lower.Add($"{x},{N(Y(baseline))}");
                baseline += v;
                upper.Add($"{x},{N(Y(baseline))}");
            }
            lower.Reverse();
            sb.Append($"<polygon fill=\"{Colors[li % Colors.Length]}\" points=\"{string.Join(' ', upper)} {string.Join(' ', lower)}\"><title>{layers[li].Def.Name}</title></polygon>");
        }
        var (unit, unitName) = AxisTicks.ByteUnit(range);
        foreach (var v in AxisTicks.Nice(bottom / unit, top / unit, 5))
            sb.Append($"<line x1=\"{L - 4}\" x2=\"{W - R}\" y1=\"{N(Y(v * unit))}\" y2=\"{N(Y(v * unit))}\" stroke=\"#000\" stroke-opacity=\"{(v == 0 ? 0.6 : 0.08)}\"/><text x=\"{L - 6}\" y=\"{N(Y(v * unit) + 4)}\" text-anchor=\"end\">{N(v)} {unitName}</text>");
        foreach (var v in AxisTicks.Nice(0, (t1 - t0) / 1e9, 6))
        {
            var ts = t0 + (long)(v * 1e9);
            sb.Append($"<line x1=\"{N(X(ts))}\" x2=\"{N(X(ts))}\" y1=\"{H - B}\" y2=\"{H - B + 4}\" stroke=\"#333\"/><text x=\"{N(X(ts))}\" y=\"{H - B + 16}\" text-anchor=\"middle\">{Clock(ts)}</text>");
        }
        sb.Append($"<text x=\"2\" y=\"{H - 4}\">UTC {Run.UtcTime.Date(t0)}</text>");
        foreach (var o in overlays)
        {
            if (o.Points.Count == 0) continue;
            var dash = o.Dashed ? " stroke-dasharray=\"6 4\"" : "";
            if (o.Points[0].Bytes is null)
                foreach (var p in o.Points)
                    sb.Append($"<line x1=\"{N(X(p.Ts))}\" x2=\"{N(X(p.Ts))}\" y1=\"{T}\" y2=\"{H - B}\" stroke=\"{o.Color}\" stroke-width=\"2\"><title>{o.Name} at {Clock(p.Ts)}</title></line><text x=\"{N(X(p.Ts) - 4)}\" y=\"{T + 10}\" text-anchor=\"end\" fill=\"{o.Color}\" font-weight=\"bold\">{o.Name}</text>");
            else
                sb.Append($"<polyline fill=\"none\" stroke=\"{o.Color}\" stroke-width=\"1.5\"{dash} points=\"{string.Join(' ', o.Points.Select(p => $"{N(X(p.Ts))},{N(Y(p.Bytes!.Value))}"))}\"><title>{o.Name}</title></polyline>");
        }
        sb.Append("</svg><div class=\"legend\">");
        for (var li = 0; li < layers.Length; li++) sb.Append($"<span class=\"sw\" style=\"background:{Colors[li % Colors.Length]}\"></span>{layers[li].Def.Name}");
        sb.Append("<span class=\"sw\" style=\"background:#000\"></span>working set<span class=\"sw\" style=\"background:#fff;border:2px dashed #d00\"></span>cgroup limit<span class=\"oomkey\">┃ OOM kill</span></div>");
    }

    private static List<T> Thin<T>(List<T> items, Func<T, long> ts, Func<T, long> value, int max)
    {
        var ordered = items.OrderBy(ts).ToList();
        var times = ordered.Select(ts).ToList();
        return RssGap.PeakThinning.Keep(times, i => value(ordered[i]), max).Select(i => ordered[i]).ToList();
    }

    private static string Clock(long ns) => Run.UtcTime.ClockTenths(ns);

    /// <summary>About n round ticks (1, 2 or 5 × 10^k apart) covering [lo, hi].</summary>
}
