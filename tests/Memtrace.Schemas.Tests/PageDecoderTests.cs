using DuckDB.NET.Data;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.IO.ParquetPages;
using Memtrace.Schemas.Model;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Schemas.Tests;

/// <summary>
/// The archive's own Parquet page decoder against Parquet.Net's reader (the oracle) on every table, every codec,
/// several row groups, files written by Parquet.Net (ours and the bundled demo archive's older Snappy/PLAIN files)
/// and by DuckDB, plus edge-case tables for its two hand-written parsers and damaged bytes.
/// </summary>
public sealed class PageDecoderTests
{
    public static TheoryData<string, Parquet.CompressionMethod> TablesAndCodecs()
    {
        var d = new TheoryData<string, Parquet.CompressionMethod>();
        foreach (var t in TableCatalog.All)
        {
            foreach (var codec in new[] { Parquet.CompressionMethod.Zstd, Parquet.CompressionMethod.Snappy, Parquet.CompressionMethod.None, Parquet.CompressionMethod.Lz4Raw })
                d.Add(t.Name, codec);
        }
        return d;
    }

    private static byte[] Written(Table t, Parquet.CompressionMethod codec, int rowGroupRows)
    {
        using var ms = new MemoryStream();
        ParquetIo.Write(t, ms, codec, rowGroupRows);
        return ms.ToArray();
    }

    internal static Parquet.Meta.FileMetaData FooterOf(byte[] bytes) =>
        Parquet.ParquetReader.CreateAsync(new MemoryStream(bytes)).GetAwaiter().GetResult().Metadata!;

    private static Table Decoded(TableDef def, byte[] bytes) =>
        PageReader.TryRead(def, bytes, FooterOf(bytes)) ?? throw new Xunit.Sdk.XunitException("the page decoder declined a file it should read");

    [Theory]
    [MemberData(nameof(TablesAndCodecs))]
    public void Every_table_decodes_as_ParquetNet_reads_it(string name, Parquet.CompressionMethod codec)
    {
        var def = TableCatalog.Find(name)!;
        var t = RoundTripTests.RandomRows(def, 2_500, name.Length * 31 + (int)codec);
        var bytes = Written(t, codec, rowGroupRows: 1_000); // three row groups, the last one short
        var ours = Decoded(def, bytes);
        TableComparer.AssertEqual(t, ours);
        TableComparer.AssertEqual(ParquetIo.ReadWithParquetNet(def, bytes), ours);
    }

    [Fact]
    public void All_null_and_never_null_columns_keep_their_compact_form()
    {
        var def = Tables.GpuAllocEvents.Def;
        var t = new Table(def);
        for (var i = 0; i < 3_000; i++)
        {
            foreach (var c in def.Columns)
            {
                switch (t[c.Name])
                {
                    case Int64Column x when c.Name == "tid": x.AppendNull(); break;
                    case Int64Column x when c.Name == "stream": x.Append(i % 1_000 == 999 ? null : i); break; // nulls in one row group only
                    case Int64Column x when c.Nullable && c.Name != "address": x.AppendNull(); break;
                    case Int64Column x: x.Append(i); break;
                    case StringColumn x: x.Append(c.Nullable ? null : i % 3 == 0 ? "alloc" : "free"); break;
                }
            }
            t.CommitRow();
        }
        var read = Decoded(def, Written(t, Parquet.CompressionMethod.Zstd, 1_000));
        TableComparer.AssertEqual(t, read);
        Assert.True(read[Tables.GpuAllocEvents.Tid].HasNulls);
        Assert.False(read[Tables.GpuAllocEvents.Address].HasNulls);
        Assert.True(read[Tables.GpuAllocEvents.Stream].HasNulls);
        Assert.Equal(2, read[Tables.GpuAllocEvents.Op].DistinctCount);
    }

