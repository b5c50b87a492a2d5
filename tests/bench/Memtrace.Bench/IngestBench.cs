using Memtrace.Pipeline.Synthetic;
using Memtrace.Schemas;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.IO;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;

namespace Memtrace.Bench;

/// <summary>
/// Archive ingest, side by side with DuckDB's read_parquet on the same files: memtrace's archive path (file
/// bytes, SHA-256 check, every column decoded into the in-memory table) against a DuckDB query that reads every
/// column of the file (sum of each number, count of each string), on 2 cores each.
///
/// gpu_alloc_events (sizes from the real snapshots) in each codec, for the speed-versus-size trade-off in
/// schemas/README.md; then every table of a `memtrace gen` fleet archive (host samples of Go services in
/// cgroups, GPU events, stacks), in the archive's codec. Five runs each, alternating; median, min and max.
/// </summary>
public static class IngestBench
{
    private const int Runs = 5;

    public static IEnumerable<Figure> Run(string work, int rows, int workloads)
    {
        var events = GpuEvents(rows);
        foreach (var codec in new[] { ParquetIo.ArchiveCodec, Parquet.CompressionMethod.Snappy, Parquet.CompressionMethod.None })
        {
            var suffix = codec == ParquetIo.ArchiveCodec ? "" : "_" + codec.ToString().ToLowerInvariant();
            var path = Path.Combine(work, $"events{suffix}.parquet");
            var writeS = Program.Time(() => AtomicFile.Write(path, st => ParquetIo.Write(events, st, codec)));
            var bytesPerRow = new FileInfo(path).Length / (double)rows;
            Console.WriteLine($"archive {codec}: {rows:N0} gpu_alloc_events rows, {bytesPerRow:0.0} B/row, write {writeS:0.00} s");
            yield return new Figure($"archive_write_rows_per_s{suffix}", rows / writeS, "rows/s", "-", null, null);
            yield return new Figure($"archive_bytes_per_row{suffix}", bytesPerRow, "B/row", "-", null, null);
            foreach (var f in SideBySide($"archive_read_rows_per_s{suffix}", GpuAllocEvents.Def, path, () =>
            {
                var bytes = File.ReadAllBytes(path);
                _ = System.Security.Cryptography.SHA256.HashData(bytes); // as the archive checks every file against its manifest
                return ParquetIo.Read(GpuAllocEvents.Def, bytes);
            })) yield return f;
        }

        // The library paths the page writer and decoder replaced, once each, on the archive codec's file: the before figures.
        var writerS = Program.Time(() => AtomicFile.Write(Path.Combine(work, "events-pw.parquet"), st => ParquetIo.Write(events, st)));
        var parquetNetWriteS = Program.Time(() => AtomicFile.Write(Path.Combine(work, "events-parquetnet.parquet"), st => ParquetIo.WriteWithParquetNet(events, st).GetAwaiter().GetResult()));
        Console.WriteLine($"  Parquet.Net writer (the path before the page writer): {parquetNetWriteS:0.00} s, page writer {writerS:0.00} s");
        yield return new Figure("archive_write_rows_per_s_vs_parquetnet", rows / writerS, "rows/s", "Parquet.Net writer", rows / parquetNetWriteS, parquetNetWriteS / writerS);
        var archiveFile = Path.Combine(work, "events.parquet");
        var parquetNetS = Program.Time(() => ParquetIo.ReadWithParquetNet(GpuAllocEvents.Def, File.ReadAllBytes(archiveFile)));
        Console.WriteLine($"  Parquet.Net column reader (the path before the page decoder): {parquetNetS:0.00} s");
        yield return new Figure("archive_read_rows_per_s_parquetnet", rows / parquetNetS, "rows/s", "-", null, null);

        var fleet = Path.Combine(work, "ingest-fleet");
        var demo = Path.Combine(Memtrace.Tests.Repo.Root, "samples", "demo-archive");
        var spec = new FleetSpec { GpuEvents = rows / 4, Devices = 2, Workloads = workloads, HostDuration = TimeSpan.FromHours(24), Seed = 3 };
        FleetArchiveGenerator.Write(fleet, spec, GpuDistributions.FromEvents(TraceArchive.Open(demo).ReadTable(GpuAllocEvents.Def)));
        var archive = TraceArchive.Open(fleet);
        foreach (var def in TableCatalog.Raw)
        {
            var rowsOfTable = archive.Manifest.Sources.Sum(s => s.Rows.GetValueOrDefault(def.Name));
            if (rowsOfTable < 1_000) continue;
            // The whole table as the pipeline reads it (every source's file, hash-checked) against DuckDB over the same files.
            var glob = Path.Combine(fleet, "tables", def.Name, "*.parquet");
            foreach (var f in SideBySide($"archive_read_rows_per_s_{def.Name}", def, glob, () => archive.ReadTable(def, (_, message) => throw new InvalidDataException(message)))) yield return f;
        }
    }

