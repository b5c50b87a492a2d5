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

    /// <summary>
    /// Go 1.5 and 1.6 printed five clock phases (sweep termination, scan, synchronize, mark, mark termination)
    /// and cpu as "st+scan+sync+assist/background/idle+mt", and 1.5 wrote "gc #N":
    /// "gc 1 @0.015s 1%: 0.10+0.26+0.034+0.44+0.13 ms clock, 0.40+0.26+0+0.21/0.37/0.26+0.51 ms cpu, 4->4->0 MB, 5 MB goal, 4 P".
    /// The concurrent phases fold into mark (clock) and background (cpu), so the columns mean the same in every version.
    /// </summary>
    [GeneratedRegex(@"^gc #?(\d+) @(\d+(?:\.\d+)?)s (\d+)%: ([\d.]+)\+([\d.]+)\+([\d.]+)\+([\d.]+)\+([\d.]+) ms clock, ([\d.]+)\+([\d.]+)\+([\d.]+)\+([\d.]+)/([\d.]+)/([\d.]+)\+([\d.]+) ms cpu, (\d+)->(\d+)->(\d+) MB, (\d+) MB goal, (\d+) P( \(forced\))?\s*$")]
    private static partial Regex Go15Pattern();

    /// <summary>True for a line that starts like a gctrace record ("gc N @", or Go 1.5's "gc #N @"), whether or not it parses.</summary>
    public static bool LooksLike(string line) => line.StartsWith("gc ", StringComparison.Ordinal) && line.Contains(" @", StringComparison.Ordinal);

    public static bool TryParse(string line, out GctraceLine? record)
    {
        try
        {
            return TryParseFields(line, out record);
        }
        catch (Exception e) when (e is OverflowException or FormatException)
        {
            // "0.0.047" or a 30-digit MB figure matched the pattern's character classes but is no number
            // (found by the fuzzer): a bad line.
            record = null;
            return false;
        }
    }

    private static bool TryParseFields(string line, out GctraceLine? record)
    {
        record = null;
        var m = Pattern().Match(line);
        if (!m.Success) return TryParseGo15(line, out record);
        double D(int g) => double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        long L(int g) => long.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        record = new GctraceLine(
            L(1), D(2), D(3), D(4), D(5), D(6), D(7), D(8), D(9), D(10), D(11),
            D(12), D(13), D(14), D(15),
            m.Groups[16].Success ? D(16) : null, m.Groups[17].Success ? D(17) : null,
            L(18), m.Groups[19].Success);
        return true;
    }

    private static bool TryParseGo15(string line, out GctraceLine? record)
    {
        record = null;
        var m = Go15Pattern().Match(line);
        if (!m.Success) return false;
        double D(int g) => double.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        long L(int g) => long.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
        record = new GctraceLine(
            L(1), D(2), D(3), D(4), D(5) + D(6) + D(7), D(8),
            D(9), D(12), D(10) + D(11) + D(13), D(14), D(15),
            D(16), D(17), D(18), D(19), null, null, L(20), m.Groups[21].Success);
        return true;
    }
}
