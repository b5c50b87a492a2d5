using System.Globalization;
using System.Text.RegularExpressions;
using Memtrace.Pipeline.Report;
using Xunit;

namespace Memtrace.Notebooks.Tests;

/// <summary>The report's canvas axes tick where its SVG charts and the notebooks do, in the same byte unit: the script's ticks() and byteUnit() run under node against AxisTicks.</summary>
public sealed partial class AxisTicksScriptTests
{
    public static TheoryData<double, double, int> Ranges() => new()
    {
        { 0, 1, 5 }, { 0, 10, 6 }, { 3, 3, 5 }, { 5, 3, 5 }, { -2.5, 7.25, 5 }, { 0.001, 0.0042, 3 },
        { 1_700_000_000_000, 1_700_000_086_400, 6 }, { 0, 179.811328, 5 }, { 12.5, 3.264217088e3, 3 }, { -1e-9, 1e-9, 4 },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public void The_scripts_ticks_are_the_axis_ticks(double lo, double hi, int n)
    {
        var ticks = Ticks().Match(NodeScript.ReportJs);
        Assert.True(ticks.Success, "the report script's ticks() was not found");
        var r = CultureInfo.InvariantCulture;
        var lines = NodeScript.Lines($"{ticks.Value}console.log(JSON.stringify(ticks({lo.ToString("R", r)},{hi.ToString("R", r)},{n})));");
        var fromScript = lines.Single().Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => double.Parse(v, r));
        Assert.Equal(AxisTicks.Nice(lo, hi, n), fromScript);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1_048_576)]
    [InlineData(3_221_225_471)]
    [InlineData(3_221_225_472)]
    [InlineData(1e13)]
    public void The_scripts_byte_axis_unit_is_the_axis_unit(double span)
    {
        var byteUnit = ByteUnit().Match(NodeScript.ReportJs);
        Assert.True(byteUnit.Success, "the report script's byteUnit() was not found");
        var line = NodeScript.Lines($"{byteUnit.Value}var u=byteUnit({span.ToString("R", CultureInfo.InvariantCulture)});console.log(u[0]+'|'+u[1]);").Single();
        var (unit, name) = AxisTicks.ByteUnit(span);
        Assert.Equal($"{unit}| {name}", line);
    }

    [GeneratedRegex(@"function byteUnit\(span\)\{.*?\}")]
    private static partial Regex ByteUnit();

    [GeneratedRegex(@"function ticks\(lo,hi,n\)\{.*?return out;\}", RegexOptions.Singleline)]
    private static partial Regex Ticks();
}
