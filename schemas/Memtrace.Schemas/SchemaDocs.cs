using System.Text;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;

namespace Memtrace.Schemas;

/// <summary>Generates schemas/README.md from the table definitions and the stats catalogue.</summary>
public static class SchemaDocs
{
    public static string Render()
    {
        var sb = new StringBuilder();
        sb.Append("# memtrace table reference\n\n");
        sb.Append("Generated from `schemas/Memtrace.Schemas` by `memtrace schema-docs`; a test fails when this file is stale.\n");
        sb.Append("Raw tables live in the trace archive as Parquet (`tables/<table>/<source_id>.parquet`); result tables are\n");
        sb.Append("Arrow IPC files in `<out>/tables/<table>.arrow`. Integers are 64-bit; times are UTC nanoseconds since the Unix epoch.\n\n");
        sb.Append("## Archive encoding\n\n");
        sb.Append("Parquet with Snappy at CompressionLevel.Optimal, one row group per 2^20 rows. Parquet.Net's default level\n");
        sb.Append("(SmallestSize) made a 10M-row write take ~42 s on the 2-core build machine against ~0.45 s at Optimal.\n");
        sb.Append("`list<string>` columns are stored in Parquet as one JSON array string per row (Parquet.Net 6.1 could not read back\n");
        sb.Append("its own repeated-field pages); Arrow results use a real `list<string>`.\n\n");
        Section(sb, "Raw tables (trace archive)", TableCatalog.Raw);
        Section(sb, "Result tables (run output)", TableCatalog.Results);
        sb.Append("## Stats catalogue\n\n");
        sb.Append("Every run writes a `stats` row for each counter, zeros included. An `error` counter above zero makes the CLI exit 3 unless `--tolerate-errors`.\n\n");
        sb.Append("| counter | severity | meaning |\n|---|---|---|\n");
        foreach (var s in StatsCatalog.All) sb.Append($"| `{s.Key}` | {s.SeverityName} | {s.Description} |\n");
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string title, IEnumerable<TableDef> defs)
    {
        sb.Append($"## {title}\n\n");
        foreach (var d in defs)
        {
            sb.Append($"### `{d.Name}` (v{d.Version})\n\n{d.Doc}\n\nSort key: {string.Join(", ", d.SortKey.Select(k => $"`{k}`"))}\n\n");
            sb.Append("| column | type | unit | null | description |\n|---|---|---|---|---|\n");
            foreach (var c in d.Columns)
            {
                sb.Append($"| `{c.Name}` | {TypeName(c.Type)} | {c.Unit} | {(c.Nullable ? "yes" : "")} | {c.Doc.Replace("|", "\\|")} |\n");
            }
            sb.Append('\n');
        }
    }

    private static string TypeName(ColumnType t) => t switch
    {
        ColumnType.Int64 => "int64",
        ColumnType.Float64 => "float64",
        ColumnType.String => "string",
        ColumnType.Bool => "bool",
        ColumnType.StringList => "list<string>",
        _ => t.ToString(),
    };
}
