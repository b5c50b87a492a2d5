using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Memtrace.Notebooks;

public sealed record NotebookCell(string Kind, string Source);

/// <summary>
/// Keeps notebooks/*.ipynb and their runnable twins notebooks/*.cs in step. The twin is the source: a
/// .NET 10 file-based app whose header (#: directives, usings, the out directory and Show) is followed by
/// cells in the percent format Jupytext uses for scripts:
///   // %% [markdown]        a markdown cell, each line behind "// "
///   // %%                   a code cell
/// The .ipynb is generated from it: a setup cell tagged "setup" that does in Jupyter what the header
/// does in the app (#r instead of #:project, display() instead of printing), then the same cells.
/// </summary>
public static class NotebookTwin
{
    public const string CodeMarker = "// %%";
    public const string MarkdownMarker = "// %% [markdown]";

    public static (string Header, IReadOnlyList<NotebookCell> Cells) Parse(string twin)
    {
        var lines = twin.Replace("\r\n", "\n").Split('\n');
        var header = new List<string>();
        var cells = new List<NotebookCell>();
        string? kind = null;
        var body = new List<string>();
        void Flush()
        {
            if (kind is not null) cells.Add(new NotebookCell(kind, string.Join("\n", Trim(body))));
            body.Clear();
        }
        foreach (var line in lines)
        {
            if (line.TrimEnd() is MarkdownMarker or CodeMarker)
            {
                Flush();
                kind = line.TrimEnd() == MarkdownMarker ? "markdown" : "code";
                continue;
            }
            if (kind is null) header.Add(line);
            else if (kind == "markdown") body.Add(line.StartsWith("// ", StringComparison.Ordinal) ? line[3..] : line.TrimStart('/'));
            else body.Add(line);
        }
        Flush();
        return (string.Join("\n", Trim(header)), cells);
    }

    /// <summary>The Jupyter side of the header: same usings and names, .NET Interactive's #r and display().</summary>
    public static string JupyterSetup(string name, string header)
    {
        var usings = header.Split('\n').Where(l => l.StartsWith("using ", StringComparison.Ordinal));
        return string.Join("\n", [
            "// Setup: what the runnable twin's header does, for .NET Interactive. Build the library first (make test or",
            "// dotnet build pipeline/Memtrace.Notebooks -c Release) and run memtrace (make run) so ../out/demo exists.",
            "#r \"../pipeline/Memtrace.Notebooks/bin/Release/net10.0/Memtrace.Notebooks.dll\"",
            .. usings,
            "",
            "string[] outDirs = [\"../out/demo\"];",
            "var outDir = outDirs[0];",
            $"var figures = Path.Combine(\"..\", \"out\", \"notebooks\", \"{name}\");",
            "void Show(object? value, string? title = null)",
            "{",
            "    if (title is not null) display(HTML(\"<h4>\" + System.Net.WebUtility.HtmlEncode(title) + \"</h4>\"));",
            "    display(value switch { DataFrame df => HTML(Display.Html(df)), Svg svg => HTML(svg.Markup), _ => value });",
            "}",
        ]);
    }

    /// <summary>The .ipynb (nbformat 4.5, .NET Interactive C# kernel) for a twin, byte-for-byte deterministic.</summary>
    public static string ToIpynb(string name, string twin)
    {
        var (header, cells) = Parse(twin);
        var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, IndentSize = 1, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteStartArray("cells");
            WriteCell(w, "setup", new NotebookCell("code", JupyterSetup(name, header)), setup: true);
            for (var i = 0; i < cells.Count; i++) WriteCell(w, $"cell-{i + 1:00}", cells[i], setup: false);
            w.WriteEndArray();
            w.WriteStartObject("metadata");
            w.WriteStartObject("kernelspec");
            w.WriteString("display_name", ".NET (C#)");
            w.WriteString("language", "C#");
            w.WriteString("name", ".net-csharp");
            w.WriteEndObject();
            w.WriteStartObject("language_info");
            w.WriteString("file_extension", ".cs");
            w.WriteString("mimetype", "text/x-csharp");
            w.WriteString("name", "C#");
            w.WriteString("pygments_lexer", "csharp");
            w.WriteString("version", "14.0");
            w.WriteEndObject();
            w.WriteStartObject("polyglot_notebook");
            w.WriteStartObject("kernelInfo");
            w.WriteString("defaultKernelName", "csharp");
            w.WriteStartArray("items");
            w.WriteStartObject();
            w.WriteStartArray("aliases");
            w.WriteEndArray();
            w.WriteString("name", "csharp");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteNumber("nbformat", 4);
            w.WriteNumber("nbformat_minor", 5);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void WriteCell(Utf8JsonWriter w, string id, NotebookCell cell, bool setup)
    {
        w.WriteStartObject();
        w.WriteString("cell_type", cell.Kind);
        if (cell.Kind == "code") w.WriteNull("execution_count");
        w.WriteString("id", id);
        w.WriteStartObject("metadata");
        if (cell.Kind == "code")
        {
            w.WriteStartObject("dotnet_interactive");
            w.WriteString("language", "csharp");
            w.WriteEndObject();
            w.WriteStartObject("polyglot_notebook");
            w.WriteString("kernelName", "csharp");
            w.WriteEndObject();
        }
        if (setup)
        {
            w.WriteStartArray("tags");
            w.WriteStringValue("setup");
            w.WriteEndArray();
        }
        w.WriteEndObject();
        if (cell.Kind == "code")
        {
            w.WriteStartArray("outputs");
            w.WriteEndArray();
        }
        // nbformat stores source as a list of lines, each but the last ending in "\n".
        w.WriteStartArray("source");
        var lines = cell.Source.Split('\n');
        for (var i = 0; i < lines.Length; i++) w.WriteStringValue(i < lines.Length - 1 ? lines[i] + "\n" : lines[i]);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static IEnumerable<string> Trim(List<string> lines)
    {
        var start = lines.FindIndex(l => l.Trim().Length > 0);
        var end = lines.FindLastIndex(l => l.Trim().Length > 0);
        return start < 0 ? [] : lines.GetRange(start, end - start + 1);
    }
}