    /// <summary>Files another version of the writer made: the demo archive was written with Snappy and PLAIN strings.</summary>
    [Fact]
    public void The_bundled_demo_archive_decodes_as_ParquetNet_reads_it()
    {
        var files = Directory.GetFiles(Path.Combine(Repo.Root, "samples", "demo-archive", "tables"), "*.parquet", SearchOption.AllDirectories);
        Assert.True(files.Length >= 10);
        foreach (var f in files)
        {
            var def = TableCatalog.Find(Path.GetFileName(Path.GetDirectoryName(f))!)!;
            var bytes = File.ReadAllBytes(f);
            TableComparer.AssertEqual(ParquetIo.ReadWithParquetNet(def, bytes), Decoded(def, bytes));
        }
    }

    /// <summary>
    /// The archive opens where users open it: DuckDB reads every Parquet file of the bundled demo archive (real
    /// snapshots and captures, and tables written by this session's writer) and every cell matches memtrace's own
    /// decoding: names, row counts and values.
    /// </summary>
    [Fact]
    public void DuckDB_reads_every_archive_file_as_memtrace_does()
    {
        var files = Directory.GetFiles(Path.Combine(Repo.Root, "samples", "demo-archive", "tables"), "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        using var con = new DuckDBConnection("Data Source=:memory:");
        con.Open();
        long cells = 0;
        foreach (var f in files)
        {
            var def = TableCatalog.Find(Path.GetFileName(Path.GetDirectoryName(f))!)!;
            cells += AssertDuckDBReads(con, f, Decoded(def, File.ReadAllBytes(f)));
        }
        Assert.True(cells > 100_000, $"only {cells} cells compared");
    }

    /// <summary>DuckDB's read_parquet of <paramref name="file"/> holds <paramref name="expected"/>'s names, rows and cells; returns the cells compared.</summary>
    internal static long AssertDuckDBReads(DuckDBConnection con, string file, Table expected)
    {
        var def = expected.Def;
        using var cmd = con.CreateCommand();
        cmd.CommandText = $"SELECT * FROM read_parquet('{file.Replace("'", "''")}')";
        using var reader = cmd.ExecuteReader();
        Assert.Equal(def.Columns.Select(c => c.Name), Enumerable.Range(0, reader.FieldCount).Select(reader.GetName));
        var row = 0;
        long cells = 0;
        while (reader.Read())
        {
            for (var c = 0; c < def.Columns.Count; c++, cells++)
            {
                var column = expected.Columns[c];
                var theirs = reader.IsDBNull(c) ? null : reader.GetValue(c);
                var mine = TableComparer.Cell(column, row, "\u0001");
                // The archive stores a list column (stacks.frames, stat_extra) as its JSON text in a string column.
                if (column is StringListColumn && theirs is string json) theirs = string.Join("\u0001", System.Text.Json.JsonSerializer.Deserialize<string[]>(json)!);
                Assert.True(Equals(mine, theirs), $"{Path.GetFileName(file)} ({def.Name}) row {row} column {def.Columns[c].Name}: memtrace {mine ?? "null"}, DuckDB {theirs ?? "null"}");
            }
            row++;
        }
        Assert.Equal(expected.RowCount, row);
        return cells;
    }

