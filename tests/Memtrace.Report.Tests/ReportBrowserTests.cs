using System.Globalization;
using System.Text.Json;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
using Microsoft.Playwright;
using Xunit;

namespace Memtrace.Report.Tests;

/// <summary>
/// report.html opened from disk in headless Chromium: what a person sees the morning after. Every check reads
/// the page (DOM, canvas pixels, events) and compares it with the tables the report was made from.
/// </summary>
public sealed class ReportBrowserTests(ReportRuns runs) : IClassFixture<ReportRuns>
{
    private sealed record Opened(IPage Page, List<string> Errors, List<string> Requests, List<string> Dialogs);

    private async Task<Opened> Open(string outDir)
    {
        var page = await runs.Browser!.NewPageAsync(new() { ViewportSize = new() { Width = 1300, Height = 1000 } });
        var opened = new Opened(page, [], [], []);
        page.Console += (_, m) => { if (m.Type is "error" or "warning") opened.Errors.Add($"console {m.Type}: {m.Text}"); };
        page.PageError += (_, e) => opened.Errors.Add("page error: " + e);
        page.Request += (_, r) => opened.Requests.Add(r.Url);
        page.Dialog += async (_, d) => { opened.Dialogs.Add(d.Message); await d.DismissAsync(); };
        await page.GotoAsync(new Uri(Path.Combine(outDir, "report.html")).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
        return opened;
    }

    private static Table Load(string outDir, TableDef def)
    {
        using var fs = File.OpenRead(Path.Combine(outDir, "tables", def.Name + ".arrow"));
        return ArrowIo.Read(def, fs);
    }

    public static TheoryData<string> Reports() => new(["sample", "torch"]);

    private string Dir(string which) => which == "sample" ? runs.Sample : runs.Torch;

    [Theory]
    [MemberData(nameof(Reports))]
    public async Task Opens_from_disk_with_no_console_errors_and_no_network_requests(string which)
    {
        var o = await Open(Dir(which));
        await o.Page.ScreenshotAsync(new() { Path = Path.Combine(ReportRuns.Artifacts, $"report-{which}-top.png") });
        await o.Page.ScreenshotAsync(new() { Path = Path.Combine(ReportRuns.Artifacts, $"report-{which}-full.png"), FullPage = true });
        Assert.Empty(o.Errors);
        var report = new Uri(Path.Combine(Dir(which), "report.html")).AbsoluteUri;
        Assert.Equal([report], o.Requests);
        var csp = await o.Page.GetAttributeAsync("meta[http-equiv='Content-Security-Policy']", "content");
        Assert.Contains("default-src 'none'", csp);
        Assert.True(new FileInfo(Path.Combine(Dir(which), "report.html")).Length < 20L << 20, "report.html stays under 20 MB");
        await o.Page.CloseAsync();
    }

    [Theory]
    [MemberData(nameof(Reports))]
    public async Task Heatmap_canvas_shows_the_three_colour_classes_in_the_tables_proportions(string which)
    {
        var o = await Open(Dir(which));
        // Pixels of each seed colour inside each pool's plot area, counted in the page.
        var counts = await o.Page.EvaluateAsync<JsonElement>("""
            () => Array.from(document.querySelectorAll('canvas.heatmap')).map(c => {
              const [x, y, w, h] = c.dataset.plot.split(',').map(Number);
              const d = c.getContext('2d').getImageData(x, y, w, h).data;
              const n = {a: 0, f: 0, g: 0, u: 0, oom: 0, other: 0};
              for (let i = 0; i < d.length; i += 4) {
                const k = d[i] + ',' + d[i + 1] + ',' + d[i + 2];
                if (k === '31,59,115') n.a++; else if (k === '217,217,217') n.f++; else if (k === '242,140,40') n.g++; else if (k === '255,255,255') n.u++; else if (k === '221,0,0') n.oom++; else n.other++;
              }
              return n;
            })
            """);
        var heat = Load(Dir(which), Heatmap.Def);
        var pools = Enumerable.Range(0, heat.RowCount).Where(i => heat[Heatmap.Level][i] == 0)
            .GroupBy(i => $"{heat[PoolKeyColumns.SourceId][i]}/{heat[PoolKeyColumns.Device][i]}/{heat[PoolKeyColumns.Pool][i]}").OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        Assert.Equal(pools.Count, counts.GetArrayLength());
        var seen = new HashSet<string>();
        for (var p = 0; p < pools.Count; p++)
        {
            var c = counts[p];
            // The OOM marker (#d00) is drawn over the cells; everything else is one of the four classes.
            double total = new[] { "a", "f", "g", "u", "other" }.Sum(k => c.GetProperty(k).GetInt32());
            Assert.True(c.GetProperty("other").GetInt32() / total < 0.002, $"pool {p}: {c} has pixels outside the four classes");
            foreach (var (state, key) in new[] { ("allocated", "a"), ("free", "f"), ("fragmented", "g"), ("unmapped", "u") })
            {
                var expected = pools[p].Count(i => heat[Heatmap.State][i] == state) / (double)pools[p].Count();
                var drawn = c.GetProperty(key).GetInt32() / total;
                Assert.True(Math.Abs(expected - drawn) < 0.03, $"pool {p} {state}: table {expected:P1}, canvas {drawn:P1}");
                if (drawn > 0) seen.Add(key);
            }
        }
        Assert.Superset(new HashSet<string> { "a", "f", "g" }, seen);
        await o.Page.CloseAsync();
    }

    [Fact]
    public async Task Verdict_cards_say_what_the_summary_says()
    {
        var o = await Open(runs.Sample);
        using var summary = JsonDocument.Parse(File.ReadAllText(Path.Combine(runs.Sample, "summary.json")));
        var verdict = summary.RootElement.GetProperty("gpu").GetProperty("verdict").GetString()!;
        Assert.Equal("fragmentation-oom", verdict);
        Assert.Contains($"GPU verdict: {verdict}", await o.Page.InnerTextAsync("#gpu-verdict"));
        var cards = await o.Page.Locator(".card").AllInnerTextsAsync();
        foreach (var w in summary.RootElement.GetProperty("host").GetProperty("workloads").EnumerateArray())
        {
            var kills = w.GetProperty("oom_kills").GetInt64();
            var card = Assert.Single(cards, c => c.StartsWith($"pid {w.GetProperty("pid").GetInt64()} ", StringComparison.Ordinal));
            Assert.Contains(kills > 0 ? $"OOM-killed {kills}×" : "not OOM-killed", card);
        }
        await o.Page.CloseAsync();
    }

    [Fact]
    public async Task Hover_shows_time_address_state_and_the_top_stack_of_the_cell()
    {
        var o = await Open(runs.Torch);
        var heat = Load(runs.Torch, Heatmap.Def);
        var stacks = Load(runs.Torch, StackFramesTable.Def);
        var tops = Enumerable.Range(0, stacks.RowCount).ToDictionary(i => stacks[StackFramesTable.StackId][i], i => stacks[StackFramesTable.TopFrame][i]!);
        var level0 = Enumerable.Range(0, heat.RowCount).Where(i => heat[Heatmap.Level][i] == 0).ToList();
        int tb = (int)level0.Max(i => heat[Heatmap.TimeBin][i]) + 1, ab = (int)level0.Max(i => heat[Heatmap.AddrBin][i]) + 1;
        // A cell well inside an allocated region: its neighbours are allocated too, so the pointer lands in it.
        var states = level0.ToDictionary(i => (heat[Heatmap.TimeBin][i], heat[Heatmap.AddrBin][i]), i => heat[Heatmap.State][i]);
        var cell = level0.First(i => heat[Heatmap.State][i] == "allocated" && heat[Heatmap.TopStackId].Get(i) is { } s && tops.ContainsKey(s)
            && new[] { (-1, 0), (1, 0), (0, -1), (0, 1) }.All(d => states.GetValueOrDefault((heat[Heatmap.TimeBin][i] + d.Item1, heat[Heatmap.AddrBin][i] + d.Item2)) == "allocated"));
        var canvas = o.Page.Locator("canvas.heatmap").First;
        await canvas.ScrollIntoViewIfNeededAsync();
        var box = (await canvas.BoundingBoxAsync())!;
        var plot = (await canvas.GetAttributeAsync("data-plot"))!.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var scale = box.Width / 1000.0;
        var x = plot[0] + (heat[Heatmap.TimeBin][cell] + 0.5) / tb * plot[2];
        var y = plot[1] + (1 - (heat[Heatmap.AddrBin][cell] + 0.5) / ab) * plot[3];
        await o.Page.Mouse.MoveAsync((float)(box.X + x * scale), (float)(box.Y + y * scale));
        var tip = o.Page.Locator("#tip");
        await tip.WaitForAsync(new() { State = WaitForSelectorState.Visible, Timeout = 5000 });
        var text = await tip.InnerTextAsync();
        Assert.StartsWith("allocated", text);
        Assert.Contains("address 0x" + heat[Heatmap.AddressStart][cell].ToString("x", CultureInfo.InvariantCulture), text);
        Assert.Contains(DateTimeOffset.UnixEpoch.AddTicks(heat[Heatmap.TsNs][cell] / 100).ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture) + " UTC", text);
        Assert.Contains(tops[heat[Heatmap.TopStackId][cell]], text);
        await o.Page.ScreenshotAsync(new() { Path = Path.Combine(ReportRuns.Artifacts, "report-torch-hover.png") });
        await o.Page.Mouse.MoveAsync(1, 1);
        await tip.WaitForAsync(new() { State = WaitForSelectorState.Hidden, Timeout = 5000 });
        await o.Page.CloseAsync();
    }

