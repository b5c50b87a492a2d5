using Apache.Arrow;
using Apache.Arrow.Ipc;
using Apache.Arrow.Types;
using Column = Memtrace.Schemas.Model.Column;
using Memtrace.Schemas.Model;
using Table = Memtrace.Schemas.Model.Table;

namespace Memtrace.Schemas.IO;

/// <summary>Result tables as Arrow IPC files (the "file" format pandas, polars and DuckDB open directly).</summary>
public static class ArrowIo
{
    public const int BatchRows = 1 << 20;

    public static Schema SchemaFor(TableDef def)
    {
        var b = new Schema.Builder();
        foreach (var c in def.Columns)
        {
            var c1 = c;
            b.Field(f => f.Name(c1.Name).DataType(TypeFor(c1)).Nullable(c1.Nullable));
        }
        b.Metadata("memtrace.table", def.Name);
        b.Metadata("memtrace.version", def.Version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return b.Build();
    }

    private static IArrowType TypeFor(ColumnDef c) => c.Type switch
    {
        ColumnType.Int64 => Int64Type.Default,
        ColumnType.Float64 => DoubleType.Default,
        ColumnType.Bool => BooleanType.Default,
        ColumnType.String => StringType.Default,
        ColumnType.StringList => new ListType(new Field("item", StringType.Default, false)),
        _ => throw new ArgumentOutOfRangeException(nameof(c)),
    };

    public static void Write(Table t, Stream s)
    {
        var schema = SchemaFor(t.Def);
        using var w = new ArrowFileWriter(s, schema, leaveOpen: true);
        foreach (var batch in ToBatches(t, BatchRows))
            using (batch) w.WriteRecordBatch(batch);
        w.WriteEnd();
    }

    /// <summary>The table as record batches of at most <paramref name="rowsPerBatch"/> rows (one empty batch for an empty table).</summary>
    public static IEnumerable<RecordBatch> ToBatches(Table t, int rowsPerBatch = BatchRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowsPerBatch, 1);
        var schema = SchemaFor(t.Def);
        for (var start = 0; start < t.RowCount || start == 0; start += rowsPerBatch)
        {
            var n = Math.Min(rowsPerBatch, t.RowCount - start);
            yield return new RecordBatch(schema, t.Columns.Select(c => BuildArray(c, start, n)).ToArray(), n);
            if (t.RowCount == 0) yield break;
        }
    }

    private static IArrowArray BuildArray(Column col, int start, int n)
    {
        switch (col)
        {
            case Int64Column c:
            {
                var b = new Int64Array.Builder().Reserve(n);
                if (!c.HasNulls) return b.Append(c.Values.Slice(start, n)).Build();
                for (var i = start; i < start + n; i++) b.Append(c.Get(i));
                return b.Build();
            }
            case Float64Column c:
            {
                var b = new DoubleArray.Builder().Reserve(n);
                if (!c.HasNulls) return b.Append(c.Values.Slice(start, n)).Build();
                for (var i = start; i < start + n; i++) b.Append(c.Get(i));
                return b.Build();
            }
            case BoolColumn c:
            {
                var b = new BooleanArray.Builder().Reserve(n);
                for (var i = start; i < start + n; i++)
                {
                    if (c.IsNull(i)) b.AppendNull();
                    else b.Append(c[i]);
                }
                return b.Build();
            }
            case StringColumn c:
            {
                // Each distinct value encoded once, then its bytes per row: the builder lays out the same buffers as
                // from strings (a result table's host, layer and cause columns repeat on every row).
                var utf8 = new byte[c.DistinctCount + 1][];
                var b = new StringArray.Builder().Reserve(n);
                for (var i = start; i < start + n; i++)
                {
                    var code = c.CodeAt(i);
                    if (code == 0) b.AppendNull();
                    else b.Append((utf8[code] ??= System.Text.Encoding.UTF8.GetBytes(c.ValueOfCode(code)!)).AsSpan());
                }
                return b.Build();
            }
            case StringListColumn c:
            {
                var b = new ListArray.Builder(new Field("item", StringType.Default, false));
                var vb = (StringArray.Builder)b.ValueBuilder;
                for (var i = start; i < start + n; i++)
                {
                    b.Append();
                    foreach (var s in c[i]) vb.Append(s);
                }
                return b.Build();
            }
            default: throw new InvalidOperationException(col.GetType().Name);
        }
    }

    public static Table Read(TableDef def, Stream s)
    {
        using var r = new ArrowFileReader(s, leaveOpen: true);
        var t = new Table(def);
        while (r.ReadNextRecordBatch() is { } batch)
        {
            using (batch)
            {
                for (var ci = 0; ci < def.Columns.Count; ci++)
                {
                    var idx = batch.Schema.GetFieldIndex(def.Columns[ci].Name);
                    var col = t.Columns[ci];
                    if (idx < 0)
                    {
                        for (var i = 0; i < batch.Length; i++) col.AppendNull();
                        continue;
                    }
                    ReadArray(batch.Column(idx), col);
                }
            }
        }
        t.SealBulk();
        return t;
    }

    private static void ReadArray(IArrowArray a, Column col)
    {
        switch (col)
        {
            case Int64Column c:
            {
                var arr = (Int64Array)a;
                if (arr.NullCount == 0) c.AppendRange(arr.Values);
                else for (var i = 0; i < arr.Length; i++) c.Append(arr.GetValue(i));
                break;
            }
            case Float64Column c:
            {
                var arr = (DoubleArray)a;
                if (arr.NullCount == 0) c.AppendRange(arr.Values);
                else for (var i = 0; i < arr.Length; i++) c.Append(arr.GetValue(i));
                break;
            }
            case BoolColumn c:
            {
                var arr = (BooleanArray)a;
                for (var i = 0; i < arr.Length; i++) c.Append(arr.GetValue(i));
                break;
            }
            case StringColumn c:
            {
                var arr = (StringArray)a;
                for (var i = 0; i < arr.Length; i++)
                {
                    if (arr.IsNull(i)) c.AppendNull();
                    else c.AppendUtf8(arr.GetBytes(i));
                }
                break;
            }
            case StringListColumn c:
            {
                var arr = (ListArray)a;
                var values = (StringArray)arr.Values;
                for (var i = 0; i < arr.Length; i++)
                {
                    var o = arr.ValueOffsets[i];
                    var len = arr.ValueOffsets[i + 1] - o;
                    var items = new string[len];
                    for (var j = 0; j < len; j++) items[j] = values.GetString(o + j);
                    c.Append(items);
                }
                break;
            }
            default: throw new InvalidOperationException(col.GetType().Name);
        }
    }
}
