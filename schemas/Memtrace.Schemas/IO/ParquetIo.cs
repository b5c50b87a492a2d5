using Memtrace.Schemas.Model;
using Parquet;
using Parquet.Schema;

namespace Memtrace.Schemas.IO;

/// <summary>
/// Archive tables as Parquet, with the schema generated from the <see cref="TableDef"/>.
/// A list&lt;string&gt; column is stored as one JSON-array string per row: Parquet.Net 6.1's reader
/// rejected its own repeated-field output ("Definition levels buffer is too small"), and a JSON
/// array round-trips any frame text exactly. Arrow results keep a real list type.
/// </summary>
public static class ParquetIo
{
    public const int RowGroupRows = 1 << 20;

    public static ParquetSchema SchemaFor(TableDef def) => new(def.Columns.Select(FieldFor).ToArray());

    private static Field FieldFor(ColumnDef c) => c.Type switch
    {
        ColumnType.Int64 => c.Nullable ? new DataField<long?>(c.Name) : new DataField<long>(c.Name),
        ColumnType.Float64 => c.Nullable ? new DataField<double?>(c.Name) : new DataField<double>(c.Name),
        ColumnType.Bool => c.Nullable ? new DataField<bool?>(c.Name) : new DataField<bool>(c.Name),
        ColumnType.String => new DataField<string>(c.Name, c.Nullable),
        ColumnType.StringList => new DataField<string>(c.Name, false),
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    /// <summary>The archive's codec. Measured on 4 M gpu_alloc_events rows (make bench, "parquet_*" figures; schemas/README.md).</summary>
    public const CompressionMethod ArchiveCodec = CompressionMethod.Zstd;

    /// <summary>Key-value metadata of every file: which table, which version of its schema.</summary>
    private static KeyValuePair<string, string>[] Metadata(TableDef def) =>
    [
        new("memtrace.table", def.Name),
        new("memtrace.version", def.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    ];

    /// <summary>The archive's codecs (Zstd, none) go through our page writer (see its figures), the others through Parquet.Net.</summary>
    public static void Write(Table t, Stream s, CompressionMethod codec = ArchiveCodec, int rowGroupRows = RowGroupRows)
    {
        if (ParquetPages.PageWriter.Writes(codec)) ParquetPages.PageWriter.Write(t, s, codec, rowGroupRows, Metadata(t.Def));
        else WriteWithParquetNet(t, s, codec, rowGroupRows).GetAwaiter().GetResult();
    }

    /// <summary>Parquet.Net's writer: the codecs the page writer lacks, and the oracle its tests compare with.</summary>
    public static async Task WriteWithParquetNet(Table t, Stream s, CompressionMethod codec = ArchiveCodec, int rowGroupRows = RowGroupRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupRows, 1);
        var schema = SchemaFor(t.Def);
        var options = new ParquetOptions
        {
            CompressionMethod = codec,
            // The default, SmallestSize, made a 10M-row Zstd write take 42 s here; Optimal 0.45 s.
            CompressionLevel = System.IO.Compression.CompressionLevel.Optimal,
        };
        // Parquet.Net 6.1 writes strings PLAIN unless hinted: "torch-caching" then costs 17 bytes a row to
        // decompress and compare. Dictionary pages cost one index per row; a column whose values are mostly
        // distinct (messages, frames) still falls back to PLAIN at the library's uniqueness threshold.
        foreach (var c in t.Def.Columns)
        {
            if (c.Type is ColumnType.String or ColumnType.StringList) options.ColumnEncodingHints[c.Name] = EncodingHint.Dictionary;
        }
        await using var writer = await ParquetWriter.CreateAsync(schema, s, options);
        writer.CustomMetadata = new Dictionary<string, string>(Metadata(t.Def));
        var leaves = schema.GetDataFields();
        for (var start = 0; start < Math.Max(t.RowCount, 1); start += rowGroupRows)
        {
            var n = Math.Min(rowGroupRows, t.RowCount - start);
            using var rg = writer.CreateRowGroup();
            for (var ci = 0; ci < t.Columns.Count; ci++)
            {
                await WriteColumn(rg, leaves[ci], t.Columns[ci], start, n);
            }
            if (t.RowCount == 0) break;
        }
    }

    private static async Task WriteColumn(ParquetRowGroupWriter rg, DataField f, Column col, int start, int n)
    {
        switch (col)
        {
            case Int64Column c: await WriteValues(rg, f, c, start, n); break;
            case Float64Column c: await WriteValues(rg, f, c, start, n); break;
            case BoolColumn c: await WriteValues(rg, f, c, start, n); break;
            case StringColumn c:
            {
                var vals = new string?[n];
                for (var i = 0; i < n; i++) vals[i] = c[start + i];
                await rg.WriteAsync(f, (IReadOnlyCollection<string>)vals!);
                break;
            }
            case StringListColumn c:
            {
                var vals = new string[n];
                for (var i = 0; i < n; i++) vals[i] = System.Text.Json.JsonSerializer.Serialize(c[start + i], SchemasJson.Default.IReadOnlyListString);
                await rg.WriteAsync(f, (IReadOnlyCollection<string>)vals);
                break;
            }
            default: throw new InvalidOperationException(col.GetType().Name);
        }
    }

    private static async Task WriteValues<T>(ParquetRowGroupWriter rg, DataField f, ValueColumn<T> c, int start, int n) where T : struct
    {
        if (c.Def.Nullable)
        {
            var vals = new T?[n];
            for (var i = 0; i < n; i++) vals[i] = c.Get(start + i);
            await rg.WriteAsync<T>(f, new ReadOnlyMemory<T?>(vals));
        }
        else
        {
            await rg.WriteAsync<T>(f, new ReadOnlyMemory<T>(c.Values.Slice(start, n).ToArray()));
        }
    }

    public static Table Read(TableDef def, Stream s) => ReadAsync(def, s).GetAwaiter().GetResult();

    /// <summary>A whole file held in memory, decoded by the page decoder (ParquetPages) or, outside its subset, Parquet.Net.</summary>
    public static Table Read(TableDef def, byte[] bytes) => ReadMany(def, [new ParquetBytes(bytes, FooterOf(bytes))]);

    /// <summary>
    /// Several files of one table (an archive's sources) decoded into one table, all their chunks at once: no
    /// per-file table to append and copy again. Files outside the page decoder's subset go through Parquet.Net.
    /// </summary>
    internal static Table ReadMany(TableDef def, IReadOnlyList<ParquetBytes> files)
    {
        if (ParquetPages.PageReader.TryRead(def, files) is { } decoded) return decoded;
        var all = new Table(def);
        foreach (var f in files)
        {
            var part = ReadWithParquetNet(def, f.Bytes.ToArray());
            if (all.RowCount == 0) all = part;
            else all.AppendTable(part);
        }
        return all;
    }

    /// <summary>The file's footer, parsed by Parquet.Net (schema, row groups, where each column chunk lies).</summary>
    internal static Parquet.Meta.FileMetaData FooterOf(ArraySegment<byte> bytes) =>
        Footer(bytes).GetAwaiter().GetResult().Meta;

    /// <summary>The general path, for files outside the page decoder's subset (and its oracle in tests).</summary>
    public static Table ReadWithParquetNet(TableDef def, byte[] bytes)
    {
        var (fileFields, groupRows, _) = Footer(bytes).GetAwaiter().GetResult();
        return ReadWithParquetNet(def, bytes, fileFields, groupRows);
    }

    /// <summary>
    /// One Parquet.Net reader per column, columns in parallel: its reader is not thread-safe, but readers over
    /// separate MemoryStreams of one byte[] share nothing but the bytes, and each fills its own column.
    /// </summary>
    private static Table ReadWithParquetNet(TableDef def, byte[] bytes, DataField[] fileFields, long[] groupRows)
    {
        var total = groupRows.Sum();
        if (total > int.MaxValue) throw new InvalidDataException($"table {def.Name}: {total} rows exceed one in-memory table");
        var t = new Table(def, (int)total);
        var errors = new Exception?[def.Columns.Count];
        Parallel.For(0, def.Columns.Count, ci =>
        {
            try
            {
                var field = Array.Find(fileFields, f => f.Name == def.Columns[ci].Name);
                if (field is null) for (var i = 0; i < total; i++) t.Columns[ci].AppendNull();
                else ReadWholeColumn(bytes, field, t.Columns[ci]).GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                errors[ci] = e;
            }
        });
        // The same exception types a sequential read throws, so callers keep one catch.
        if (errors.FirstOrDefault(e => e is not null) is { } first) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
        t.SealBulk();
        return t;
    }

    private static async Task<(DataField[] Fields, long[] GroupRows, Parquet.Meta.FileMetaData Meta)> Footer(ArraySegment<byte> bytes)
    {
        await using var reader = await ParquetReader.CreateAsync(new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false));
        var rows = new long[reader.RowGroupCount];
        for (var g = 0; g < rows.Length; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            rows[g] = rg.RowCount;
        }
        return (reader.Schema.GetDataFields(), rows, reader.Metadata ?? throw new InvalidDataException("Parquet file without metadata"));
    }