    [Fact]
    public async Task Drag_zooms_in_and_redraws_from_the_finer_level()
    {
        var o = await Open(runs.Torch);
        var canvas = o.Page.Locator("canvas.heatmap").First;
        await canvas.ScrollIntoViewIfNeededAsync();
        var box = (await canvas.BoundingBoxAsync())!;
        var info = o.Page.Locator("section.pool .bar .muted").First;
        Assert.Contains("overview · level 0", await info.InnerTextAsync());
        var before = await canvas.ScreenshotAsync();
        await o.Page.Mouse.MoveAsync(box.X + box.Width * 0.4f, box.Y + box.Height * 0.2f);
        await o.Page.Mouse.DownAsync();
        await o.Page.Mouse.MoveAsync(box.X + box.Width * 0.7f, box.Y + box.Height * 0.6f, new() { Steps = 8 });
        await o.Page.Mouse.UpAsync();
        Assert.Contains("zoomed · level 1", await info.InnerTextAsync());
        Assert.NotEqual(before, await canvas.ScreenshotAsync());
        await o.Page.ScreenshotAsync(new() { Path = Path.Combine(ReportRuns.Artifacts, "report-torch-zoomed.png") });
        await o.Page.Locator("section.pool .bar button").First.ClickAsync();
        Assert.Contains("overview · level 0", await info.InnerTextAsync());
        await o.Page.CloseAsync();
    }

