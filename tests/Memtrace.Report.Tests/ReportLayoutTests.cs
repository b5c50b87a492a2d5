using Microsoft.Playwright;
using Xunit;

namespace Memtrace.Report.Tests;

/// <summary>
/// The report at a 1280-pixel window, as a person on a laptop opens it: the findings at the top without
/// scrolling, no horizontal page scroll (wide tables scroll inside themselves), the OOM finding linking to its
/// diagnosis row, sections with nothing to show folded to one line. Screenshots go to out/test-artifacts/.
/// </summary>
public sealed class ReportLayoutTests(ReportRuns runs) : IClassFixture<ReportRuns>
{
    private async Task<IPage> Open(string outDir)
    {
        var page = await runs.Browser!.NewPageAsync(new() { ViewportSize = new() { Width = 1280, Height = 800 } });
        await page.GotoAsync(new Uri(Path.Combine(outDir, "report.html")).AbsoluteUri, new() { WaitUntil = WaitUntilState.Load });
        return page;
    }

    public static TheoryData<string> Reports() => new(["sample", "torch"]);

    private string Dir(string which) => which == "sample" ? runs.Sample : runs.Torch;

    [Theory]
    [MemberData(nameof(Reports))]
    public async Task No_horizontal_page_scroll_at_1280_pixels(string which)
    {
        var page = await Open(Dir(which));
        await page.ScreenshotAsync(new() { Path = Path.Combine(ReportRuns.Artifacts, $"report-{which}-1280.png") });
        await page.ScreenshotAsync(new() { Path = Path.Combine(ReportRuns.Artifacts, $"report-{which}-1280-full.png"), FullPage = true });
        var (scroll, client) = (await page.EvaluateAsync<int>("document.documentElement.scrollWidth"), await page.EvaluateAsync<int>("document.documentElement.clientWidth"));
        var wide = await page.EvaluateAsync<string[]>("[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)");
        Assert.True(scroll <= client, $"page is {scroll} px wide in a {client} px window; too wide: {string.Join(", ", wide)}");
        await page.CloseAsync();
    }

    [Fact]
    public async Task The_findings_are_visible_without_scrolling_and_the_OOM_one_links_to_its_diagnosis_row()
    {
        var page = await Open(runs.Torch);
        var first = page.Locator("#findings li").First;
        var box = await first.BoundingBoxAsync();
        Assert.NotNull(box);
        Assert.True(box!.Y + box.Height <= 800, $"the first finding ends at {box.Y + box.Height} px, below the 800 px window");
        Assert.Contains("GPU OOM", await first.InnerTextAsync());
        var href = await first.Locator("a").GetAttributeAsync("href");
        Assert.Equal("#oom-se53e5dcf370742a0-6518", href);
        await first.Locator("a").ClickAsync();
        var row = page.Locator("tr#oom-se53e5dcf370742a0-6518");
        Assert.Contains("fragmentation", await row.InnerTextAsync());
        // Every time shows as UTC and as seconds from the run's start (the OOM is the trace's last entry, 0.052 s in).
        Assert.Contains("2026-03-11 23:00:53.910604 UTC (+0.052 s)", await row.InnerTextAsync());
        Assert.True(await row.IsVisibleAsync());
        var rowBox = await row.BoundingBoxAsync();
        Assert.True(rowBox!.Y >= 0 && rowBox.Y < 800, "the link scrolled the OOM row into view");
        await page.CloseAsync();
    }

    [Fact]
    public async Task A_section_with_nothing_to_show_is_one_line()
    {
        // The torch run has no host captures: its host sections have nothing to show.
        var page = await Open(runs.Torch);
        var empty = page.Locator("h2.empty");
        Assert.True(await empty.CountAsync() >= 4, "the host sections of a GPU-only run fold");
        foreach (var h in await empty.AllAsync())
        {
            var box = await h.BoundingBoxAsync();
            Assert.True(box!.Height < 40, $"'{await h.InnerTextAsync()}' takes {box.Height} px");
            Assert.Contains(" — ", await h.InnerTextAsync()); // the title, then why there is nothing: "none", "no workload with /proc samples"
            Assert.Equal(0, await h.Locator("xpath=following-sibling::*[1][self::table or self::div[contains(@class,'scroll')]]").CountAsync());
        }
        await page.CloseAsync();
    }
}
