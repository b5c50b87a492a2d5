using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Report;

/// <summary>
/// The GPU half of report.html. Per pool it embeds, as compact JSON for the page's script: every heatmap
/// level (states and allocated fractions as one character per cell, the top stack of each cell run-length
/// encoded), the timeline series (min and max kept per drawn bucket, so a spike is never averaged away),
/// the OOM instants, and the frames of the stacks the cells point at. The tables below the charts are
/// plain escaped HTML.
/// </summary>
internal static class GpuSections
{
    /// <summary>Timeline buckets drawn per pool; each keeps the row of its min and of its max.</summary>
    private const int TimelineBuckets = 1200;
    private const int MaxFrames = 16;
    private const int MaxFrameChars = 240;

    public const string States = "afgu"; // allocated, free, fragmented gap, unmapped

    private static string Label(Table t, int i) => Label(PoolKeyCells.Of(t).At(i));

    /// <summary>A pool as the page names it.</summary>
    private static string Label(PoolKey k) =>
        $"{k.Pool} · cuda:{k.Device}{(k.Host.Length > 0 ? $" · {k.Host}" : "")}{(k.Pid != 0 ? $" · pid {k.Pid}" : "")} · source {k.SourceId}";

    public static JsonArray Data(Table timeline, Table heat, Table ooms, Table stacks)
    {
        var frames = new Dictionary<long, (string Top, IReadOnlyList<string> Frames)>();
        for (var i = 0; i < stacks.RowCount; i++) frames[stacks[StackFramesTable.StackId][i]] = (stacks[StackFramesTable.TopFrame][i] ?? "", stacks[StackFramesTable.Frames][i]);
        var tlRows = Group(timeline);
        var hmRows = Group(heat);
        var oomRows = Group(ooms);
        var pools = new JsonArray();
        foreach (var key in tlRows.Keys.Union(hmRows.Keys).Order(StringComparer.Ordinal))
        {
            var tl = tlRows.GetValueOrDefault(key) ?? [];
            var hm = hmRows.GetValueOrDefault(key) ?? [];
            var om = oomRows.GetValueOrDefault(key) ?? [];
            var (t0, t1) = TimeRange(heat, hm, timeline, tl);
            var stackIndex = new Dictionary<long, int>();
            var pool = new JsonObject
            {
                ["key"] = key,
                ["anchor"] = "pool-" + pools.Count,
                ["t0ms"] = t0 / 1e6,
                ["spanMs"] = (t1 - t0) / 1e6,
                ["levels"] = Levels(heat, hm, t0, stackIndex),
                ["ooms"] = new JsonArray(om.Select(i => (JsonNode)new JsonObject
                {
                    ["t"] = Ms(ooms[OomDiagnoses.TsNs][i] - t0),
                    // Its row's id in the OOM table, which gets a link that zooms this heatmap around it.
                    ["rowId"] = Run.Findings.OomAnchor(ooms[PoolKeyColumns.SourceId][i] ?? "", ooms[OomDiagnoses.Seq][i]),
                    ["request"] = ooms[OomDiagnoses.Request][i],
                    ["verdict"] = ooms[OomDiagnoses.Verdict][i],
                }).ToArray()),
                ["tl"] = Timeline(timeline, tl, t0),
            };
            pool["stacks"] = new JsonArray(stackIndex.OrderBy(kv => kv.Value).Select(kv => (JsonNode)Stack(kv.Key, frames)).ToArray());
            pools.Add(pool);
        }
        return pools;
    }

    /// <summary>
    /// The pool's replay window. The heatmap's bins split it evenly and each is stamped at its end
    /// (HeatmapSampler: ts = t0 + span·(b+1)/bins), so two stamps give t0 and the span exactly; without a
    /// heatmap, the timeline's extent.
    /// </summary>
    private static (long T0, long T1) TimeRange(Table heat, List<int> hm, Table timeline, List<int> tl)
    {
        Int64Column level = heat[Heatmap.Level], addrBin = heat[Heatmap.AddrBin], timeBin = heat[Heatmap.TimeBin], tsNs = heat[Heatmap.TsNs];
        var level0 = hm.Where(i => level[i] == 0 && addrBin[i] == 0).ToList();
        if (level0.Count >= 2)
        {
            var bins = level0.Count;
            var first = tsNs[level0.MinBy(i => timeBin[i])];
            var last = tsNs[level0.MaxBy(i => timeBin[i])];
            var span = (long)Math.Round((double)(last - first) * bins / (bins - 1));
            return (last - span, last);
        }
        var times = tl.Select(i => timeline[FragmentationTimeline.TsNs][i]).Concat(hm.Select(i => tsNs[i])).ToList();
        return times.Count == 0 ? (0, 0) : (times.Min(), times.Max());
    }

