using System.Globalization;
using DuckDB.NET.Data;
using Memtrace.Collectors.Importers;
using Memtrace.Schemas.Archive;
using Microsoft.Data.Sqlite;

namespace Memtrace.Bench;

/// <summary>Import rates for the RMM CSV and nsys SQLite formats, each against a peer reading the same file.</summary>
internal static class FormatBench
{
    public static IEnumerable<Figure> RmmImport(string work, int events)
    {
        var path = Path.Combine(work, "big.dev0.csv");
        using (var w = new StreamWriter(path))
        {
            w.Write("Thread,Time,Action,Pointer,Size,Stream\n");
            var rng = new Random(3);
            var live = new List<long>();
            long us = 0;
            for (var i = 0; i < events; i++)
            {
                us += 50;
                var tod = us % 86_400_000_000L;
                var time = $"{tod / 3_600_000_000:00}:{tod / 60_000_000 % 60:00}:{tod / 1_000_000 % 60:00}.{tod % 1_000_000:000000}";
                if (live.Count > 0 && (live.Count > 4000 || rng.Next(2) == 0))
                {
                    var k = rng.Next(live.Count);
                    var p = live[k];
                    live[k] = live[^1];
                    live.RemoveAt(live.Count - 1);
                    w.Write($"140213184464704,{time},free,0x{p:x},4096,0x5581f6a3c2d0\n");
                }
                else
                {
                    var p = 0x7f0000000000L + (long)i * 8192;
                    live.Add(p);
                    w.Write($"140213184464704,{time},allocate,0x{p:x},4096,0x5581f6a3c2d0\n");
                }
            }
        }
        var (ours, report) = Program.MedianImport(Path.Combine(work, "rmm-archive"), path, "rmm-csv", new ImportOptions { Date = new DateOnly(2026, 1, 1) }, rows: events);
        var peer = Program.Median(Enumerable.Range(0, 3).Select(run =>
        {
            long duckRows = 0;
            var s = Program.Time(() =>
                duckRows = Convert.ToInt64(Program.DuckRow($"SELECT count(*), sum(Size), count(DISTINCT Action) FROM read_csv('{path}', header = true, all_varchar = false)")[0], CultureInfo.InvariantCulture));
            if (duckRows != events) throw new InvalidOperationException("duckdb read a different row count");
            return s;
        }));
        Console.WriteLine($"rmm import: {events:N0} rows, {new FileInfo(path).Length / 1e6:0.0} MB, memtrace {ours:0.00} s (median of 3; the last: parse {report.Seconds.Parse:0.00} s + Parquet write {report.Seconds.Write:0.00} s), duckdb read_csv {peer:0.00} s (scan + aggregate, median of 3)");
        yield return new Figure("rmm_import_events_per_s", events / ours, "events/s", "duckdb read_csv", events / peer, peer / ours);
    }

    public static IEnumerable<Figure> NsysImport(string work, int events)
    {
        var path = Path.Combine(work, "big.sqlite");
        using (var con = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            con.Open();
            using (var c = con.CreateCommand())
            {
                c.CommandText = """
                    CREATE TABLE TARGET_INFO_SESSION_START_TIME (utcEpochNs INT, utcTime TEXT, localTime TEXT);
                    INSERT INTO TARGET_INFO_SESSION_START_TIME VALUES (1763900000000000000, '', '');
                    CREATE TABLE CUDA_GPU_MEMORY_USAGE_EVENTS (start INT NOT NULL, globalPid INT, deviceId INT, contextId INT, address INT, pc INT, bytes INT, memKind INT, memoryOperationType INT, streamId INT, correlationId INT, name INT);
                    """;
                c.ExecuteNonQuery();
            }
            using var tx = con.BeginTransaction();
            using var ins = con.CreateCommand();
            ins.CommandText = "INSERT INTO CUDA_GPU_MEMORY_USAGE_EVENTS VALUES ($s, 71213776896, 0, 1, $a, 0, 4096, 3, $op, 7, $s, 0)";
            var ps = ins.Parameters.Add("$s", SqliteType.Integer);
            var pa = ins.Parameters.Add("$a", SqliteType.Integer);
            var pop = ins.Parameters.Add("$op", SqliteType.Integer);
            for (var i = 0; i < events; i++)
            {
                ps.Value = i * 100L;
                pa.Value = 0x7f0000000000L + (i / 2) % 4096 * 8192L;
                pop.Value = i % 2;
                ins.ExecuteNonQuery();
            }
            tx.Commit();
        }
        var (ours, report) = Program.MedianImport(Path.Combine(work, "nsys-archive"), path, "nsys-sqlite", new ImportOptions(), rows: events);
        var peer = Program.Median(Enumerable.Range(0, 3).Select(run =>
        {
            long rows = 0;
            var s = Program.Time(() =>
            {
                using var con = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
                con.Open();
                using var c = con.CreateCommand();
                c.CommandText = "SELECT start, globalPid, deviceId, address, bytes, memKind, memoryOperationType, streamId FROM CUDA_GPU_MEMORY_USAGE_EVENTS ORDER BY start";
                using var r = c.ExecuteReader();
                while (r.Read()) { rows++; _ = r.GetInt64(3); }
            });
            if (rows != events) throw new InvalidOperationException("sqlite read a different row count");
            return s;
        }));
        Console.WriteLine($"nsys import: {events:N0} rows, {new FileInfo(path).Length / 1e6:0.0} MB, memtrace {ours:0.00} s (median of 3; the last: query {report.Seconds.Parse:0.00} s + Parquet write {report.Seconds.Write:0.00} s), bare SQLite scan {peer:0.00} s (median of 3)");
        yield return new Figure("nsys_import_events_per_s", events / ours, "events/s", "bare SQLite ordered scan", events / peer, peer / ours);
    }
}
