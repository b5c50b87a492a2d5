using System.Globalization;
using System.Text.RegularExpressions;

namespace Memtrace.Collectors.Importers.Gctrace;

/// <summary>
/// One GODEBUG=gctrace=1 line, as runtime/mgc.go's gcMarkTermination prints it:
/// "gc 12 @3.020s 1%: 0.015+1.2+0.003 ms clock, 0.12+0.4/1.1/2.0+0.024 ms cpu, 4->5->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 8 P"
/// (Go ≥ 1.18; older runtimes omit the stacks and globals fields), with " (forced)" after runtime.GC().
/// </summary>
public sealed partial record GctraceLine(
    long Gc, double AtSeconds, double CpuPercent,
    double ClockSweepTerm, double ClockMark, double ClockMarkTerm,
    double CpuSweepTerm, double CpuAssist, double CpuBackground, double CpuIdle, double CpuMarkTerm,
    double HeapBefore, double HeapAfter, double HeapLive, double HeapGoal, double? Stacks, double? Globals, long Procs, bool Forced)
{
    [GeneratedRegex(@"^gc (\d+) @(\d+(?:\.\d+)?)s (\d+)%: ([\d.]+)\+([\d.]+)\+([\d.]+) ms clock, ([\d.]+)\+([\d.]+)/([\d.]+)/([\d.]+)\+([\d.]+) ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal, (?:(\d+) MB stacks, (\d+) MB globals, )?(\d+) P( \(forced\))?\s*$")]
    private static partial Regex Pattern();

    /// <summary>True for a line that starts like a gctrace record ("gc N @"), whether or not it parses.</summary>
    public static bool LooksLike(string line) => line.StartsWith("gc ", StringComparison.Ordinal) && line.Contains(" @", StringComparison.Ordinal);

    public static bool TryParse(string line, out GctraceLine? record)
    {
        record = null;
        var m = Pattern().Match(line);
        if (!m.Success) return false;
        double D(int g) => double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        long L(int g) => long.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        record = new GctraceLine(
            L(1), D(2), D(3), D(4), D(5), D(6), D(7), D(8), D(9), D(10), D(11),
            D(12), D(13), D(14), D(15),
            m.Groups[16].Success ? D(16) : null, m.Groups[17].Success ? D(17) : null,
            L(18), m.Groups[19].Success);
        return true;
    }
}
