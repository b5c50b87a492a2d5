using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Report;

/// <summary>
/// report.html: one self-contained file (inline CSS/JS, embedded data, a CSP that forbids every
/// remote load). It only displays the emitted tables; it computes nothing. Every trace string is
/// HTML-escaped, and the embedded JSON escapes '&lt;' so no string can close the script element.
/// </summary>
public static class HtmlReport
{
    /// <param name="written">The tables just written to &lt;outDir&gt;/tables, as written (sorted), by name: a run passes
    /// them so the report does not read back what it has in memory (the bundled bcrafton run's 15 MB heatmap.arrow read
    /// back was 8% of its main thread). Without them, or for a table not among them, the file is read.</param>
    public static void Write(string outDir, IReadOnlyDictionary<string, Table>? written = null)
    {
        var html = Render(outDir, written);
        AtomicFile.WriteAllText(Path.Combine(outDir, "report.html"), html);
    }

    /// <summary>A result table as written to &lt;outDir&gt;/tables (empty when there is none).</summary>
    internal sealed class Tables(string outDir, IReadOnlyDictionary<string, Table>? written)
    {
        public Table Load(TableDef def)
        {
            if (written is not null && written.TryGetValue(def.Name, out var t)) return t;
            var path = Path.Combine(outDir, "tables", def.Name + ".arrow");
            if (!File.Exists(path)) return new Table(def);
            using var fs = File.OpenRead(path);
            return ArrowIo.Read(def, fs);
        }
    }

    /// <summary>The run's first instant (the earliest GPU timeline or host timeline row): instants also show as seconds from it.</summary>
    [ThreadStatic]
    private static long? _runStart;

