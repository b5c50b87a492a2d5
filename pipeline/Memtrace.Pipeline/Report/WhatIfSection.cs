using System.Text;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Report;

/// <summary>Under the OOM diagnoses: per pool, whether the allocator model reproduced the trace, and what each configuration would have done.</summary>
internal static class WhatIfSection
{
    public static void Render(StringBuilder sb, Table whatif, Table check)
    {
        const string title = "What would have avoided it: the allocator what-if";
        if (whatif.RowCount == 0)
        {
            HtmlReport.EmptySection(sb, "whatif", title, "no PyTorch allocator trace (or run with --no-whatif)");
            return;
        }
        sb.Append($"<h2 id=\"whatif\">{HtmlReport.E(title)}</h2>");
        var checks = new Dictionary<string, int>();
        for (var i = 0; i < check.RowCount; i++) checks[Key(check, i)] = i;
        var start = 0;
        while (start < whatif.RowCount)
        {
            var key = Key(whatif, start);
            var end = start;
            while (end < whatif.RowCount && Key(whatif, end) == key) end++;
            sb.Append($"<h3>{HtmlReport.E($"{whatif[PoolKeyColumns.Pool][start]} cuda:{whatif[PoolKeyColumns.Device][start]} ({whatif[PoolKeyColumns.SourceId][start]})")}</h3>");
            if (checks.TryGetValue(key, out var c)) sb.Append($"<p>{HtmlReport.E(CheckLine(check, c))}</p>");
            var capacity = whatif[WhatIf.Capacity].Get(start);
            var origin = whatif[WhatIf.CapacityOrigin][start];
            sb.Append($"<p>device capacity {HtmlReport.E(capacity is { } cap ? ByteSize.Format(cap) : "unlimited")} ({HtmlReport.E(Allocators.CapacityOrigins.Describe(origin))}); status {HtmlReport.E(whatif[WhatIf.Status][start] ?? "")}</p>");
            sb.Append("<div class=\"scroll\"><table><tr><th>configuration</th><th>PYTORCH_CUDA_ALLOC_CONF</th><th>OOMs</th><th>first failed request</th><th>avoids the recorded OOM</th><th>peak reserved</th><th>smallest capacity without OOM</th></tr>");
            foreach (var (startName, heading) in new[] { ("trace", "changed at the trace's first event (the layout the recorded run had then)"), ("empty", "in force from an empty allocator (allocations made before the trace replayed first)") })
            {
                var rows = Enumerable.Range(start, end - start).Where(i => whatif[WhatIf.Start][i] == startName).ToList();
                if (rows.Count == 0) continue;
                sb.Append($"<tr><th colspan=\"7\">{HtmlReport.E(heading)}</th></tr>");
                foreach (var i in rows) Row(sb, whatif, i);
            }
            sb.Append("</table></div>");
            start = end;
        }
        sb.Append("<p class=\"muted\">Replayed from the allocator's state at the trace's first event; see docs/whatif.md for what the model covers.</p>");
    }

    /// <summary>A card per pool whose recorded configuration hit an OOM: the configurations that avoid it, or the capacity it would need.</summary>
    public static void Cards(StringBuilder sb, System.Text.Json.Nodes.JsonNode? summary)
    {
        if (summary?["whatif"]?["pools"] is not System.Text.Json.Nodes.JsonArray pools) return;
        foreach (var p in pools)
        {
            if (p?["configs"] is not System.Text.Json.Nodes.JsonArray configs || configs.Count == 0 || configs[0]?["ooms"]?.GetValue<int>() is not > 0) continue;
            var avoiding = (p["avoiding_configs"] as System.Text.Json.Nodes.JsonArray)?.Select(a => a?.GetValue<string>() ?? "").ToList() ?? [];
            var need = configs[0]?["min_capacity_bytes"]?.GetValue<long?>();
            var more = avoiding.Count > 1 ? $" ({avoiding.Count - 1} more in the table)" : "";
            var needs = need.HasValue ? $"; the recorded settings need {ByteSize.Format(need.Value)} of device memory" : "";
            var text = avoiding.Count > 0 ? $"PYTORCH_CUDA_ALLOC_CONF={avoiding[0]} would have avoided it{more}" : $"no configuration in the set avoids it{needs}";
            var verified = p["model_verified"]?.GetValue<bool?>() == true ? "model reproduced the trace" : "model did NOT reproduce the trace";
            var cls = avoiding.Count > 0 ? "ok" : "bad";
            sb.Append($"<a class=\"card {cls}\" href=\"#whatif\"><b>What-if: {HtmlReport.E(p["pool"]?.GetValue<string>() ?? "")}</b><span>{HtmlReport.E(text)} · {HtmlReport.E(verified)}</span></a>");
        }
    }

    private static void Row(StringBuilder sb, Table whatif, int i)
    {
        var avoids = whatif[WhatIf.AvoidsRecordedOom].Get(i);
        var ok = whatif[WhatIf.Ooms][i] == 0;
        sb.Append($"<tr class=\"{(ok ? "okrow" : "")}\"><td>{HtmlReport.E(whatif[WhatIf.Config][i] ?? "")}</td><td><code>{HtmlReport.E(whatif[WhatIf.AllocConf][i] is { Length: > 0 } conf ? conf : "(defaults)")}</code></td>")
          .Append($"<td>{whatif[WhatIf.Ooms][i]}</td><td>{HtmlReport.E(whatif[WhatIf.FirstOomRequest].Get(i) is { } r ? ByteSize.Format(r) : "")}</td>")
          .Append($"<td>{(avoids is null ? "no OOM recorded" : avoids.Value ? "yes" : "no")}</td><td>{HtmlReport.E(ByteSize.Format(whatif[WhatIf.PeakReserved][i]))}</td>")
          .Append($"<td>{HtmlReport.E(whatif[WhatIf.MinCapacity].Get(i) is { } m ? ByteSize.Format(m) : "")}</td></tr>");
    }

    private static string CheckLine(Table t, int i)
    {
        var verified = t[AllocatorModelCheck.Verified][i];
        return $"Model check under the recorded settings{(t[AllocatorModelCheck.SettingsRecorded][i] ? "" : " (not recorded: PyTorch's defaults)")}: " +
            $"{t[AllocatorModelCheck.AddressMatches][i]} of {t[AllocatorModelCheck.Allocations][i]} allocations at the real allocator's address, " +
            $"{t[AllocatorModelCheck.SegmentMatches][i]} of {t[AllocatorModelCheck.SegmentEvents][i]} segment events, {t[AllocatorModelCheck.OomMatches][i]} of {t[AllocatorModelCheck.RecordedOoms][i]} OOMs, " +
            $"{t[AllocatorModelCheck.FinalSegmentMatches][i]} of {t[AllocatorModelCheck.FinalSegments][i]} final segments: " +
            (verified ? "reproduced." : "NOT reproduced; treat the rows below as estimates (import_log lists the differences).");
    }

    private static string Key(Table t, int i) => $"{t[PoolKeyColumns.Host][i]}\u0001{t[PoolKeyColumns.Pid][i]}\u0001{t[PoolKeyColumns.Device][i]}\u0001{t[PoolKeyColumns.Pool][i]}\u0001{t[PoolKeyColumns.SourceId][i]}";
}
