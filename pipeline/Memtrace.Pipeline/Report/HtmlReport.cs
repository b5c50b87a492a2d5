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
    public static void Write(string outDir)
    {
        var html = Render(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, "report.html"), html);
    }

    internal static Table Load(string outDir, TableDef def)
    {
        var path = Path.Combine(outDir, "tables", def.Name + ".arrow");
        if (!File.Exists(path)) return new Table(def);
        using var fs = File.OpenRead(path);
        return ArrowIo.Read(def, fs);
    }

    public static string Render(string outDir)
    {
        var timeline = Load(outDir, FragmentationTimeline.Def);
        var heat = Load(outDir, Heatmap.Def);
        var ooms = Load(outDir, OomDiagnoses.Def);
        var blame = Load(outDir, FragmentationBlame.Def);
        var stats = Load(outDir, StatsTable.Def);
        var summaryPath = Path.Combine(outDir, "summary.json");
        var summary = File.Exists(summaryPath) ? JsonNode.Parse(File.ReadAllText(summaryPath)) : null;

        var data = new JsonObject { ["pools"] = new JsonArray() };
        var poolsArr = (JsonArray)data["pools"]!;
        string PoolOf(Table t, int i) => $"{t.Str("pool")[i]} · cuda:{t.I64("device")[i]} · pid {t.I64("pid")[i]} · source {t.Str("source_id")[i]}";
        var keys = Enumerable.Range(0, timeline.RowCount).Select(i => PoolOf(timeline, i))
            .Concat(Enumerable.Range(0, heat.RowCount).Select(i => PoolOf(heat, i))).Distinct().OrderBy(k => k, StringComparer.Ordinal).ToList();
        foreach (var key in keys)
        {
            var tl = Enumerable.Range(0, timeline.RowCount).Where(i => PoolOf(timeline, i) == key).ToList();
            var hm = Enumerable.Range(0, heat.RowCount).Where(i => PoolOf(heat, i) == key).ToList();
            poolsArr.Add(new JsonObject
            {
                ["key"] = key,
                ["t"] = Arr(tl.Select(i => (JsonNode)(timeline.I64("ts_ns")[i] / 1_000_000))),
                ["frag"] = Arr(tl.Select(i => (JsonNode)Math.Round(timeline.F64("frag_rate")[i], 5))),
                ["ecr"] = Arr(tl.Select(i => (JsonNode)Math.Round(timeline.F64("effective_contiguous_ratio")[i], 5))),
                ["reserved"] = Arr(tl.Select(i => (JsonNode)timeline.I64("reserved")[i])),
                ["allocated"] = Arr(tl.Select(i => (JsonNode)timeline.I64("allocated")[i])),
                ["hm_t"] = hm.Count == 0 ? 0 : (int)hm.Max(i => heat.I64("time_bin")[i]) + 1,
                ["hm_a"] = hm.Count == 0 ? 0 : (int)hm.Max(i => heat.I64("addr_bin")[i]) + 1,
                ["hm_state"] = new string(hm.Select(i => heat.Str("state")[i] switch { "allocated" => 'a', "fragmented" => 'g', "free" => 'f', _ => 'u' }).ToArray()),
                ["hm_alloc"] = Arr(hm.Select(i => (JsonNode)Math.Round(heat.F64("allocated_fraction")[i], 3))),
                ["hm_bytes"] = hm.Count == 0 ? 0 : heat.I64("offset_end")[hm[^1]],
            });
        }
        var json = data.ToJsonString().Replace("<", "\\u003c").Replace(">", "\\u003e").Replace("&", "\\u0026");

        var sb = new StringBuilder();
        sb.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">");
        sb.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">");
        sb.Append("<title>memtrace report</title><style>").Append(Css).Append("</style></head><body>");
        sb.Append("<h1>memtrace report</h1>");
        Cards(sb, summary);
        HostSections.Cards(sb, summary);
        sb.Append("<h2 id=\"gpu\">GPU pools</h2><div id=\"pools\"></div>");
        Section(sb, "oom", "OOM diagnoses", ooms, ["pool", "ts_ns", "origin", "request", "free_bytes", "largest_free", "device_free", "verdict", "extra_contiguous_needed"]);
        Section(sb, "blame", "Fragmentation blame (top stacks)", blame, ["pool", "instant", "rank", "top_frame", "fragmented_bytes", "fragments", "live_allocations"]);
        Section(sb, "gpucap", "GPU capacity", Load(outDir, GpuCapacity.Def), ["pool", "peak_allocated", "peak_reserved", "ooms", "fragmentation_ooms", "device_total", "device_needed", "device_needed_if_compacted"]);
        HostSections.Render(sb, outDir);
        Section(sb, "stats", "Counters", stats, ["stat_key", "severity", "value", "description"]);
        sb.Append("<script type=\"application/json\" id=\"data\">").Append(json).Append("</script>");
        sb.Append("<script>").Append(Js).Append("</script></body></html>\n");
        return sb.ToString();
    }

    private static JsonArray Arr(IEnumerable<JsonNode> items) => new(items.ToArray());

    private static void Cards(StringBuilder sb, JsonNode? summary)
    {
        sb.Append("<div class=\"cards\">");
        var gpu = summary?["gpu"];
        var verdict = gpu?["verdict"]?.GetValue<string>() ?? "no data";
        var cls = verdict == "no-oom" ? "ok" : "bad";
        sb.Append($"<a class=\"card {cls}\" href=\"#oom\"><b>GPU</b><span>{E(verdict)}</span></a>");
        if (gpu?["pools"] is JsonArray pools)
        {
            foreach (var p in pools)
            {
                var red = p?["end_contiguous_red"]?.GetValue<bool>() == true;
                sb.Append($"<a class=\"card {(red ? "bad" : "ok")}\" href=\"#gpu\"><b>{E(p?["pool"]?.GetValue<string>() ?? "")}</b>");
                sb.Append($"<span>peak reserved {Gib(p?["peak_reserved_bytes"])} · max frag_rate {p?["max_frag_rate"]?.GetValue<double>():0.000} · end contiguous {p?["end_effective_contiguous_ratio"]?.GetValue<double>():0.000}</span></a>");
            }
        }
        if (summary?["data_loss_and_error_counters"] is JsonObject errs && errs.Count > 0)
            sb.Append($"<a class=\"card bad\" href=\"#stats\"><b>Input problems</b><span>{E(string.Join(", ", errs.Select(kv => $"{kv.Key}={kv.Value}")))}</span></a>");
        sb.Append("</div>");
    }

    private static string Gib(JsonNode? n) => n is null ? "?" : $"{n.GetValue<long>() / (double)(1L << 30):0.00} GiB";

    internal static void Section(StringBuilder sb, string id, string title, Table t, string[] cols)
    {
        sb.Append($"<h2 id=\"{id}\">{E(title)}</h2>");
        if (t.RowCount == 0)
        {
            sb.Append("<p class=\"muted\">none</p>");
            return;
        }
        sb.Append("<table><tr>");
        foreach (var c in cols) sb.Append($"<th>{E(c)}</th>");
        sb.Append("</tr>");
        for (var i = 0; i < Math.Min(t.RowCount, 500); i++)
        {
            sb.Append("<tr>");
            foreach (var c in cols)
            {
                var text = c == "pool" ? $"{t.Str("pool")[i]} cuda:{t.I64("device")[i]} ({t.Str("source_id")[i]})" : Cell(t[c], i);
                sb.Append($"<td>{E(text)}</td>");
            }
            sb.Append("</tr>");
        }
        sb.Append("</table>");
    }

    private static string Cell(Column c, int i) => c.IsNull(i) ? "" : c switch
    {
        // Instants (UTC ns since 1970) show as dates; other ns figures (lead times, errors) as seconds.
        Int64Column x when c.Def.Unit == "ns" && c.Def.Name != "offset_ns" && x[i] > 100_000_000_000_000_000 => DateTimeOffset.FromUnixTimeMilliseconds(x[i] / 1_000_000).AddTicks(x[i] / 100 % 10_000).ToString("yyyy-MM-dd HH:mm:ss.ffffff 'UTC'", System.Globalization.CultureInfo.InvariantCulture),
        Int64Column x when c.Def.Unit == "ns" && c.Def.Name != "offset_ns" => $"{x[i] / 1e9:0.000###} s",
        Int64Column x when c.Def.Unit == "bytes" => $"{x[i].ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} ({Human(x[i])})",
        Int64Column x => x[i].ToString(System.Globalization.CultureInfo.InvariantCulture),
        Float64Column x => x[i].ToString("0.####", System.Globalization.CultureInfo.InvariantCulture),
        StringColumn x => x[i] ?? "",
        BoolColumn x => x[i] ? "true" : "false",
        _ => "",
    };

    internal static string E(string s) => WebUtility.HtmlEncode(s);

    internal static string Human(long bytes) => bytes < 0 ? "−" + Human(bytes == long.MinValue ? long.MaxValue : -bytes) : bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):0.00} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):0.0} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };

    private const string Css = """
        body{font:14px system-ui,sans-serif;margin:24px;color:#222}h1{margin:0 0 12px}
        .cards{display:flex;flex-wrap:wrap;gap:10px}.card{display:block;padding:10px 14px;border-radius:6px;text-decoration:none;color:#222;min-width:220px}
        .card b{display:block}.ok{background:#e6f4ea}.bad{background:#fde7e4}.muted{color:#888}
        table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 6px;font-size:12px;text-align:left}
        canvas{border:1px solid #ccc;display:block;margin:6px 0}.legend span{display:inline-block;width:12px;height:12px;margin:0 4px 0 12px;vertical-align:middle}
        """;

    private const string Js = """
        (function(){
        var d=JSON.parse(document.getElementById('data').textContent);var root=document.getElementById('pools');
        var col={a:'#1f3b73',f:'#d9d9d9',g:'#f28c28',u:'#ffffff'};
        d.pools.forEach(function(p){
          var h=document.createElement('h3');h.textContent=p.key;root.appendChild(h);
          var lg=document.createElement('div');lg.className='legend';
          lg.innerHTML='<span style="background:#1f3b73"></span>allocated<span style="background:#d9d9d9"></span>free<span style="background:#f28c28"></span>fragmented gap (free block smaller than the p50 request)';
          root.appendChild(lg);
          if(p.hm_t>0){var c=document.createElement('canvas');var W=800,H=320;c.width=W;c.height=H;root.appendChild(c);var g=c.getContext('2d');
            var cw=W/p.hm_a,ch=H/p.hm_t;
            for(var t=0;t<p.hm_t;t++)for(var a=0;a<p.hm_a;a++){var s=p.hm_state[t*p.hm_a+a];g.fillStyle=col[s]||'#fff';g.fillRect(a*cw,t*ch,Math.ceil(cw),Math.ceil(ch));}
            var cap=document.createElement('div');cap.className='muted';cap.textContent='x: '+(p.hm_bytes/1073741824).toFixed(2)+' GiB of segments laid end to end in address order; y: time, top to bottom';root.appendChild(cap);
            c.addEventListener('mousemove',function(ev){var r=c.getBoundingClientRect();var a=Math.floor((ev.clientX-r.left)/cw),t=Math.floor((ev.clientY-r.top)/ch);var i=t*p.hm_a+a;
              c.title='time bin '+t+', address bin '+a+': '+({a:'allocated',f:'free',g:'fragmented gap',u:'unmapped'}[p.hm_state[i]])+', '+Math.round(100*p.hm_alloc[i])+'% allocated';});}
          if(p.t.length>1){var c2=document.createElement('canvas');var W2=800,H2=160;c2.width=W2;c2.height=H2;root.appendChild(c2);var g2=c2.getContext('2d');
            var t0=p.t[0],t1=p.t[p.t.length-1]||t0+1;function X(t){return (t-t0)/Math.max(1,t1-t0)*W2;}
            g2.strokeStyle='#c00';g2.setLineDash([4,4]);g2.beginPath();g2.moveTo(0,H2*(1-0.35));g2.lineTo(W2,H2*(1-0.35));g2.stroke();g2.setLineDash([]);
            [['frag','#f28c28'],['ecr','#1f3b73']].forEach(function(s){g2.strokeStyle=s[1];g2.beginPath();p[s[0]].forEach(function(v,i){var x=X(p.t[i]),y=H2*(1-v);if(i)g2.lineTo(x,y);else g2.moveTo(x,y);});g2.stroke();});
            var cap2=document.createElement('div');cap2.className='muted';cap2.textContent='orange: frag_rate; blue: effective_contiguous_ratio; dashed red: 0.35 line';root.appendChild(cap2);}
        });})();
        """;
}
