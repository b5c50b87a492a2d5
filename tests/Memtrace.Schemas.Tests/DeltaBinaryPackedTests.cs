using DuckDB.NET.Data;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.IO.ParquetPages;
using Memtrace.Schemas.Model;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Schemas.Tests;

/// <summary>
/// DELTA_BINARY_PACKED: the encoder and decoder against the values themselves on seeded sequences of every shape (each
/// length around a miniblock's and a block's edge, bit widths 0 to 64, deltas that wrap), the page writer's sorted
/// columns through DuckDB and Parquet.Net, and damaged pages refused with a reason. Files another writer encoded so
/// (DuckDB's PARQUET_VERSION V2, 2,048-value blocks) are PageDecoderTests'.
/// </summary>
public sealed class DeltaBinaryPackedTests
{
    public static TheoryData<string, int> Shapes()
    {
        var data = new TheoryData<string, int>();
        foreach (var shape in new[] { "constant", "steps", "jitter", "wide", "random", "random60", "extremes" })
            foreach (var n in new[] { 0, 1, 2, 31, 32, 33, 127, 128, 129, 130, 161, 1_000, 4_097 })
                data.Add(shape, n);
        return data;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Round_trips_every_shape_and_length(string shape, int n)
    {
        var values = Values(shape, n, seed: n * 31 + shape.Length);
        using var body = new PooledBufferWriter(16);
        DeltaBinaryPacked.Encode(values, body);
        var back = new long[n];
        DeltaBinaryPacked.Decode(body.WrittenSpan, back);
        Assert.Equal(values, back);
    }

    private static long[] Values(string shape, int n, int seed)
    {
        var rng = new Random(seed);
        var v = new long[n];
        long at = 1_700_000_000_000_000_000;
        for (var i = 0; i < n; i++)
        {
            at += shape switch
            {
                "constant" => 0,
                "steps" => 1,
                "jitter" => 50_000 + rng.Next(-1_000, 1_000),
                "wide" => rng.NextInt64(0, 1L << 40) * (rng.Next(8) == 0 ? 1 : 0), // widths vary from miniblock to miniblock
                _ => 0,
            };
            v[i] = shape switch
            {
                "random" => rng.NextInt64(long.MinValue, long.MaxValue), // deltas that overflow and wrap: 64-bit widths
                "random60" => rng.NextInt64(1L << 60), // 61-bit widths: values that straddle an 8-byte word
                "extremes" => i % 2 == 0 ? long.MinValue : long.MaxValue,
                _ => at,
            };
        }
        return v;
    }

    [Fact]
    public void The_page_writer_packs_sorted_columns_and_DuckDB_and_ParquetNet_read_them_back()
    {
        var def = Tables.GpuAllocEvents.Def;
        var rng = new Random(5);
        var t = new Table(def);
        long ts = 1_700_000_000_000_000_000;
        for (var i = 0; i < 5_000; i++)
        {
            ts += rng.Next(8) == 0 ? rng.NextInt64(1L << 33) : rng.Next(3_000);
            t[Col.SourceId].Append("s");
            t[Tables.GpuAllocEvents.Seq].Append(i);
            t[Tables.GpuAllocEvents.TsNs].Append(ts);
            t[Tables.GpuAllocEvents.Host].Append("h");
            t[Tables.GpuAllocEvents.Pid].Append(7);
            t[Tables.GpuAllocEvents.Device].Append(0);
            t[Tables.GpuAllocEvents.Pool].Append("torch-caching");
            t[Tables.GpuAllocEvents.Op].Append(i % 2 == 0 ? "alloc" : "free_completed");
            t[Tables.GpuAllocEvents.Address].Append(rng.NextInt64(1L << 40)); // not sorted: stays PLAIN
            t[Tables.GpuAllocEvents.Size].Append(rng.Next(1, 1 << 20));
            t.CommitRow();
        }
        var path = Path.Combine(Repo.TempDir(), "events.parquet");
        using (var fs = File.Create(path)) ParquetIo.Write(t, fs, ParquetIo.ArchiveCodec, rowGroupRows: 2_000);
        var bytes = File.ReadAllBytes(path);
        var footer = PageDecoderTests.FooterOf(bytes);
        var encodings = footer.RowGroups[0].Columns.ToDictionary(c => c.MetaData!.PathInSchema[0], c => c.MetaData!.Encodings);
        Assert.Contains(Parquet.Meta.Encoding.DELTA_BINARY_PACKED, encodings["ts_ns"]);
        Assert.Contains(Parquet.Meta.Encoding.DELTA_BINARY_PACKED, encodings["seq"]);
        Assert.DoesNotContain(Parquet.Meta.Encoding.DELTA_BINARY_PACKED, encodings["address"]);
        TableComparer.AssertEqual(t, ParquetIo.Read(def, bytes));
        TableComparer.AssertEqual(t, ParquetIo.ReadWithParquetNet(def, bytes));
        using var con = new DuckDBConnection("Data Source=:memory:");
        con.Open();
        PageDecoderTests.AssertDuckDBReads(con, path, t);
    }

    public static TheoryData<string, byte[], int> Damaged => new()
    {
        { "empty", [], 1 },
        { "block size not a multiple of 128", [100, 4, 1, 0], 1 },
        { "no miniblocks", [0x80, 0x01, 0, 1, 0], 1 }, // 128 as a varint is 0x80 0x01
        { "count differs", [0x80, 0x01, 4, 3, 0], 2 },
        { "varint never ends", [0x80, 0x01, 4, 2, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], 2 },
        { "bit width above 64", [0x80, 0x01, 4, 2, 0, 0, 65, 0, 0, 0], 2 },
        { "miniblock cut short", [0x80, 0x01, 4, 2, 0, 0, 8, 0, 0, 0, 1, 2, 3], 2 },
    };

    [Theory]
    [MemberData(nameof(Damaged))]
    public void Damaged_pages_are_refused_with_a_reason(string what, byte[] page, int values)
    {
        var e = Assert.Throws<InvalidDataException>(() => DeltaBinaryPacked.Decode(page, new long[values]));
        Assert.False(string.IsNullOrEmpty(e.Message), what);
    }
}