    private static Table GpuEvents(int rows)
    {
        var sizes = Program.RealSizes();
        var rng = new Random(7);
        var t = new Table(GpuAllocEvents.Def, rows);
        for (var i = 0; i < rows; i++)
        {
            t[Col.SourceId].Append("sbench"); t[GpuAllocEvents.Seq].Append(i); t[GpuAllocEvents.TsNs].Append(1_700_000_000_000_000_000L + i * 1000L + rng.Next(1000));
            t[GpuAllocEvents.Host].Append(""); t[GpuAllocEvents.Pid].Append(1); t[GpuAllocEvents.Device].Append(i & 7); t[GpuAllocEvents.Pool].Append("torch-caching");
            t[GpuAllocEvents.Op].Append((i & 1) == 0 ? "alloc" : "free_completed"); t[GpuAllocEvents.Address].Append(0x7f0000000000L + rng.Next(1 << 20) * 512L);
            t[GpuAllocEvents.Size].Append(sizes[rng.Next(sizes.Length)]); t[GpuAllocEvents.StackId].Append(rng.Next(100));
            t.CommitRow();
        }
        return t;
    }

    /// <summary>Both readers on one file, alternating; the answers checked against each other (row count, every integer column's sum, every string column's non-null count).</summary>
    private static IEnumerable<Figure> SideBySide(string name, TableDef def, string path, Func<Table> ingest)
    {
        var sql = $"SELECT count(*), {string.Join(", ", def.Columns.Select(Aggregate))} FROM read_parquet('{path}')";
        var ours = new List<double>();
        var peer = new List<double>();
        Table? read = null;
        object[]? duck = null;
        for (var run = 0; run < Runs; run++)
        {
            ours.Add(Program.Time(() => read = ingest()));
            read = null;
            GC.Collect();
            peer.Add(Program.Time(() => duck = Program.DuckRow(sql)));
        }
        read = ingest();
        if (Convert.ToInt64(duck![0], System.Globalization.CultureInfo.InvariantCulture) != read.RowCount) throw new InvalidOperationException($"{def.Name}: DuckDB counted {duck[0]} rows, memtrace read {read.RowCount}");
        for (var c = 0; c < def.Columns.Count; c++)
        {
            var column = read.Columns[c];
            if (column is Int64Column col && duck[c + 1] is not DBNull)
            {
                var sum = System.Numerics.BigInteger.Zero;
                for (var i = 0; i < col.Count; i++) if (!col.IsNull(i)) sum += col[i];
                if (sum != (System.Numerics.BigInteger)duck[c + 1]) throw new InvalidOperationException($"{def.Name}.{def.Columns[c].Name}: DuckDB's sum differs");
            }
            if (column is StringColumn)
            {
                var nonNull = Enumerable.Range(0, column.Count).Count(i => !column.IsNull(i));
                if (nonNull != Convert.ToInt64(duck[c + 1], System.Globalization.CultureInfo.InvariantCulture)) throw new InvalidOperationException($"{def.Name}.{def.Columns[c].Name}: DuckDB counts other non-null strings");
            }
        }
        ours.Sort();
        peer.Sort();
        var (oursMedian, peerMedian) = (Program.Median(ours), Program.Median(peer));
        var n = read.RowCount;
        Console.WriteLine($"  {name}: {n:N0} rows, memtrace median {oursMedian:0.000} s (min {ours[0]:0.000}, max {ours[^1]:0.000}), DuckDB median {peerMedian:0.000} s (min {peer[0]:0.000}, max {peer[^1]:0.000}), ratio {peerMedian / oursMedian:0.00}");
        yield return new Figure(name, n / oursMedian, "rows/s", "duckdb read_parquet", n / peerMedian, peerMedian / oursMedian);
        yield return new Figure(name + "_min", n / ours[^1], "rows/s", "duckdb read_parquet", n / peer[^1], peer[^1] / ours[^1]);
        yield return new Figure(name + "_max", n / ours[0], "rows/s", "duckdb read_parquet", n / peer[0], peer[0] / ours[0]);
    }

    private static string Aggregate(ColumnDef c) => c.Type switch
    {
        ColumnType.Int64 => $"sum(\"{c.Name}\")",
        ColumnType.Float64 => $"sum(\"{c.Name}\")",
        _ => $"count(\"{c.Name}\")",
    };
}
