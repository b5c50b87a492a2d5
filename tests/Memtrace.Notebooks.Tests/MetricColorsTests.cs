using Memtrace.Pipeline.Report;
using Xunit;

namespace Memtrace.Notebooks.Tests;

/// <summary>A metric looks the same in the report and in a notebook: both draw it in its MetricColors colour.</summary>
public sealed class MetricColorsTests
{
    [Fact]
    public void Frag_rate_is_the_same_colour_in_the_report_script_and_a_notebook_chart()
    {
        Assert.Contains($"['frag','{MetricColors.FragRate}','frag_rate']", ReportScriptText());
        Assert.Contains($"['ecr','{MetricColors.EffectiveContiguousRatio}','effective_contiguous_ratio']", ReportScriptText());
        // Notebook 01 draws frag_rate first: by its index it would take the palette's first colour (navy); by name it keeps the report's.
        var svg = Charts.Lines("t", [1_000_000_000L, 2_000_000_000L], [("frag_rate", [0.1, 0.2]), ("effective_contiguous_ratio", [0.9, 0.8])], "ratio").Markup;
        Assert.Contains($"stroke=\"{MetricColors.FragRate}\"", svg);
        Assert.Contains($"stroke=\"{MetricColors.EffectiveContiguousRatio}\"", svg);
        Assert.NotEqual(MetricColors.FragRate, Charts.Palette[0]);
    }

    private static string ReportScriptText() =>
        (string)typeof(HtmlReport).Assembly.GetType("Memtrace.Pipeline.Report.ReportScript")!.GetField("Js")!.GetValue(null)!;
}
