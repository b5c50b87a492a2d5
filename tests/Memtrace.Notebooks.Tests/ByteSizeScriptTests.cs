using System.Text.RegularExpressions;
using Memtrace.Pipeline.Run;
using Xunit;

namespace Memtrace.Notebooks.Tests;

/// <summary>A size reads the same in the report's script as in the tables, the terminal and the notebooks: the script's human() runs under node against ByteSize.Format.</summary>
public sealed partial class ByteSizeScriptTests
{
    [Fact]
    public void The_report_scripts_sizes_are_the_formatters()
    {
        var js = NodeScript.ReportJs;
        var steps = Steps().Match(js);
        var human = Human().Match(js);
        Assert.True(steps.Success && human.Success, "the report script's STEPS and human() were not found");
        long[] sizes = [0, 1, 512, 1023, 1024, 1536, 1_048_575, 1_048_576, 14_963_200, 179_811_328, (1L << 30) - 1, 1L << 30, 3_264_217_088, 5L << 40];
        var lines = NodeScript.Lines($"{steps.Value}{human.Value}console.log([{string.Join(",", sizes)}].map(human).join('\\n'));");
        Assert.Equal(sizes.Select(ByteSize.Format), lines);
    }

    [GeneratedRegex(@"var STEPS=[^;]*;")]
    private static partial Regex Steps();

    [GeneratedRegex(@"function human\(b\)\{.*?return Math\.round\(b\)\+' B';\}")]
    private static partial Regex Human();
}
