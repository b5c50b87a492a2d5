using System.Text;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;
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
        sb.Append("Parquet with Zstd (level 3), one row group per 2^20 rows, string columns dictionary-encoded, integer columns\n");
        sb.Append("whose values never decrease within a row group and have no null (ts_ns, seq, a file's constant pid or device)\n");
        sb.Append("DELTA_BINARY_PACKED under the Zstd (5 M rmm-csv rows: ts_ns and seq had been 0.7 s of the write's Zstd as plain\n");
        sb.Append("bytes), nullable columns with RLE definition levels, one data page (V1) per column chunk; each file's SHA-256 is in the manifest and\n");
        sb.Append("checked on read. memtrace writes these files itself (`IO/ParquetPages/PageWriter.cs`): a string column is\n");
        sb.Append("already dictionary codes in memory, so its dictionary page and RLE_DICTIONARY indices come from the codes without\n");
        sb.Append("hashing a string; values are copied once from the column; a row group's columns are encoded on every core. Zstd\n");
        sb.Append("is ZstdSharp's on every machine, so a file's bytes (and its hash) do not depend on the system's libzstd. Parquet.Net's\n");
        sb.Append("writer, used before, took 3.1–3.3 s for the 4 M rows below and 5.1 s for 5 M rmm-csv rows; it still writes the\n");
        sb.Append("other codecs. DuckDB, Parquet.Net and memtrace's decoder read every file back cell for cell (tests).\n\n");
        sb.Append("Reads do not use Parquet.Net's column reader: it decoded 4 M rows in 1.6–8 s (one string object per value,\n");
        sb.Append("fresh arrays per page), about 0.1x DuckDB. memtrace parses the footer with Parquet.Net and decodes the pages\n");
        sb.Append("itself (`IO/ParquetPages`): PLAIN, dictionary and (integer) DELTA_BINARY_PACKED values, RLE/bit-packed levels, data pages V1 and V2, Zstd\n");
        sb.Append("(the system libzstd, else ZstdSharp), Snappy, LZ4 raw, uncompressed; every chunk of every source file of a\n");
        sb.Append("table at once, straight into the table's columns; strings stay dictionary codes. Other files (nested columns,\n");
        sb.Append("other encodings) still read through Parquet.Net. The trade-off, from `make bench` (figures `archive_*`):\n");
        sb.Append("4 M gpu_alloc_events rows with real sizes, 2 cores; memtrace = file bytes + SHA-256 + decode of every column;\n");
        sb.Append("DuckDB = `read_parquet` of the same file summing or counting every column; medians of 5 alternating runs:\n\n");
        sb.Append("| codec | bytes/row | write s | memtrace read s | DuckDB read s | ratio |\n|---|---|---|---|---|---|\n");
        sb.Append("| Zstd (archive) | 8.5 | 0.89 | 0.307 | 0.328 | 1.07 |\n| Snappy (Parquet.Net writes) | 18.8 | 2.19 | 0.328 | 0.304 | 0.93 |\n");
        sb.Append("| none | 56.1 | 1.05 | 0.346 | 0.190 | 0.55 |\n| LZ4 raw (Parquet.Net writes) | 15.3 | 72 | 0.18 | 0.22 | 1.24 |\n\n");
        sb.Append("(LZ4 raw from an earlier run of the same method: Parquet.Net's Optimal level is LZ4 HC, a 72 s write.) Zstd is\n");
        sb.Append("the smallest, reads as fast as the others, so it stays the archive's codec. Uncompressed files lose because the\n");
        sb.Append("whole file is read into memory and hashed before decoding; DuckDB reads only the column chunks.\n");
        sb.Append("`list<string>` columns are stored in Parquet as one JSON array string per row (Parquet.Net 6.1 could not read back\n");
        sb.Append("its own repeated-field pages); Arrow results use a real `list<string>`.\n\n");
        sb.Append("## Ticks and split captures\n\n");
        sb.Append("A sampler tick is the set of reads one pass of a sampler made. memtrace's own sampler stamps a tick once; a sidecar\n");
        sb.Append("script stamps every read (the reads of one tick are ~0.1–1 ms apart) and may write one file per path. Two rules,\n");
        sb.Append("one kernel (`Model/ReadTicks.cs`), make every shape give the same samples:\n\n");
        sb.Append("- **At import (capture-jsonl)**, one file's reads of one entity (a pid's /proc files, a cgroup directory's memory\n");
        sb.Append("  files) are cut into ticks: by `seq` where every read has one; else a new tick begins when a file of the tick\n");
        sb.Append("  comes again, or after a gap between reads larger than half the median sampling interval. A row is stamped with\n");
        sb.Append("  its tick's first read; a tick that lacks a file gives the fields it has.\n");
        sb.Append("- **At analysis**, the samples of one entity from every source of the archive (several files, several import\n");
        sb.Append("  calls) are put in time order and coalesced by the same rule over their field groups (status, smaps_rollup,\n");
        sb.Append("  stat, fd; usage, limit, peak, stat, kmem, events, failcnt, pressure). Rows that are whole ticks already are\n");
        sb.Append("  left as they are.\n\n");
        sb.Append("The merge is at analysis, not a \"capture set\" made at import, because files of one capture can reach an archive\n");
        sb.Append("in separate `import` calls, on different days, and each file stays one idempotent source (its sha256). A pid is\n");
        sb.Append("one workload whatever number of files its reads came from. A process is gone only where a read found it gone\n");
        sb.Append("(ENOENT/ESRCH as the sampler wrote it: \"No such file or directory\", \"No such process\", \"Could not find a part of the\n");
        sb.Append("path\"); any other failed read is counted as `capture_read_failed` and says nothing of liveness. OOM kills come\n");
        sb.Append("from the cgroup's `oom_kill` counter (v1 `memory.oom_control`, v2 `memory.events`) between two reads of it,\n");
        sb.Append("narrowed by the read that first found the process gone.\n\n");
        Section(sb, "Raw tables (trace archive)", TableCatalog.Raw);
        Section(sb, "Result tables (run output)", TableCatalog.Results);
        sb.Append("## Stats catalogue\n\n");
        sb.Append("Every run writes a `stats` row for each counter, zeros included. An `error` counter above zero makes the CLI exit 3 unless `--tolerate-errors`.\n\n");
        sb.Append("| counter | severity | meaning |\n|---|---|---|\n");
        foreach (var s in StatsCatalog.All) sb.Append($"| `{s.Key}` | {s.SeverityName} | {s.Description} |\n");
        sb.Append("\n## Flag kinds (`flags.kind`)\n\n| kind | severity | meaning |\n|---|---|---|\n");
        foreach (var k in FlagKinds.All) sb.Append($"| `{k.Name}` | {k.Severity} | {k.Doc} |\n");
        sb.Append("\n## Verdicts\n\n");
        sb.Append($"An OOM (`oom_diagnoses.verdict`): `{Verdicts.Fragmentation}` when the request was at most the free bytes F but more than the largest free block L, `{Verdicts.Capacity}` when it was more than F.\n\n");
        sb.Append("A pool and the run (`summary.json`), worst first:\n\n| verdict | meaning |\n|---|---|\n");
        foreach (var (word, meaning) in Verdicts.Gpu) sb.Append($"| `{word}` | {meaning} |\n");
        sb.Append($"\n`--fail-on` takes {string.Join(", ", Verdicts.FailOn.Select(v => $"`{v}`"))}.\n");
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