    public static string Render(string outDir, IReadOnlyDictionary<string, Table>? written = null)
    {
        var tables = new Tables(outDir, written);
        var timeline = tables.Load(FragmentationTimeline.Def);
        var hostTimeline = tables.Load(MemoryTimeline.Def);
        _runStart = RunStart(timeline, hostTimeline);
        var heat = tables.Load(Heatmap.Def);
        var ooms = tables.Load(OomDiagnoses.Def);
        var blame = tables.Load(FragmentationBlame.Def);
        var stacks = tables.Load(StackFramesTable.Def);
        var stats = tables.Load(StatsTable.Def);
        var summaryPath = Path.Combine(outDir, "summary.json");
        var summary = File.Exists(summaryPath) ? JsonNode.Parse(File.ReadAllText(summaryPath)) : null;

        var data = new JsonObject { ["pools"] = GpuSections.Data(timeline, heat, ooms, stacks) };
        // The data block is JSON inside <script>: escaping '<' (and '>', '&') means no trace string can
        // close the element or open a comment, whatever it holds.
        var json = data.ToJsonString().Replace("<", "\\u003c").Replace(">", "\\u003e").Replace("&", "\\u0026");

        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; connect-src 'none'; form-action 'none'; base-uri 'none'\">");
        sb.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        sb.Append("<title>memtrace report</title><style>").Append(Css).Append("</style></head><body>");
        sb.Append("<h1>memtrace report</h1><nav><a href=\"#findings\">findings</a> · <a href=\"#oom\">OOM diagnoses</a> · <a href=\"#whatif\">what-if</a> · <a href=\"#blame\">blame</a> · <a href=\"#gpu\">GPU pools</a> · <a href=\"#host\">host memory</a> · <a href=\"#flags\">flags</a> · <a href=\"#capacity\">capacity</a> · <a href=\"#spin\">epoll spin</a> · <a href=\"#stats\">counters</a></nav>");
        FindingsSection(sb, summary);
        Cards(sb, summary);
        sb.Append("<div class=\"cards\">");
        WhatIfSection.Cards(sb, summary);
        sb.Append("</div>");
        HostSections.Cards(sb, summary);
        // The why before the pictures: each OOM's diagnosis (its row links to the heatmap zoomed around it), what
        // would have avoided it, and the stacks that fragmented the pool; then the pools' heatmaps and timelines.
        GpuSections.Tables(sb, ooms, blame, stacks, s => WhatIfSection.Render(s, tables.Load(WhatIf.Def), tables.Load(AllocatorModelCheck.Def)));
        sb.Append("<h2 id=\"gpu\">GPU pools: address space over time</h2><div id=\"pools\"></div>");
        Section(sb, "gpucap", "GPU capacity", tables.Load(GpuCapacity.Def), [PoolKeyColumns.Pool, GpuCapacity.PeakAllocated, GpuCapacity.PeakReserved, GpuCapacity.Ooms, GpuCapacity.FragmentationOoms, GpuCapacity.DeviceTotal, GpuCapacity.DeviceNeeded, GpuCapacity.DeviceNeededIfCompacted]);
        HostSections.Render(sb, tables, hostTimeline);
        // Counters: the non-zero ones first; the zero rows (one per declared counter) behind a disclosure.
        var nonZero = Enumerable.Range(0, stats.RowCount).Where(i => stats[StatsTable.Value][i] != 0).ToArray();
        var zero = Enumerable.Range(0, stats.RowCount).Where(i => stats[StatsTable.Value][i] == 0).ToArray();
        Section(sb, "stats", "Counters (non-zero)", stats.Permute(nonZero), [StatsTable.StatKey, StatsTable.Severity, StatsTable.Value, StatsTable.Description]);
        sb.Append($"<details><summary>{zero.Length} counters at zero</summary>");
        Section(sb, "stats-zero", "Counters at zero", stats.Permute(zero), [StatsTable.StatKey, StatsTable.Severity, StatsTable.Description]);
        sb.Append("</details>");
        sb.Append("<div id=\"tip\" class=\"tip\" role=\"tooltip\"></div>");
        sb.Append("<script type=\"application/json\" id=\"data\">").Append(json).Append("</script>");
        sb.Append("<script>").Append(ReportScript.Js).Append("</script></body></html>\n");
        return sb.ToString();
    }

    /// <summary>The run's findings (summary.json), worst first, each linking to the rows that show it.</summary>
    private static void FindingsSection(StringBuilder sb, JsonNode? summary)
    {
        sb.Append("<section id=\"findings\"><h2>Findings</h2>");
        if (summary?["findings"] is not JsonArray findings || findings.Count == 0)
        {
            sb.Append("<p class=\"muted\">none: no OOM, no kill, no critical flag, no spin</p></section>");
            return;
        }
        sb.Append("<ol class=\"findings\">");
        foreach (var f in findings)
        {
            var severity = f?["severity"]?.GetValue<string>() ?? "info";
            sb.Append($"<li class=\"f-{E(severity)}\"><a href=\"{E(f?["evidence"]?.GetValue<string>() ?? "#")}\">{E(f?["text"]?.GetValue<string>() ?? "")}</a>");
            if (f?["action"]?.GetValue<string>() is { Length: > 0 } action) sb.Append($"<br><span class=\"action\">→ {E(action)}</span>");
            sb.Append("</li>");
        }
        sb.Append("</ol></section>");
    }

    private static void Cards(StringBuilder sb, JsonNode? summary)
    {
        sb.Append("<div class=\"cards\">");
        var gpu = summary?["gpu"];
        var verdict = gpu?["verdict"]?.GetValue<string>() ?? "no data";
        var cls = verdict == Verdicts.NoOom ? "ok" : "bad";
        var explain = Verdicts.Meaning(verdict);
        sb.Append($"<a class=\"card {cls}\" id=\"gpu-verdict\" href=\"#oom\"><b>GPU verdict: {E(verdict)}</b><span>{E(explain)}</span></a>");
        if (gpu?["pools"] is JsonArray pools)
        {
            foreach (var p in pools)
            {
                var red = p?["end_contiguous_red"]?.GetValue<bool>() == true;
                sb.Append($"<a class=\"card {(red ? "bad" : "ok")}\" href=\"#gpu\"><b>{E(p?["pool"]?.GetValue<string>() ?? "")}: {E(p?["verdict"]?.GetValue<string>() ?? "")}</b>");
                sb.Append($"<span>peak reserved {Gib(p?["peak_reserved_bytes"])} · max frag_rate {p?["max_frag_rate"]?.GetValue<double>():0.000} · end contiguous {p?["end_effective_contiguous_ratio"]?.GetValue<double>():0.000}</span></a>");
            }
        }
        if (summary?["data_loss_and_error_counters"] is JsonObject errs && errs.Count > 0)
            sb.Append($"<a class=\"card bad\" href=\"#stats\"><b>Input problems</b><span>{E(string.Join(", ", errs.Select(kv => $"{kv.Key}={kv.Value}")))}</span></a>");
        sb.Append("</div>");
    }

    private static string Gib(JsonNode? n) => n is null ? "?" : $"{n.GetValue<long>() / (double)(1L << 30):0.00} GiB";

    /// <summary>A section with nothing to show: its title and "none" on one line.</summary>
    internal static void EmptySection(StringBuilder sb, string id, string title, string none = "none") =>
        sb.Append($"<h2 id=\"{id}\" class=\"empty\">{E(title)} <span class=\"muted\">— {E(none)}</span></h2>");

    /// <param name="rowId">When set, row i gets this id, for links to it (a finding to its OOM row or its flag).</param>
    internal static void Section(StringBuilder sb, string id, string title, Table t, ColumnKey[] cols, Func<int, string>? rowId = null)
    {
        if (t.RowCount == 0)
        {
            EmptySection(sb, id, title);
            return;
        }
        sb.Append($"<h2 id=\"{id}\">{E(title)}</h2>");
        // Wide tables scroll inside themselves; the page never scrolls sideways.
        sb.Append("<div class=\"scroll\"><table><tr>");
        foreach (var c in cols) sb.Append($"<th>{E(c.Name)}</th>");
        sb.Append("</tr>");
        for (var i = 0; i < Math.Min(t.RowCount, 500); i++)
        {
            sb.Append(rowId is null ? "<tr>" : $"<tr id=\"{E(rowId(i))}\">");
            foreach (var c in cols)
            {
                var text = c == PoolKeyColumns.Pool ? $"{t[PoolKeyColumns.Pool][i]} cuda:{t[PoolKeyColumns.Device][i]} ({t[PoolKeyColumns.SourceId][i]})" : Cell(t[c], i);
                sb.Append($"<td>{E(text)}</td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</table></div>");
    }

    /// <summary>The earliest ts_ns of the timelines the report already loaded (GPU and host), or null when both are empty.</summary>
    private static long? RunStart(params Table[] timelines)
    {
        long? first = null;
        foreach (var t in timelines)
        {
            if (t.RowCount == 0) continue;
            foreach (var ts in ClockColumns.Ts(t).Values) first = Math.Min(first ?? long.MaxValue, ts);
        }
        return first;
    }

    /// <summary>An instant as UTC and as seconds from the run's start: "2026-03-11 23:00:53.910604 UTC (+0.052 s)".</summary>
    internal static string Instant(long ns)
    {
        var utc = Run.UtcTime.Micros(ns) + " UTC";
        return _runStart is { } t0 ? $"{utc} ({(ns - t0) / 1e9:+0.000;−0.000} s)" : utc;
    }

    private static string Cell(Column c, int i) => c.IsNull(i) ? "" : c switch
    {
        // Instants (UTC ns since 1970) show as dates and seconds from the run's start; other ns figures (lead times, errors) as seconds.
        Int64Column x when c.Def.Unit == "ns" && c.Def.Name != "offset_ns" && x[i] > 100_000_000_000_000_000 => Instant(x[i]),
        Int64Column x when c.Def.Unit == "ns" && c.Def.Name != "offset_ns" => $"{x[i] / 1e9:0.000###} s",
        Int64Column x when c.Def.Unit == "bytes" => $"{x[i].ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} ({Human(x[i])})",
        Int64Column x => x[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
        Float64Column x => x[i].ToString("0.####", System.Globalization.CultureInfo.InvariantCulture),
        StringColumn x => x[i] ?? "",
        BoolColumn x => x[i] ? "true" : "false",
        _ => "",
    };

    internal static string E(string s) => WebUtility.HtmlEncode(s);

    internal static string Human(long bytes) => Run.ByteSize.Format(bytes);

    private const string Css = """
        body{font:14px system-ui,sans-serif;margin:24px auto;max-width:1240px;padding:0 16px;color:#222;overflow-wrap:anywhere}h2.empty{font-size:15px;font-weight:normal;border-bottom:none;margin:10px 0}h1{margin:0 0 6px}
        nav{margin:0 0 14px;font-size:13px}nav a{color:#1f3b73}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
        .cards{display:flex;flex-wrap:wrap;gap:10px;margin:8px 0}.card{display:block;padding:10px 14px;border-radius:6px;text-decoration:none;color:#222;min-width:220px;max-width:560px}
        .card b{display:block;margin-bottom:3px}.ok{background:#e6f4ea;border-left:4px solid #2e7d32}.bad{background:#fde7e4;border-left:4px solid #c62828}.muted{color:#777}ol.findings{padding-left:20px}ol.findings li{margin:4px 0}ol.findings a{color:#222}.f-critical{border-left:4px solid #c62828;padding-left:6px}.f-warning{border-left:4px solid #ef6c00;padding-left:6px}.f-info{border-left:4px solid #1f3b73;padding-left:6px}.action{color:#555;font-size:13px}.scroll{overflow-x:auto;max-width:100%}tr.okrow td{background:#e6f4ea}
        table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 6px;font-size:12px;text-align:left;vertical-align:top}th{background:#f6f6f6}
        .legend{font-size:12px;margin:4px 0}.sw{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:-2px;border:1px solid #bbb}
        .oomkey{color:#d00;margin-left:14px;font-weight:bold}.bar{margin:4px 0;font-size:12px}.bar button{margin-right:10px}
        .wrap{position:relative;width:1000px;max-width:100%}canvas.heatmap,canvas.timeline{display:block;width:1000px;max-width:100%;cursor:crosshair}
        .sel{position:absolute;display:none;border:1px dashed #000;background:rgba(255,255,255,.25);pointer-events:none}
        .ctitle{font-size:12px;margin-top:10px}.pool{margin-bottom:36px}
        .tip{position:absolute;display:none;z-index:10;max-width:520px;background:#fff;border:1px solid #888;border-radius:4px;padding:6px 8px;font-size:12px;box-shadow:0 2px 8px rgba(0,0,0,.2);pointer-events:none}
        .frame{font-family:ui-monospace,monospace;word-break:break-all}ol.frames{margin:2px 0 0 18px;padding:0;font-family:ui-monospace,monospace;font-size:11px;word-break:break-all}
        details summary{cursor:pointer;font-family:ui-monospace,monospace;word-break:break-all}
        """;
}