    /// <summary>Row indices by pool. A result table is sorted by its pool key, so the key is formatted only where it
    /// changes (formatting it for each of a small run's 96,000 heatmap rows was 4% of the run).</summary>
    private static Dictionary<string, List<int>> Group(Table t)
    {
        var groups = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var keys = PoolKeyCells.Of(t);
        (PoolKey Key, List<int> Rows)? current = null;
        for (var i = 0; i < t.RowCount; i++)
        {
            var key = keys.At(i);
            if (current?.Key != key)
            {
                var label = Label(key);
                if (!groups.TryGetValue(label, out var rows)) groups[label] = rows = [];
                current = (key, rows);
            }
            current.Value.Rows.Add(i);
        }
        return groups;
    }

    private static double Ms(long ns) => Math.Round(ns / 1e6, 3);

    private static JsonObject Stack(long id, Dictionary<long, (string Top, IReadOnlyList<string> Frames)> frames)
    {
        var (top, all) = frames.GetValueOrDefault(id, ("(frames not recorded)", []));
        return new JsonObject
        {
            ["id"] = id.ToString("x16", CultureInfo.InvariantCulture),
            ["top"] = Cut(top),
            ["frames"] = new JsonArray(all.Take(MaxFrames).Select(f => (JsonNode)JsonValue.Create(Cut(f))!).ToArray()),
            ["more"] = Math.Max(0, all.Count - MaxFrames),
        };
    }

    private static string Cut(string s) => s.Length <= MaxFrameChars ? s : s[..(MaxFrameChars - 1)] + "…";

    private static JsonArray Levels(Table heat, List<int> rows, long t0, Dictionary<long, int> stackIndex)
    {
        var levels = new JsonArray();
        // Columns bound once: a name lookup per cell was most of this loop on a small run's 96,000 cells.
        Int64Column levelOf = heat[Heatmap.Level], timeBin = heat[Heatmap.TimeBin], addrBin = heat[Heatmap.AddrBin], topStack = heat[Heatmap.TopStackId],
            tsNs = heat[Heatmap.TsNs], offsetStart = heat[Heatmap.OffsetStart], offsetEnd = heat[Heatmap.OffsetEnd], addressStart = heat[Heatmap.AddressStart];
        var stateOf = heat[Heatmap.State];
        var allocated = heat[Heatmap.AllocatedFraction];
        foreach (var level in rows.GroupBy(i => levelOf[i]).OrderBy(g => g.Key))
        {
            var cells = level.ToList();
            var tb = (int)cells.Max(i => timeBin[i]) + 1;
            var ab = (int)cells.Max(i => addrBin[i]) + 1;
            var state = new char[tb * ab];
            var alloc = new char[tb * ab];
            var stack = new int[tb * ab];
            Array.Fill(state, 'u');
            Array.Fill(alloc, 'A');
            Array.Fill(stack, -1);
            var ts = new double[tb];
            var off = new long[ab + 1];
            var addr = new long[ab];
            foreach (var i in cells)
            {
                var (t, a) = ((int)timeBin[i], (int)addrBin[i]);
                var c = t * ab + a;
                state[c] = stateOf[i] switch { "allocated" => 'a', "free" => 'f', "fragmented" => 'g', _ => 'u' };
                alloc[c] = (char)('A' + (int)Math.Round(Math.Clamp(allocated[i], 0, 1) * 20));
                if (topStack.Get(i) is { } sid)
                {
                    if (!stackIndex.TryGetValue(sid, out var si)) stackIndex[sid] = si = stackIndex.Count;
                    stack[c] = si;
                }
                ts[t] = Ms(tsNs[i] - t0);
                off[a] = offsetStart[i];
                off[a + 1] = offsetEnd[i];
                addr[a] = addressStart[i];
            }
            levels.Add(new JsonObject
            {
                ["tb"] = tb,
                ["ab"] = ab,
                ["ts"] = new JsonArray(ts.Select(v => (JsonNode)v).ToArray()),
                ["off"] = new JsonArray(off.Select(v => (JsonNode)v).ToArray()),
                ["addr"] = new JsonArray(addr.Select(v => (JsonNode)v).ToArray()),
                ["state"] = new string(state),
                ["alloc"] = new string(alloc),
                ["stack"] = RunLength(stack),
            });
        }
        return levels;
    }

    /// <summary>[value, count, value, count, …]: neighbouring cells mostly share their top stack.</summary>
    private static JsonArray RunLength(int[] values)
    {
        var runs = new JsonArray();
        for (var i = 0; i < values.Length;)
        {
            var j = i;
            while (j < values.Length && values[j] == values[i]) j++;
            runs.Add(values[i]);
            runs.Add(j - i);
            i = j;
        }
        return runs;
    }

    private static readonly (string Name, ColumnKey Column)[] Series =
    [
        ("frag", FragmentationTimeline.FragRate), ("ecr", FragmentationTimeline.EffectiveContiguousRatio), ("ent", FragmentationTimeline.EntropyLog2),
        ("u50", FragmentationTimeline.UnusableP50), ("u99", FragmentationTimeline.UnusableP99), ("res", FragmentationTimeline.Reserved), ("alc", FragmentationTimeline.Allocated),
    ];