    /// <summary>
    /// Another writer: DuckDB's COPY … (FORMAT parquet) dictionary-encodes low-cardinality integers too and cuts its
    /// own pages and row groups; what it writes must read the same through both readers.
    /// </summary>
    [Theory]
    [InlineData("zstd", "V1")]
    [InlineData("snappy", "V1")]
    [InlineData("uncompressed", "V1")]
    [InlineData("zstd", "V2")]
    [InlineData("zstd", "V2 distinct api")]
    public void Files_DuckDB_wrote_decode_as_ParquetNet_reads_them(string codec, string parquetVersion)
    {
        var distinctApi = parquetVersion.EndsWith("distinct api", StringComparison.Ordinal);
        var dir = Repo.TempDir();
        try
        {
            var path = Path.Combine(dir, "events.parquet");
            using (var con = new DuckDBConnection("Data Source=:memory:"))
            {
                con.Open();
                using var cmd = con.CreateCommand();
                cmd.CommandText = $"""
                    COPY (SELECT 's1' AS source_id, i AS seq, 1700000000000000000 + i * 997 AS ts_ns, CASE WHEN i % 3 = 0 THEN 'gpu-a' ELSE 'gpu-b' END AS host,
                                 i % 4 AS pid, CASE WHEN i % 5 = 0 THEN NULL ELSE i % 7 END AS tid, i % 8 AS device, 'torch-caching' AS pool,
                                 CASE WHEN i % 2 = 0 THEN 'alloc' ELSE 'free_completed' END AS op, CASE WHEN i % 11 = 0 THEN NULL ELSE 140000000000000 + (i * 7919) % 100000 * 512 END AS address,
                                 (i * 31) % 65536 AS size, NULL::BIGINT AS requested_size, NULL::BIGINT AS block_size, NULL::BIGINT AS stream,
                                 {(distinctApi ? "'cudaMalloc ✓' || i::VARCHAR" : "CASE WHEN i % 13 = 0 THEN 'cudaMalloc ✓' ELSE NULL END")} AS api, i % 100 AS stack_id, NULL::BIGINT AS device_free, NULL::BIGINT AS return_code
                          FROM range(300000) t(i))
                    TO '{path}' (FORMAT parquet, COMPRESSION {codec}, ROW_GROUP_SIZE 100000, PARQUET_VERSION {parquetVersion[..2]})
                    """;
                cmd.ExecuteNonQuery();
            }
            var def = Tables.GpuAllocEvents.Def;
            var bytes = File.ReadAllBytes(path);
            var oracle = ParquetIo.ReadWithParquetNet(def, bytes);
            Assert.Equal(300_000, oracle.RowCount);
            if (distinctApi)
            {
                // A distinct string a row: DuckDB writes them DELTA_LENGTH_BYTE_ARRAY, outside the page decoder's subset. It
                // must decline the file, and both fallbacks (the whole file, and the streaming reader's row group at a
                // time) read it through Parquet.Net.
                Assert.Null(PageReader.TryRead(def, bytes, FooterOf(bytes)));
            }
            else TableComparer.AssertEqual(oracle, Decoded(def, bytes));
            if (parquetVersion == "V1") return;
            // Every V2 file carries DuckDB's DELTA_BINARY_PACKED integers (its own block layout), which the page decoder reads.
            Assert.Contains(FooterOf(bytes).RowGroups[0].Columns, c => c.MetaData!.Encodings.Contains(Parquet.Meta.Encoding.DELTA_BINARY_PACKED));
            TableComparer.AssertEqual(oracle, ParquetIo.Read(def, bytes));
            var byGroup = new Table(def);
            for (var g = 0; g < FooterOf(bytes).RowGroups.Count; g++)
            {
                using var stream = new MemoryStream(bytes);
                byGroup.AppendTable(ParquetIo.ReadRowGroupWithParquetNet(def, stream, g));
            }
            TableComparer.AssertEqual(oracle, byGroup);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    /// <summary>A flipped byte anywhere in the pages either still decodes or fails with a reason ReadTable reports; never another exception.</summary>
    [Fact]
    public void Damaged_pages_fail_with_a_located_reason_or_decode()
    {
        var def = Tables.GpuAllocEvents.Def;
        var t = RoundTripTests.RandomRows(def, 600, 5);
        var clean = Written(t, Parquet.CompressionMethod.Zstd, 200);
        var meta = FooterOf(clean);
        var pagesEnd = (int)meta.RowGroups.SelectMany(g => g.Columns).Max(c => c.MetaData!.DataPageOffset + c.MetaData.TotalCompressedSize);
        var rng = new Random(17);
        var located = 0;
        for (var trial = 0; trial < 400; trial++)
        {
            var bytes = (byte[])clean.Clone();
            var at = 4 + rng.Next(pagesEnd - 4);
            bytes[at] ^= (byte)(1 << rng.Next(8));
            try
            {
                _ = PageReader.TryRead(def, bytes, meta);
            }
            catch (InvalidDataException e)
            {
                Assert.Contains("row group", e.Message);
                located++;
            }
        }
        Assert.True(located > 100, $"only {located} of 400 flips were detected");
    }

    public static TheoryData<byte[], int, int[]> RleCases() => new()
    {
        // RLE run: header 5<<1, value 1 in one byte.
        { [0x0A, 0x01], 1, [1, 1, 1, 1, 1] },
        // Bit-packed, the spec's example: 1 group (header 1<<1|1), width 3, values 0..7 = 10001000 11000110 11111010.
        { [0x03, 0x88, 0xC6, 0xFA], 3, [0, 1, 2, 3, 4, 5, 6, 7] },
        // Only 5 of the group's 8 values wanted: the padding bytes may be absent.
        { [0x03, 0x88, 0xC6], 3, [0, 1, 2, 3, 4] },
        // An RLE run then a bit-packed group of width 1 (definition levels 1,0,1,0,1,0,0,1, LSB first).
        { [0x06, 0x01, 0x03, 0x95], 1, [1, 1, 1, 1, 0, 1, 0, 1, 0, 0, 1] },
        // Width 0: a dictionary of one value; the run stores no value bytes.
        { [0x08], 0, [0, 0, 0, 0] },
        // Width 12: two bytes of run value, little-endian.
        { [0x04, 0x34, 0x0A], 12, [0xA34, 0xA34] },
        // A run longer than wanted stops at the wanted count.
        { [0xFE, 0x01, 0x02], 2, [2, 2, 2] },
    };

    [Theory]
    [MemberData(nameof(RleCases))]
    public void Rle_hybrid_decodes_the_edge_cases(byte[] data, int bitWidth, int[] expected)
    {
        var output = new int[expected.Length];
        RleHybrid.Decode(data, bitWidth, output);
        Assert.Equal(expected, output);
    }

    public static TheoryData<byte[], int, int> BadRleCases() => new()
    {
        { [0x0A], 1, 5 },                 // run header without its value byte
        { [0x0A, 0x02], 1, 5 },           // value 2 does not fit in 1 bit
        { [0x00, 0x01], 1, 1 },           // run of length 0 would never end
        { [0x03, 0x88], 3, 8 },           // bit-packed group cut short
        { [0x0A, 0x01], 1, 6 },           // data ends before the wanted count
        { [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 1, 1 }, // 11-byte varint
        { [0x02, 0x01], 33, 1 },          // no Parquet width is over 32
    };

    [Theory]
    [MemberData(nameof(BadRleCases))]
    public void Rle_hybrid_refuses_damaged_runs(byte[] data, int bitWidth, int wanted) =>
        Assert.Throws<InvalidDataException>(() => RleHybrid.Decode(data, bitWidth, new int[wanted]));

    [Fact]
    public void Page_headers_parse_and_skip_what_they_do_not_use()
    {
        // PageHeader{1: type=0, 2: uncompressed=100, 3: compressed=60, 4: crc=7, 5: DataPageHeader{1: 10 values, 2: encoding 8,
        // 3: 3, 4: 3, 5: Statistics{1: binary "ab"}}} — zigzag varints, field-id deltas in the high nibble.
        byte[] bytes = [0x15, 0x00, 0x15, 0xC8, 0x01, 0x15, 0x78, 0x15, 0x0E, 0x1C, 0x15, 0x14, 0x15, 0x10, 0x15, 0x06, 0x15, 0x06, 0x1C, 0x18, 0x02, 0x61, 0x62, 0x00, 0x00, 0x00, 0xFF];
        var h = PageHeader.Parse(bytes, out var length);
        Assert.Equal(bytes.Length - 1, length);
        Assert.Equal((PageHeader.DataPage, 100, 60, 10, PageHeader.RleDictionary), (h.Type, h.UncompressedSize, h.CompressedSize, h.NumValues, h.Encoding));
        for (var cut = 0; cut < bytes.Length - 1; cut++)
        {
            var prefix = bytes[..cut];
            Assert.Throws<InvalidDataException>(() => PageHeader.Parse(prefix, out _));
        }
    }
}
