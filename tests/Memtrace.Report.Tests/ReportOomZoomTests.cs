using Microsoft.Playwright;
using Xunit;

namespace Memtrace.Report.Tests;

/// <summary>An OOM's diagnosis row leads to the picture: its link zooms the pool's heatmap around the OOM.</summary>
public sealed class ReportOomZoomTests(ReportRuns runs) : IClassFixture<ReportRuns>
{
    [Fact]
    public async Task An_OOM_row_links_to_the_heatmap_zoomed_around_it()
    {
        var page = await runs.Browser!.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        await page.GotoAsync(new Uri(Path.Combine(runs.Torch, "report.html")).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
        var info = page.Locator("section.pool .bar span.muted").First;
        Assert.StartsWith("overview", await info.InnerTextAsync());
        await page.Locator("tr#oom-se53e5dcf370742a0-6518 a", new() { HasText = "around it" }).ClickAsync();
        Assert.StartsWith("zoomed", await info.InnerTextAsync());
        // The window is 5% of the trace's span either side of the OOM (the OOM is the trace's last entry).
        Assert.Contains("× 0.003 s", await info.InnerTextAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(ReportRuns.Artifacts, "report-torch-1280-oom-zoom.png") });
        await page.CloseAsync();
    }
}
