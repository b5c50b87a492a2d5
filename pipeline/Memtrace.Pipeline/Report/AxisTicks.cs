namespace Memtrace.Pipeline.Report;

/// <summary>
/// Chart axes, in one place: nice tick values, and the unit a byte axis is labelled in. The report's SVG charts and
/// the notebooks' charts call these; the report's script draws its canvas axes with the same switch point, which it
/// gets from here.
/// </summary>
public static class AxisTicks
{
    /// <summary>A byte axis spanning at least this many bytes is labelled in GiB, a shorter one in MiB.</summary>
    public const long GiBFromBytes = 3L << 30;

    public static (long Unit, string Name) ByteUnit(double span) => span >= GiBFromBytes ? (1L << 30, "GiB") : (1L << 20, "MiB");

    /// <summary><see cref="ByteUnit"/> as the report script's <c>byteUnit(span)</c>, which returns [unit, ' name'].</summary>
    public static string ScriptByteUnit
    {
        get
        {
            var ((gib, gibName), (mib, mibName)) = (ByteUnit(GiBFromBytes), ByteUnit(0));
            return $"function byteUnit(span){{return span>={GiBFromBytes}?[{gib},' {gibName}']:[{mib},' {mibName}'];}}";
        }
    }

    /// <summary>About <paramref name="n"/> ticks from <paramref name="lo"/> to <paramref name="hi"/> at 1, 2 or 5 × 10^k steps; none when the range is empty.</summary>
    public static IEnumerable<double> Nice(double lo, double hi, int n)
    {
        var raw = (hi - lo) / n;
        if (!(raw > 0)) yield break;
        var mag = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
        for (var v = Math.Ceiling(lo / step) * step; v <= hi + step * 1e-9; v += step) yield return Math.Abs(v) < step * 1e-9 ? 0 : v;
    }
}
