using System.Globalization;
using System.Net;
using System.Text;
using CsvHelper;
using Memtrace.Schemas.IO;
using Microsoft.Data.Analysis;

namespace Memtrace.Notebooks;

/// <summary>
/// How notebook cells show results: as aligned text (twins, consoles), as an HTML table (Jupyter), or as
/// CSV for a planning spreadsheet. Instants (UTC ns) are shown as UTC times, bytes as they are.
/// </summary>
public static class Display
{
    public static string Text(DataFrame df, int maxRows = 20)
    {
        var rows = (int)Math.Min(df.Rows.Count, maxRows);
        var cells = new string[rows + 1][];
        cells[0] = df.Columns.Select(c => c.Name).ToArray();
        for (var r = 0; r < rows; r++) cells[r + 1] = df.Columns.Select(c => Cell(c, r)).ToArray();
        var widths = Enumerable.Range(0, cells[0].Length).Select(i => cells.Max(row => Math.Min(row[i].Length, 60))).ToArray();
        var sb = new StringBuilder();
        foreach (var row in cells)
        {
            for (var i = 0; i < row.Length; i++)
            {
                var v = row[i].Length > 60 ? row[i][..57] + "..." : row[i];
                sb.Append(i == 0 ? "" : "  ").Append(v.PadRight(widths[i]));
            }
            while (sb.Length > 0 && sb[^1] == ' ') sb.Length--;
            sb.Append('\n');
        }
        if (df.Rows.Count > rows) sb.Append(CultureInfo.InvariantCulture, $"... {df.Rows.Count - rows} more rows\n");
        sb.Append(CultureInfo.InvariantCulture, $"({df.Rows.Count} rows)\n");
        return sb.ToString();
    }

    public static string Html(DataFrame df, int maxRows = 50)
    {
        var sb = new StringBuilder("<table><thead><tr>");
        foreach (var c in df.Columns) sb.Append("<th>").Append(WebUtility.HtmlEncode(c.Name)).Append("</th>");
        sb.Append("</tr></thead><tbody>");
        for (var r = 0; r < Math.Min(df.Rows.Count, maxRows); r++)
        {
            sb.Append("<tr>");
            foreach (var c in df.Columns) sb.Append("<td>").Append(WebUtility.HtmlEncode(Cell(c, r))).Append("</td>");
            sb.Append("</tr>");
        }
        sb.Append(CultureInfo.InvariantCulture, $"</tbody></table><p>{df.Rows.Count} rows</p>");
        return sb.ToString();
    }

    /// <summary>Writes the frame as CSV (CsvHelper, invariant culture; instants as ISO-8601 UTC), atomically.</summary>
    public static void WriteCsv(DataFrame df, string path) => AtomicFile.Write(path, s =>
    {
        using var csv = CsvWriter.Create(s, new CsvWriterOptions(), true);
        csv.WriteRecord(df.Columns.Select(c => c.Name).ToArray());
        for (var r = 0L; r < df.Rows.Count; r++) csv.WriteRecord(df.Columns.Select(c => Cell(c, r, exact: true)).ToArray());
        csv.Flush();
    });

    /// <summary>
    /// Columns named *ts_ns hold UTC instants; they read better as times. Doubles show six decimals, or
    /// every digit that round-trips when <paramref name="exact"/> (CSV for a spreadsheet).
    /// </summary>
    public static string Cell(DataFrameColumn c, long row, bool exact = false) => c[row] switch
    {
        null => "",
        long v when c.Name.EndsWith("ts_ns", StringComparison.Ordinal) || c.Name is "window_start_ns" or "window_end_ns" => Time(v),
        double v => v.ToString(exact ? "R" : "0.######", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        var v => v.ToString() ?? "",
    };

    public static string Time(long utcNs) => Pipeline.Run.UtcTime.Millis(utcNs);

    public static string Bytes(long b) => Memtrace.Pipeline.Run.ByteSize.Format(b);
}

/// <summary>
/// Show() for a runnable twin: frames print as text, charts are saved under the figures folder and
/// named on stdout, anything else prints as it is. (In Jupyter the setup cell defines Show with
/// display() instead.)
/// </summary>
public sealed class TwinOutput(string figuresDir)
{
    private int _figures;

    public void Show(object? value, string? title = null)
    {
        if (title is not null) Console.WriteLine($"## {title}");
        switch (value)
        {
            case DataFrame df: Console.Write(Display.Text(df)); break;
            case Svg svg:
                Directory.CreateDirectory(figuresDir);
                var path = Path.Combine(figuresDir, $"fig{++_figures:00}.svg");
                svg.Save(path);
                Console.WriteLine($"[chart '{svg.Title}' saved to {path}]");
                break;
            default: Console.WriteLine(value); break;
        }
    }
}
