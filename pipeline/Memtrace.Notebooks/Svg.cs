using System.Globalization;
using System.Net;
using System.Text;
using Memtrace.Pipeline.Report;
using Memtrace.Schemas.IO;

namespace Memtrace.Notebooks;

/// <summary>A small inline chart: Jupyter shows the markup, a twin saves it as a file.</summary>
public sealed record Svg(string Title, string Markup)
{
    public void Save(string path) => AtomicFile.WriteAllText(path, Markup);
    public override string ToString() => $"[chart: {Title}]";
}

/// <summary>One line of a chart: y values over x values (same length; null y leaves a gap).</summary>
public sealed record Series(string Name, double[] X, double?[] Y, string Color);

/// <summary>
/// Line charts as plain SVG with axes, ticks and a legend. Display only: the values come from result
/// tables as they are.
/// </summary>
public static class Charts
{
    public static readonly string[] Palette = ["#1f3b73", "#f28c28", "#2a9d8f", "#c0392b", "#7570b3", "#666666"];

    /// <summary>Lines over time: x is an instant column in UTC ns, shown as seconds from the first instant.</summary>
    public static Svg Lines(string title, long?[] tsNs, IReadOnlyList<(string Name, double?[] Values)> lines, string yLabel, double? redLine = null, double? yMax = null)
    {
        var t0 = tsNs.Where(t => t is not null).DefaultIfEmpty(0).Min() ?? 0;
        var x = tsNs.Select(t => ((t ?? t0) - t0) / 1e9).ToArray();
        // A metric the report also draws keeps the report's colour (MetricColors); the rest take the palette in turn.
        return Lines(title, lines.Select((l, i) => new Series(l.Name, x, l.Values, Memtrace.Pipeline.Report.MetricColors.For(l.Name) ?? Palette[i % Palette.Length])).ToList(), "seconds from first instant", yLabel, redLine, yMax);
    }

    /// <summary>Lines over any x. A y axis labelled "bytes" gets binary ticks (MiB or GiB steps); yMax fixes the top (1 for ratios).</summary>
    public static Svg Lines(string title, IReadOnlyList<Series> series, string xLabel, string yLabel, double? redLine = null, double? yMax = null)
    {
        const int W = 720, H = 280, L = 64, R = 16, T = 46, B = 40;
        var xs = series.SelectMany(s => s.X).DefaultIfEmpty(0).ToArray();
        var ys = series.SelectMany(s => s.Y.Where(v => v.HasValue).Select(v => v!.Value)).Append(redLine ?? 0).ToArray();
        double x0 = xs.Min(), x1 = Math.Max(xs.Max(), x0 + 1e-9), y0 = Math.Min(0, ys.Min()), y1 = Math.Max(yMax ?? ys.Max(), y0 + 1e-9);
        var unit = yLabel == "bytes" ? AxisTicks.ByteUnit(Math.Max(Math.Abs(y0), y1)).Unit : 1;
        double X(double v) => L + (v - x0) / (x1 - x0) * (W - L - R);
        double Y(double v) => T + (1 - (v - y0) / (y1 - y0)) * (H - T - B);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" font-family=\"sans-serif\" font-size=\"11\">");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{L}\" y=\"16\" font-size=\"13\" font-weight=\"bold\">{E(title)}</text>");
        foreach (var tick in Ticks(y0 / unit, y1 / unit).Select(v => v * unit))
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" x2=\"{W - R}\" y1=\"{Y(tick):0.#}\" y2=\"{Y(tick):0.#}\" stroke=\"#eee\"/><text x=\"{L - 4}\" y=\"{Y(tick) + 4:0.#}\" text-anchor=\"end\">{Label(tick, unit)}</text>");
        foreach (var tick in Ticks(x0, x1))
            sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(tick):0.#}\" y=\"{H - B + 14}\" text-anchor=\"middle\">{Label(tick, 1)}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{L}\" y=\"{T}\" width=\"{W - L - R}\" height=\"{H - T - B}\" fill=\"none\" stroke=\"#999\"/>");
        sb.Append(CultureInfo.InvariantCulture, $"<text x=\"{(L + W - R) / 2}\" y=\"{H - 6}\" text-anchor=\"middle\">{E(xLabel)}</text>");
        sb.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(12 {(T + H - B) / 2}) rotate(-90)\" text-anchor=\"middle\">{E(yLabel)}</text>");
        if (redLine is { } red)
            sb.Append(CultureInfo.InvariantCulture, $"<line x1=\"{L}\" x2=\"{W - R}\" y1=\"{Y(red):0.#}\" y2=\"{Y(red):0.#}\" stroke=\"#c0392b\" stroke-dasharray=\"5 4\"/>");
        var legendX = (double)L;
        foreach (var s in series)
        {
            sb.Append(CultureInfo.InvariantCulture, $"<path fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"1.5\" d=\"{Path(s, X, Y)}\"/>");
            sb.Append(CultureInfo.InvariantCulture, $"<rect x=\"{legendX:0.#}\" y=\"{T - 18}\" width=\"10\" height=\"10\" fill=\"{s.Color}\"/><text x=\"{legendX + 14:0.#}\" y=\"{T - 9}\">{E(s.Name)}</text>");
            legendX += 24 + 6.5 * s.Name.Length;
        }
        sb.Append("</svg>");
        return new Svg(title, sb.ToString());
    }

    private static string Path(Series s, Func<double, double> x, Func<double, double> y)
    {
        var sb = new StringBuilder();
        var pen = 'M';
        for (var i = 0; i < s.X.Length && i < s.Y.Length; i++)
        {
            if (s.Y[i] is not { } v) { pen = 'M'; continue; }
            sb.Append(CultureInfo.InvariantCulture, $"{pen}{x(s.X[i]):0.#},{y(v):0.#}");
            pen = 'L';
        }
        return sb.ToString();
    }

    /// <summary>About five round ticks (1, 2 or 5 × 10^k apart) covering [lo, hi].</summary>
    public static IEnumerable<double> Ticks(double lo, double hi) => AxisTicks.Nice(lo, hi, 5);

    private static string Label(double v, long unit) => unit switch
    {
        1L << 30 => $"{(v / unit).ToString("0.##", CultureInfo.InvariantCulture)} GiB",
        1L << 20 => $"{(v / unit).ToString("0.#", CultureInfo.InvariantCulture)} MiB",
        _ => Label(v),
    };

    private static string Label(double v) => Math.Abs(v) switch
    {
        >= 1L << 30 => $"{v / (1L << 30):0.#}G",
        >= 1L << 20 => $"{v / (1L << 20):0.#}M",
        >= 10_000 => $"{v / 1000:0.#}k",
        _ => v.ToString("0.###", CultureInfo.InvariantCulture),
    };

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