    private static async Task ReadWholeColumn(byte[] bytes, DataField field, Column col)
    {
        await using var reader = await ParquetReader.CreateAsync(new MemoryStream(bytes, writable: false));
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            await ReadColumn(rg, field, col, checked((int)rg.RowCount));
        }
    }

    /// <summary>The footer of a file on disk (Parquet.Net reads the tail of the stream only).</summary>
    internal static Parquet.Meta.FileMetaData FooterOf(Stream s) => FooterOfAsync(s).GetAwaiter().GetResult();

    private static async Task<Parquet.Meta.FileMetaData> FooterOfAsync(Stream s)
    {
        await using var reader = await ParquetReader.CreateAsync(s, leaveStreamOpen: true);
        return reader.Metadata ?? throw new InvalidDataException("Parquet file without metadata");
    }

    /// <summary>One row group through Parquet.Net: the streaming reader's path for files outside the page decoder's subset.</summary>
    internal static Table ReadRowGroupWithParquetNet(TableDef def, Stream s, int rowGroup) => ReadRowGroupWithParquetNetAsync(def, s, rowGroup).GetAwaiter().GetResult();

    private static async Task<Table> ReadRowGroupWithParquetNetAsync(TableDef def, Stream s, int rowGroup)
    {
        await using var reader = await ParquetReader.CreateAsync(s, leaveStreamOpen: true);
        using var rg = reader.OpenRowGroupReader(rowGroup);
        var t = new Table(def, checked((int)rg.RowCount));
        await AppendRowGroup(rg, reader.Schema.GetDataFields(), t);
        t.SealBulk();
        return t;
    }

    /// <summary>Reads a file written for <paramref name="def"/>; columns missing from an older file come back null.</summary>
    public static async Task<Table> ReadAsync(TableDef def, Stream s)
    {
        await using var reader = await ParquetReader.CreateAsync(s);
        var fileFields = reader.Schema.GetDataFields();
        long total = 0;
        for (var g = 0; g < reader.RowGroupCount; g++) total += reader.OpenRowGroupReader(g).RowCount;
        if (total > int.MaxValue) throw new InvalidDataException($"table {def.Name}: {total} rows exceed one in-memory table");
        var t = new Table(def, (int)total);
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var rg = reader.OpenRowGroupReader(g);
            await AppendRowGroup(rg, fileFields, t);
        }
        t.SealBulk();
        return t;
    }

    /// <summary>One row group's rows appended to every column of <paramref name="t"/>; columns the file lacks get nulls.</summary>
    private static async Task AppendRowGroup(ParquetRowGroupReader rg, DataField[] fileFields, Table t)
    {
        var n = checked((int)rg.RowCount);
        foreach (var col in t.Columns)
        {
            var field = Array.Find(fileFields, f => f.Name == col.Def.Name);
            if (field is null) for (var i = 0; i < n; i++) col.AppendNull();
            else await ReadColumn(rg, field, col, n);
        }
    }

    private static async Task ReadColumn(ParquetRowGroupReader rg, DataField f, Column col, int n)
    {
        switch (col)
        {
            case Int64Column c: await ReadValues(rg, f, c, n); break;
            case Float64Column c: await ReadValues(rg, f, c, n); break;
            case BoolColumn c: await ReadValues(rg, f, c, n); break;
            case StringColumn c:
            {
                var vals = new string?[n];
                await rg.ReadAsync(f, new Memory<string?>(vals));
                foreach (var v in vals) c.Append(v); // the column keeps one instance per distinct value
                break;
            }
            case StringListColumn c:
            {
                var vals = new string?[n];
                await rg.ReadAsync(f, new Memory<string?>(vals));
                foreach (var v in vals)
                {
                    c.Append(v is null ? [] : System.Text.Json.JsonSerializer.Deserialize(v, SchemasJson.Default.StringArray)
                        ?? throw new InvalidDataException($"column {f.Name}: not a JSON string array"));
                }
                break;
            }
            default: throw new InvalidOperationException(col.GetType().Name);
        }
    }

    private static async Task ReadValues<T>(ParquetRowGroupReader rg, DataField f, ValueColumn<T> c, int n) where T : struct
    {
        if (f.IsNullable)
        {
            var vals = new T?[n];
            await rg.ReadAsync<T>(f, new Memory<T?>(vals));
            c.AppendRange(vals);
        }
        else
        {
            var vals = new T[n];
            await rg.ReadAsync<T>(f, new Memory<T>(vals));
            c.AppendRange(vals);
        }
    }
}

/// <summary>One Parquet file in memory and its parsed footer.</summary>
internal readonly record struct ParquetBytes(ArraySegment<byte> Bytes, Parquet.Meta.FileMetaData Footer);
