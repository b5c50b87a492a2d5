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
            sb.Append($"<span>{(kills > 0 ? $"OOM-killed {kills}×" : "not OOM-killed")} · limit {Bytes(w?["limit_bytes"])} → recommended {Bytes(w?["recommended_limit_bytes"])}, GOMEMLIMIT {Bytes(w?["recommended_gomemlimit_bytes"])}");
            if (flags.Count > 0) sb.Append($"<br>{HtmlReport.E(string.Join(", ", flags))}");
            sb.Append("</span></a>");
        }
        var spin = host["spin_suspect_windows"]?.GetValue<int>() ?? 0;
        sb.Append($"<a class=\"card {(spin > 0 ? "bad" : "ok")}\" href=\"#spin\"><b>epoll spin</b><span>{spin} suspect window(s)</span></a></div>");
    }

    private static string Bytes(JsonNode? n) => n is null ? "none" : HtmlReport.Human(n.GetValue<long>());

    public static void Render(StringBuilder sb, string outDir)
    {
        var wide = HtmlReport.Load(outDir, RssGapWide.Def);
        sb.Append("<h2 id=\"host\">Host memory: where the bytes are</h2>");
        if (wide.RowCount == 0) sb.Append("<p class=\"muted\">no workload with /proc samples</p>");
        foreach (var group in Enumerable.Range(0, wide.RowCount).GroupBy(r => (wide.Str("host")[r], wide.Str("cgroup_path")[r], wide.I64("pid")[r])))
            Chart(sb, wide, group.Key, group.ToList());
        HtmlReport.Section(sb, "flags", "Flags", HtmlReport.Load(outDir, Flags.Def), ["pid", "kind", "severity", "start_ts_ns", "end_ts_ns", "evidence"]);
        HtmlReport.Section(sb, "capacity", "Capacity plan", HtmlReport.Load(outDir, CapacityPlan.Def),
            ["pid", "cgroup_path", "peak_usage", "peak_working_set", "peak_rss", "peak_go_managed", "limit", "recommended_limit", "recommended_gomemlimit", "alert_rss_a", "alert_rss_b", "ooms"]);
        HtmlReport.Section(sb, "alerts", "RSS alerts replayed over the trace (seed 004)", HtmlReport.Load(outDir, AlertBacktest.Def),
            ["pid", "alert", "threshold_min", "threshold_max", "first_fire_ts_ns", "oom_ts_ns", "fired_before_oom", "lead_time_ns", "episodes", "false_alarms", "basis"]);
        var spin = HtmlReport.Load(outDir, SpinWindows.Def);
        HtmlReport.Section(sb, "spin", "epoll windows (suspect first)", spin.Permute(Enumerable.Range(0, spin.RowCount).OrderBy(r => spin.Bool("suspect")[r] ? 0 : 1).ThenBy(r => r).ToArray()),
            ["pid", "syscall", "window_start_ns", "calls_per_s", "zero_return_fraction", "timeout0_fraction", "cpu_percent", "goroutines_min", "goroutines_max", "suspect", "reason"]);
        HtmlReport.Section(sb, "clocks", "Clock alignment", HtmlReport.Load(outDir, ClockAlignment.Def),
            ["source_id", "table", "domain", "method", "status", "offset_ns", "error_ns", "pairs", "rows", "backwards", "duplicates", "message"]);
    }

    /// <summary>Stacked layers over time; negative layers stack below zero. Axis: seconds from the first instant, MiB.</summary>
    private static void Chart(StringBuilder sb, Table t, (string? Host, string? Cgroup, long Pid) key, List<int> rows)
    {
        const int W = 900, H = 260, L = 60, B = 24;
        var layers = RssGapAttribution.Layers.Select(l => l.Name).ToArray();
        var t0 = t.I64("ts_ns")[rows[0]];
        var span = Math.Max(1, t.I64("ts_ns")[rows[^1]] - t0);
        double top = rows.Max(r => layers.Sum(l => Math.Max(0, t.I64(l)[r]))), bottom = rows.Min(r => layers.Sum(l => Math.Min(0, t.I64(l)[r])));
        var range = Math.Max(1, top - bottom);
        string X(long ts) => (L + (ts - t0) * (double)(W - L - 10) / span).ToString("0.#", CultureInfo.InvariantCulture);
        string Y(double v) => (10 + (top - v) * (H - B - 10) / range).ToString("0.#", CultureInfo.InvariantCulture);
        sb.Append($"<h3>pid {key.Pid} · {HtmlReport.E(key.Cgroup ?? "")}</h3><svg width=\"{W}\" height=\"{H}\" role=\"img\">");
        var pos = new double[rows.Count];
        var neg = new double[rows.Count];
        for (var li = 0; li < layers.Length; li++)
        {
            var lower = new List<string>();
            var upper = new List<string>();
            for (var k = 0; k < rows.Count; k++)
            {
                var v = t.I64(layers[li])[rows[k]];
                ref var baseline = ref v >= 0 ? ref pos[k] : ref neg[k];
                var x = X(t.I64("ts_ns")[rows[k]]);
                lower.Add($"{x},{Y(baseline)}");
                baseline += v;
                upper.Add($"{x},{Y(baseline)}");
            }
            lower.Reverse();
            sb.Append($"<polygon fill=\"{Colors[li % Colors.Length]}\" points=\"{string.Join(' ', upper)} {string.Join(' ', lower)}\"><title>{layers[li]}</title></polygon>");
        }
        sb.Append($"<line x1=\"{L}\" y1=\"{Y(0)}\" x2=\"{W - 10}\" y2=\"{Y(0)}\" stroke=\"#000\"/>");
        foreach (var v in new[] { bottom, 0, top })
            sb.Append($"<text x=\"2\" y=\"{Y(v)}\" font-size=\"10\">{HtmlReport.E(HtmlReport.Human((long)v))}</text>");
        sb.Append($"<text x=\"{L}\" y=\"{H - 6}\" font-size=\"10\">0 s</text><text x=\"{W - 60}\" y=\"{H - 6}\" font-size=\"10\">{span / 1e9:0.0} s</text></svg>");
        sb.Append("<div class=\"legend\">");
        for (var li = 0; li < layers.Length; li++) sb.Append($"<span style=\"background:{Colors[li % Colors.Length]}\"></span>{layers[li]}");
        sb.Append("</div>");
    }
}
