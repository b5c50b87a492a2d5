using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Memtrace.Schemas.IO;
using Microsoft.Data.Analysis;
using Table = Memtrace.Schemas.Model.Table;

namespace Memtrace.Notebooks;

/// <summary>
/// Tables as Microsoft.Data.Analysis DataFrames, built from Arrow record batches: numeric columns wrap
/// the Arrow buffers and strings stay UTF-8 (ArrowStringDataFrameColumn), so nothing goes through
/// .NET strings on the way in.
/// </summary>
public static class Frames
{
    /// <summary>Reads an Arrow IPC file (a result table of an out directory) as one DataFrame.</summary>
    public static DataFrame FromArrowFile(string path)
    {
        // The IPC file format is "ARROW1" + 2 bytes of padding, then the streaming format, then a footer
        // (arrow/format/File.fbs). Reading that stream straight from a managed byte[] keeps every buffer
        // GC-owned: frames wrap Arrow buffers without copying, so native buffers freed by a finalizer
        // would leave a frame pointing at freed memory.
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 12 || !bytes.AsSpan(0, 6).SequenceEqual("ARROW1"u8))
            throw new InvalidDataException($"{path}: not an Arrow IPC file (no ARROW1 magic)");
        return FromStreamBytes(bytes.AsMemory(8), path);
    }

    /// <summary>An in-memory table (e.g. a raw archive table or a re-analysis result) as a DataFrame.</summary>
    public static DataFrame FromTable(Table table)
    {
        var ms = new MemoryStream();
        using (var w = new ArrowStreamWriter(ms, ArrowIo.SchemaFor(table.Def), leaveOpen: true))
        {
            foreach (var batch in ArrowIo.ToBatches(table, int.MaxValue))
                using (batch) w.WriteRecordBatch(batch);
            w.WriteEnd();
        }
        return FromStreamBytes(ms.GetBuffer().AsMemory(0, (int)ms.Length), table.Def.Name);
    }

    private static DataFrame FromStreamBytes(ReadOnlyMemory<byte> stream, string what)
    {
        var reader = new ArrowStreamReader(stream);
        var batches = new List<RecordBatch>();
        while (reader.ReadNextRecordBatch() is { } b) batches.Add(b);
        return batches.Count switch
        {
            0 => throw new InvalidDataException($"{what}: Arrow stream holds no record batch"),
            1 => FromBatch(batches[0]),
            // Over ArrowIo.BatchRows rows: one table, then one batch, so the frame is one set of columns.
            _ => FromTable(ArrowIo.Read(TableOf(reader.Schema, what), new MemoryStream(stream.ToArray()))),
        };
    }

    private static Memtrace.Schemas.Model.TableDef TableOf(Schema schema, string what) =>
        Memtrace.Schemas.TableCatalog.Find(schema.Metadata.GetValueOrDefault("memtrace.table") ?? "")
        ?? throw new InvalidDataException($"{what}: multi-batch Arrow data of an unknown table");

    /// <summary>
    /// Microsoft.Data.Analysis 0.23 takes Arrow columns as they are, except three it gets wrong or lacks:
    /// boolean columns (it reads Arrow's bit-packed values as one byte per row and fails on Clone/Filter)
    /// are rebuilt, string columns with no character data are rebuilt, and list columns (stacks.frames, syscall_counts.keys) become one string per row, the
    /// items joined by " | ".
    /// </summary>
    public static DataFrame FromBatch(RecordBatch batch)
    {
        var plain = new List<(Field Field, IArrowArray Array)>();
        var rebuilt = new List<(int Index, DataFrameColumn Column)>();
        for (var i = 0; i < batch.ColumnCount; i++)
        {
            var f = batch.Schema.GetFieldByIndex(i);
            switch (batch.Column(i))
            {
                case BooleanArray b:
                    rebuilt.Add((i, new BooleanDataFrameColumn(f.Name, Enumerable.Range(0, b.Length).Select(r => b.GetValue(r)))));
                    break;
                // Microsoft.Data.Analysis reads an empty string through a null pointer when the column's
                // whole value buffer is empty (every value "" or null, e.g. host on a one-host trace) and throws.
                case StringArray str when str.ValueBuffer.Length == 0:
                    rebuilt.Add((i, new StringDataFrameColumn(f.Name, Enumerable.Range(0, str.Length).Select(r => str.IsNull(r) ? null : ""))));
                    break;
                case ListArray list:
                    rebuilt.Add((i, new StringDataFrameColumn(f.Name, Enumerable.Range(0, list.Length).Select(r => JoinItems(list, r)))));
                    break;
                default:
                    plain.Add((f, batch.Column(i)));
                    break;
            }
        }
        if (rebuilt.Count == 0) return DataFrame.FromArrowRecordBatch(batch);
        var df = plain.Count == 0 ? new DataFrame()
            : DataFrame.FromArrowRecordBatch(new RecordBatch(new Schema(plain.Select(p => p.Field), batch.Schema.Metadata), plain.Select(p => p.Array), batch.Length));
        foreach (var (index, column) in rebuilt) df.Columns.Insert(index, column);
        return df;
    }

    private static string? JoinItems(ListArray list, int row)
    {
        if (list.IsNull(row)) return null;
        var items = (StringArray)list.Values;
        var first = list.ValueOffsets[row];
        return string.Join(" | ", Enumerable.Range(first, list.GetValueLength(row)).Select(k => items.GetString(k)));
    }

    /// <summary>Just these columns, in this order (the columns are shared, not copied).</summary>
    public static DataFrame Select(DataFrame df, params string[] columns) => new(columns.Select(c => df.Columns[c]));

    /// <summary>
    /// Rows per distinct value of a column, most frequent first (ties by value). DataFrame.GroupBy cannot
    /// group the zero-copy Arrow string columns (it tries to resize them), so this counts directly.
    /// </summary>
    public static DataFrame CountBy(DataFrame df, string column, int top = int.MaxValue)
    {
        var counts = Strings(df, column).GroupBy(v => v ?? "").Select(g => (Key: g.Key, Rows: (long)g.Count()))
            .OrderByDescending(x => x.Rows).ThenBy(x => x.Key, StringComparer.Ordinal).Take(top).ToList();
        return new DataFrame(new StringDataFrameColumn(column, counts.Select(c => c.Key)), new PrimitiveDataFrameColumn<long>("rows", counts.Select(c => c.Rows)));
    }

    /// <summary>The column's values as longs (nulls skipped) — for charts and quick sums in a cell.</summary>
    public static long?[] Longs(DataFrame df, string column) => df.Columns[column] switch
    {
        PrimitiveDataFrameColumn<long> c => c.ToArray(),
        var c => throw new ArgumentException($"column {column} is {c.DataType.Name}, not int64"),
    };

    public static double?[] Doubles(DataFrame df, string column) => df.Columns[column] switch
    {
        PrimitiveDataFrameColumn<double> c => c.ToArray(),
        PrimitiveDataFrameColumn<long> c => c.Select(v => (double?)v).ToArray(),
        var c => throw new ArgumentException($"column {column} is {c.DataType.Name}, not numeric"),
    };

    public static string?[] Strings(DataFrame df, string column)
    {
        var c = df.Columns[column];
        var result = new string?[c.Length];
        for (var i = 0L; i < c.Length; i++) result[i] = c[i]?.ToString();
        return result;
    }
}
