using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Memtrace.Schemas;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Notebooks.Tests;

/// <summary>
/// The result tables open where users open them: every table of a real run (the bundled demo archive: real
/// PyTorch snapshots and Go service captures) is read by Apache Arrow's JavaScript implementation under node
/// (tests/arrow-js, installed by make setup), which shares no code with memtrace's writer, and every cell is
/// compared with what memtrace wrote: names, types, row counts and values.
/// </summary>
public sealed class ArrowJsTests(DemoRuns runs) : IClassFixture<DemoRuns>
{
    [Fact]
    public void Every_result_table_reads_the_same_in_apache_arrow_js()
    {
        var tables = Directory.GetFiles(Path.Combine(runs.First, "tables"), "*.arrow").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(TableCatalog.Results.Count + 1, tables.Count);
        var cells = 0L;
        foreach (var path in tables)
        {
            var def = TableCatalog.Find(Path.GetFileNameWithoutExtension(path))!;
            Table ours;
            using (var fs = File.OpenRead(path)) ours = ArrowIo.Read(def, fs);
            var lines = ReadWithArrowJs(path);
            using var header = JsonDocument.Parse(lines[0]);
            var columns = header.RootElement.GetProperty("columns").EnumerateArray().ToList();
            Assert.Equal(def.Columns.Select(c => c.Name), columns.Select(c => c.GetProperty("name").GetString()));
            Assert.Equal(def.Columns.Select(c => JsType(c.Type)), columns.Select(c => c.GetProperty("type").GetString()));
            Assert.Equal(ours.RowCount, lines.Length - 1);
            for (var r = 0; r < ours.RowCount; r++)
            {
                using var row = JsonDocument.Parse(lines[r + 1]);
                var values = row.RootElement.EnumerateArray().ToList();
                for (var c = 0; c < def.Columns.Count; c++, cells++)
                    Assert.True(Same(ours.Columns[c], r, values[c]), $"{def.Name} row {r} column {def.Columns[c].Name}: memtrace wrote {Describe(ours.Columns[c], r)}, arrow-js read {values[c]}");
            }
        }
        Assert.True(cells > 100_000, $"only {cells} cells compared");
    }

    private static string JsType(ColumnType t) => t switch
    {
        ColumnType.Int64 => "Int64",
        ColumnType.Float64 => "Float64",
        ColumnType.Bool => "Bool",
        ColumnType.String => "Utf8",
        _ => "List<Utf8>",
    };

    private static bool Same(Column column, int row, JsonElement js)
    {
        if (column.IsNull(row)) return js.ValueKind == JsonValueKind.Null;
        return column switch
        {
            Int64Column x => js.ValueKind == JsonValueKind.String && js.GetString() == x[row].ToString(CultureInfo.InvariantCulture),
            // JSON carries doubles in their shortest round-trip form; NaN and infinities as strings.
            Float64Column x => js.ValueKind == JsonValueKind.Number ? js.GetDouble() == x[row] : js.GetString() == (double.IsNaN(x[row]) ? "NaN" : x[row] > 0 ? "Infinity" : "-Infinity"),
            BoolColumn x => js.ValueKind is JsonValueKind.True or JsonValueKind.False && js.GetBoolean() == x[row],
            StringColumn x => js.ValueKind == JsonValueKind.String && js.GetString() == x[row],
            StringListColumn x => js.ValueKind == JsonValueKind.Array && js.EnumerateArray().Select(e => e.GetString()).SequenceEqual(x[row]),
            _ => false,
        };
    }

    private static string Describe(Column column, int row) => column.IsNull(row) ? "null" : column switch
    {
        Int64Column x => x[row].ToString(CultureInfo.InvariantCulture),
        Float64Column x => x[row].ToString("R", CultureInfo.InvariantCulture),
        BoolColumn x => x[row].ToString(),
        StringColumn x => x[row] ?? "",
        StringListColumn x => string.Join(" | ", x[row]),
        _ => "?",
    };

    private static string[] ReadWithArrowJs(string path)
    {
        var psi = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.Combine(Repo.Root, "tests", "arrow-js") };
        psi.ArgumentList.Add("read.mjs");
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("node did not start (make setup installs it)");
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), "node did not finish");
        Assert.True(p.ExitCode == 0, $"arrow-js could not read {path}: {stderr.Result}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }
}