    [Fact]
    public async Task A_script_payload_in_trace_strings_never_runs()
    {
        var html = File.ReadAllText(Path.Combine(runs.Hostile, "report.html"));
        Assert.DoesNotContain(ReportRuns.Payload, html); // never raw: escaped in HTML, \u003c in the JSON
        var o = await Open(runs.Hostile);
        // Poke every place the strings surface: the tooltip over every column of the heatmap, and every frame list.
        var canvas = o.Page.Locator("canvas.heatmap").First;
        var box = (await canvas.BoundingBoxAsync())!;
        for (var f = 0.15f; f < 0.95f; f += 0.1f) await o.Page.Mouse.MoveAsync(box.X + box.Width * f, box.Y + box.Height * 0.5f);
        foreach (var d in await o.Page.Locator("details summary").AllAsync()) await d.ClickAsync();
        Assert.Empty(o.Dialogs);
        Assert.Empty(o.Errors);
        Assert.Equal(0, await o.Page.Locator("img").CountAsync());
        Assert.Equal(2, await o.Page.Locator("script").CountAsync());
        var text = await o.Page.InnerTextAsync("body");
        Assert.Contains(ReportRuns.Payload + " at evil.py:1", text); // shown as text, verbatim
        Assert.Contains("main at <b>app</b>.py:2", text);
        await o.Page.ScreenshotAsync(new() { Path = Path.Combine(ReportRuns.Artifacts, "report-hostile.png"), FullPage = true });
        await o.Page.CloseAsync();
    }
}