    /// <summary>The timeline thinned to at most 2 × TimelineBuckets rows: in each bucket, the rows holding each series' extremes.</summary>
    private static JsonObject Timeline(Table t, List<int> rows, long t0)
    {
        var series = Series.Select(s => (s.Name, Column: t[s.Column])).ToArray();
        var keep = new SortedSet<int>();
        var per = Math.Max(1, (rows.Count + TimelineBuckets - 1) / TimelineBuckets);
        for (var b = 0; b < rows.Count; b += per)
        {
            var bucket = rows.GetRange(b, Math.Min(per, rows.Count - b));
            if (per == 1) { keep.Add(bucket[0]); continue; }
            foreach (var (_, col) in series)
            {
                keep.Add(bucket.MinBy(i => Value(col, i)));
                keep.Add(bucket.MaxBy(i => Value(col, i)));
            }
        }
        var chosen = keep.ToList();
        var o = new JsonObject { ["t"] = new JsonArray(chosen.Select(i => (JsonNode)Ms(t[FragmentationTimeline.TsNs][i] - t0)).ToArray()) };
        foreach (var (name, col) in series)
            o[name] = new JsonArray(chosen.Select(i => (JsonNode)Math.Round(Value(col, i), 6)).ToArray());
        return o;
    }

    private static double Value(Column column, int row) => column switch
    {
        Float64Column f => f[row],
        Int64Column l => l[row],
        _ => 0,
    };

    /// <summary>The OOM table and the blame table, with every frame of each blamed stack behind a disclosure.</summary>
    public static void Tables(StringBuilder sb, Table ooms, Table blame, Table stacks, Action<StringBuilder>? afterOoms = null)
    {
        HtmlReport.Section(sb, "oom", "OOM diagnoses", ooms,
            [PoolKeyColumns.Pool, OomDiagnoses.TsNs, OomDiagnoses.Origin, OomDiagnoses.Request, OomDiagnoses.FreeBytes, OomDiagnoses.LargestFree, OomDiagnoses.DeviceFree, OomDiagnoses.Verdict, OomDiagnoses.ExtraContiguousNeeded], rowId: i => Run.Findings.OomAnchor(ooms[PoolKeyColumns.SourceId][i] ?? "", ooms[OomDiagnoses.Seq][i]));
        afterOoms?.Invoke(sb);
        const string title = "Fragmentation blame: the stacks whose live blocks border small free fragments";
        if (blame.RowCount == 0)
        {
            HtmlReport.EmptySection(sb, "blame", title);
            return;
        }
        sb.Append($"<h2 id=\"blame\">{HtmlReport.E(title)}</h2>");
        var frames = new Dictionary<long, IReadOnlyList<string>>();
        for (var i = 0; i < stacks.RowCount; i++) frames[stacks[StackFramesTable.StackId][i]] = stacks[StackFramesTable.Frames][i];
        sb.Append("<div class=\"scroll\"><table><tr><th>pool</th><th>instant</th><th>rank</th><th>stack (click for frames)</th><th>fragmented bytes</th><th>fragments</th><th>live allocations</th></tr>");
        // Real stacks first: a fragment bordered by allocations whose stack was not recorded names no code to change.
        var order = Enumerable.Range(0, blame.RowCount).OrderBy(i => blame[FragmentationBlame.StackId].Get(i) is null or 0 || blame[FragmentationBlame.TopFrame][i] == Run.Findings.NoStack ? 1 : 0).ThenBy(i => i).Take(500);
        foreach (var i in order)
        {
            var all = blame[FragmentationBlame.StackId].Get(i) is { } id ? frames.GetValueOrDefault(id) ?? [] : [];
            sb.Append("<tr><td>").Append(HtmlReport.E(Label(blame, i))).Append("</td><td>").Append(HtmlReport.E(blame[FragmentationBlame.Instant][i] ?? ""))
              .Append("</td><td>").Append(blame[FragmentationBlame.Rank][i]).Append("</td><td><details><summary>")
              .Append(HtmlReport.E(blame[FragmentationBlame.TopFrame][i] ?? "")).Append("</summary><ol class=\"frames\">");
            foreach (var f in all) sb.Append("<li>").Append(HtmlReport.E(f)).Append("</li>");
            if (all.Count == 0) sb.Append("<li class=\"muted\">no frames recorded</li>");
            sb.Append("</ol></details></td><td>").Append(HtmlReport.E(HtmlReport.Human(blame[FragmentationBlame.FragmentedBytes][i])))
              .Append("</td><td>").Append(blame[FragmentationBlame.Fragments][i]).Append("</td><td>").Append(blame[FragmentationBlame.LiveAllocations][i]).Append("</td></tr>");
        }
        sb.Append("</table></div>");
    }
}
