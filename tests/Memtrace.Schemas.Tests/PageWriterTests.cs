using DuckDB.NET.Data;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.IO.ParquetPages;
using Memtrace.Schemas.Model;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Schemas.Tests;

/// <summary>
/// The archive's page writer, read back by three independent readers: DuckDB, Parquet.Net (PageDecoderTests' codec
/// theory runs every table through it and the page decoder too) and the page decoder; on seeded tables of every kind,
/// on the demo archive's real tables against Parquet.Net's own writer, and the RLE hybrid against its decoder.
/// </summary>
public sealed class PageWriterTests
{
    private static string WrittenFile(Table t, int rowGroupRows)
    {
        var path = Path.Combine(Repo.TempDir(), t.Def.Name + ".parquet");
        using (var fs = File.Create(path)) ParquetIo.Write(t, fs, ParquetIo.ArchiveCodec, rowGroupRows);
        return path;
    }

    [Theory]
    [MemberData(nameof(RoundTripTests.AllTables), MemberType = typeof(RoundTripTests))]
    public void DuckDB_reads_what_the_page_writer_wrote_cell_for_cell(string name)
    {
        var def = TableCatalog.Find(name)!;
        var t = RoundTripTests.RandomRows(def, 2_500, name.Length * 17 + 5);
        using var con = new DuckDBConnection("Data Source=:memory:");
        con.Open();
        Assert.Equal(2_500L * def.Columns.Count, PageDecoderTests.AssertDuckDBReads(con, WrittenFile(t, rowGroupRows: 1_000), t));
    }

    [Fact]
    public void Columns_all_null_never_null_and_empty_tables_read_back_through_all_three_readers()
    {
        var def = Tables.GpuAllocEvents.Def;
        var t = new Table(def);
        for (var i = 0; i < 3_000; i++)
        {
            foreach (var c in def.Columns)
            {
                var col = t[c.Name];
                if (c.Nullable) col.AppendNull();
                else if (col is Int64Column x) x.Append(i);
                else ((StringColumn)col).Append(i % 7 == 0 ? "free" : "alloc");
            }
            t.CommitRow();
        }
        using var con = new DuckDBConnection("Data Source=:memory:");
        con.Open();
        foreach (var table in new[] { t, new Table(def) })
        {
            var path = WrittenFile(table, rowGroupRows: 1_000);
            var bytes = File.ReadAllBytes(path);
            TableComparer.AssertEqual(table, ParquetIo.Read(def, bytes));
            TableComparer.AssertEqual(table, ParquetIo.ReadWithParquetNet(def, bytes));
            PageDecoderTests.AssertDuckDBReads(con, path, table);
        }
    }

    /// <summary>
    /// Real tables (the demo archive's captures of a Go service, its cgroup and /proc, a torch snapshot, dmesg …): the page
    /// writer's file decodes to the same table as Parquet.Net's writer's file, and two writes give the same bytes.
    /// </summary>
    [Fact]
    public void Real_archive_tables_read_back_as_ParquetNet_writes_them_and_the_bytes_are_deterministic()
    {
        var files = Directory.GetFiles(Path.Combine(Repo.Root, "samples", "demo-archive", "tables"), "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        long rows = 0;
        foreach (var f in files)
        {
            var def = TableCatalog.Find(Path.GetFileName(Path.GetDirectoryName(f))!)!;
            var original = ParquetIo.Read(def, File.ReadAllBytes(f));
            var ours = Bytes(s => ParquetIo.Write(original, s));
            Assert.Equal(ours, Bytes(s => ParquetIo.Write(original, s)));
            var theirs = Bytes(s => ParquetIo.WriteWithParquetNet(original, s).GetAwaiter().GetResult());
            TableComparer.AssertEqual(ParquetIo.Read(def, theirs), ParquetIo.Read(def, ours));
            TableComparer.AssertEqual(original, ParquetIo.ReadWithParquetNet(def, ours));
            rows += original.RowCount;
        }
        Assert.True(rows > 10_000, $"only {rows} real rows");
    }

    private static byte[] Bytes(Action<Stream> write)
    {
        using var ms = new MemoryStream();
        write(ms);
        return ms.ToArray();
    }

    /// <summary>Seeded sequences of runs and noise at every bit width, through Encode and back through the decoder.</summary>
    [Fact]
    public void Rle_hybrid_encoding_round_trips_through_the_decoder()
    {
        var rng = new Random(29);
        for (var bitWidth = 1; bitWidth <= 32; bitWidth++)
        {
            var max = bitWidth == 32 ? int.MaxValue : (1L << bitWidth) - 1;
            for (var trial = 0; trial < 20; trial++)
            {
                var values = new List<int>();
                var length = rng.Next(0, 3_000);
                while (values.Count < length)
                {
                    var v = (int)rng.NextInt64(0, max + 1);
                    var run = rng.Next(3) == 0 ? rng.Next(8, 100) : rng.Next(1, 4);
                    for (var i = 0; i < run; i++) values.Add(rng.Next(4) == 0 ? (int)rng.NextInt64(0, max + 1) : v);
                }
                var encoded = new PooledBufferWriter(16);
                RleHybrid.Encode(values.ToArray(), bitWidth, encoded);
                var decoded = new int[values.Count];
                RleHybrid.Decode(encoded.WrittenSpan, bitWidth, decoded);
                Assert.Equal(values, decoded);
                encoded.Dispose();
            }
        }
    }

    [Fact]
    public void A_column_without_nulls_is_one_RLE_run_of_ones()
    {
        var ones = new int[100_000];
        ones.AsSpan().Fill(1);
        using var encoded = new PooledBufferWriter(16);
        RleHybrid.Encode(ones, 1, encoded);
        Assert.True(RleHybrid.IsAllOnes(encoded.WrittenSpan, 1, ones.Length));
        Assert.Equal(4, encoded.WrittenCount); // a 3-byte varint header (200,000) and the value
    }
}
