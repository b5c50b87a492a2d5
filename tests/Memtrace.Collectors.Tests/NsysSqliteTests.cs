using Memtrace.Collectors.Importers;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>
/// Fixtures are built here to the letter of Nsight Systems' documented SQLite export schema
/// (CUDA_GPU_MEMORY_USAGE_EVENTS, TARGET_INFO_SESSION_START_TIME); a real export needs a GPU.
/// </summary>
public sealed class NsysSqliteTests
{
    private const long GlobalPid = (1L << 56) | (4242L << 24); // hwId/vmId bits, then pid 4242 in bits 24..47

    internal static string Build(string dir, bool newColumns = true, bool memoryTable = true, bool badRows = false)
    {
        var path = Path.Combine(dir, $"report-{Guid.NewGuid():N}.sqlite");
        using var con = new SqliteConnection($"Data Source={path};Pooling=False");
        con.Open();
        void Exec(string sql)
        {
            using var c = con.CreateCommand();
            c.CommandText = sql;
            c.ExecuteNonQuery();
        }
        Exec("CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT NOT NULL)");
        Exec("CREATE TABLE TARGET_INFO_SESSION_START_TIME (utcEpochNs INT, utcTime TEXT, localTime TEXT)");
        Exec("INSERT INTO TARGET_INFO_SESSION_START_TIME VALUES (1763900000000000000, '2025-11-23T12:13:20Z', '')");
        if (memoryTable)
        {
            var extra = newColumns ? ", streamId INT, correlationId INT, name INT" : "";
            Exec($"CREATE TABLE CUDA_GPU_MEMORY_USAGE_EVENTS (start INT NOT NULL, globalPid INT, deviceId INT, contextId INT, address INT, pc INT, bytes INT, memKind INT, memoryOperationType INT{extra})");
            const long baseAddr = 0x7f0000000000;
            var rows = new List<string>();
            for (var i = 0; i < 4; i++) rows.Add($"({1000 + i * 10}, {GlobalPid}, 0, 1, {baseAddr + i * (1 << 20)}, 0, {1 << 20}, 3, 0{(newColumns ? ", 7, 100, 0" : "")})");
            rows.Add($"(1100, {GlobalPid}, 0, 1, {baseAddr + (1 << 20)}, 0, {1 << 20}, 3, 1{(newColumns ? ", 7, 101, 0" : "")})");
            rows.Add($"(1110, {GlobalPid}, 0, 1, 140000000, 0, 4096, 2, 0{(newColumns ? ", 0, 102, 0" : "")})");
            if (badRows)
            {
                rows.Add($"(1120, {GlobalPid}, 0, 1, NULL, 0, 4096, 3, 0{(newColumns ? ", 0, 103, 0" : "")})");
                rows.Add($"(1130, {GlobalPid}, 0, 1, {baseAddr}, 0, 4096, 3, 9{(newColumns ? ", 0, 104, 0" : "")})");
            }
            Exec($"INSERT INTO CUDA_GPU_MEMORY_USAGE_EVENTS VALUES {string.Join(",", rows)}");
        }
        return path;
    }

    private static (ImportReport Report, TraceArchive Archive) Import(string path)
    {
        var archive = TraceArchive.OpenOrCreate(Path.Combine(Path.GetDirectoryName(path)!, "a-" + Path.GetFileNameWithoutExtension(path)));
        return (new ImportRunner(archive, new ImportOptions()).ImportOne(path, "auto"), archive);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Imports_with_or_without_the_optional_columns(bool newColumns)
    {
        var (report, archive) = Import(Build(Repo.TempDir(), newColumns));
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        Assert.Equal("nsys-sqlite", report.Format);
        var ev = archive.ReadTable(GpuAllocEvents.Def);
        Assert.Equal(6, ev.RowCount);
        Assert.All(Enumerable.Range(0, ev.RowCount), i => Assert.Equal(4242, ev[GpuAllocEvents.Pid][i]));
        Assert.Equal(1763900000000001000L, ev[GpuAllocEvents.TsNs][0]);
        Assert.Equal(5, Enumerable.Range(0, ev.RowCount).Count(i => ev[GpuAllocEvents.Pool][i] == "nsys"));
        Assert.Single(Enumerable.Range(0, ev.RowCount), i => ev[GpuAllocEvents.Pool][i] == "nsys-pinned");
        Assert.Equal(newColumns, !ev[GpuAllocEvents.Stream].IsNull(0));
    }

    [Fact]
    public void Bad_rows_are_counted_and_logged()
    {
        var (report, archive) = Import(Build(Repo.TempDir(), badRows: true));
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        var src = archive.Manifest.Sources.Single();
        Assert.Equal(1, src.Stats[StatsCatalog.NsysBadRow.Key]);
        Assert.Equal(1, src.Stats[StatsCatalog.NsysUnknownOperation.Key]);
        var log = archive.ReadTable(ImportLog.Def);
        Assert.Contains(Enumerable.Range(0, log.RowCount), i => log[ImportLog.Location][i]!.StartsWith("CUDA_GPU_MEMORY_USAGE_EVENTS rowid", StringComparison.Ordinal));
    }

    [Fact]
    public void A_report_without_the_memory_table_is_refused_with_the_fix()
    {
        var (report, _) = Import(Build(Repo.TempDir(), memoryTable: false));
        Assert.Equal(ImportOutcome.Refused, report.Outcome);
        Assert.Contains("--cuda-memory-usage=true", report.Message);
    }

    /// <summary>
    /// A seeded export of 250,000 rows (so the scan runs in parts), out of time order with ties, rowid gaps and every kind
    /// of bad row, against a naive oracle: one ordered ADO.NET query with the validity test in SQL, as the importer read
    /// it before its parallel scan. Events (by seq), the import_log (by seq) and the counters must all agree.
    /// </summary>
    [Fact]
    public void The_parallel_scan_imports_what_one_ordered_query_reads()
    {
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "seeded.sqlite");
        var rng = new Random(41);
        using (var con = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            con.Open();
            using (var c = con.CreateCommand())
            {
                c.CommandText = "CREATE TABLE TARGET_INFO_SESSION_START_TIME (utcEpochNs INT); INSERT INTO TARGET_INFO_SESSION_START_TIME VALUES (1763900000000000000);"
                    + "CREATE TABLE CUDA_GPU_MEMORY_USAGE_EVENTS (start INT, globalPid INT, deviceId INT, contextId INT, address INT, pc INT, bytes INT, memKind INT, memoryOperationType INT, streamId INT, correlationId INT, name INT)";
                c.ExecuteNonQuery();
            }
            using var tx = con.BeginTransaction();
            using var ins = con.CreateCommand();
            ins.CommandText = "INSERT INTO CUDA_GPU_MEMORY_USAGE_EVENTS VALUES ($s, $g, $d, 1, $a, 0, $b, $k, $o, $st, $i, 0)";
            var p = new[] { "$s", "$g", "$d", "$a", "$b", "$k", "$o", "$st", "$i" }.Select(n => ins.Parameters.Add(n, SqliteType.Integer)).ToArray();
            for (var i = 0; i < 250_000; i++)
            {
                p[0].Value = rng.Next(5_000) == 0 ? DBNull.Value : rng.NextInt64(0, 1_000_000); // ties and disorder
                p[1].Value = (long)rng.Next(1, 4) << 24;
                p[2].Value = (long)rng.Next(4);
                p[3].Value = rng.Next(3_000) switch { 0 => DBNull.Value, 1 => "0x7f00", _ => 0x7f0000000000L + rng.Next(1 << 20) * 4096L };
                p[4].Value = rng.Next(3_000) == 0 ? -4096L : rng.Next(1, 1 << 20);
                p[5].Value = (long)rng.Next(9);
                p[6].Value = rng.Next(3_000) == 0 ? 9L : rng.Next(2);
                p[7].Value = rng.Next(10) == 0 ? DBNull.Value : (long)rng.Next(8);
                p[8].Value = (long)i;
                ins.ExecuteNonQuery();
            }
            using (var del = con.CreateCommand())
            {
                del.CommandText = "DELETE FROM CUDA_GPU_MEMORY_USAGE_EVENTS WHERE rowid % 97 = 0";
                del.ExecuteNonQuery();
            }
            tx.Commit();
        }
        var (expectedEvents, expectedLog) = Oracle(path);
        Assert.True(expectedLog.Count is > 100 and < 1_000, $"{expectedLog.Count} bad rows");

        var (report, archive) = Import(path);
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        var ev = archive.ReadTable(GpuAllocEvents.Def);
        var actualEvents = Enumerable.Range(0, ev.RowCount).OrderBy(i => ev[GpuAllocEvents.Seq][i])
            .Select(i => $"{ev[GpuAllocEvents.TsNs][i]} {ev[GpuAllocEvents.Pid][i]} {ev[GpuAllocEvents.Device][i]} {ev[GpuAllocEvents.Pool][i]} {ev[GpuAllocEvents.Op][i]} {ev[GpuAllocEvents.Address][i]} {ev[GpuAllocEvents.Size][i]} {ev[GpuAllocEvents.Stream].Get(i)?.ToString() ?? "null"} {ev[GpuAllocEvents.Api][i]}").ToList();
        Assert.Equal(expectedEvents, actualEvents);
        var log = archive.ReadTable(ImportLog.Def);
        var actualLog = Enumerable.Range(0, log.RowCount).OrderBy(i => log[ImportLog.Seq][i]).Select(i => $"{log[ImportLog.Location][i]} | {log[ImportLog.Excerpt][i]} | {log[ImportLog.Message][i]}").ToList();
        Assert.Equal(expectedLog, actualLog);
        var stats = archive.Manifest.Sources.Single().Stats;
        Assert.Equal(expectedLog.Count(l => !l.EndsWith("memoryOperationType 9", StringComparison.Ordinal)), stats[StatsCatalog.NsysBadRow.Key]);
        Assert.Equal(expectedLog.Count(l => l.EndsWith("memoryOperationType 9", StringComparison.Ordinal)), stats[StatsCatalog.NsysUnknownOperation.Key]);
    }

    private static (List<string> Events, List<string> Log) Oracle(string path)
    {
        using var con = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        con.Open();
        using var c = con.CreateCommand();
        c.CommandText = "SELECT rowid, start, globalPid, deviceId, address, bytes, memKind, memoryOperationType, streamId, correlationId, contextId, "
            + "(start IS NOT NULL AND globalPid IS NOT NULL AND deviceId IS NOT NULL AND memKind IS NOT NULL AND memoryOperationType IS NOT NULL "
            + "AND typeof(address) = 'integer' AND typeof(bytes) = 'integer') FROM CUDA_GPU_MEMORY_USAGE_EVENTS ORDER BY start, rowid";
        using var r = c.ExecuteReader();
        var events = new List<string>();
        var log = new List<string>();
        string[] kinds = ["unknown", "pageable", "pinned", "device", "array", "managed", "device_static", "managed_static"];
        while (r.Read())
        {
            var excerpt = string.Join(",", Enumerable.Range(0, 11).Select(i => r.IsDBNull(i) ? "NULL" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)));
            var where = $"CUDA_GPU_MEMORY_USAGE_EVENTS rowid {r.GetInt64(0)} | {excerpt} | ";
            if (r.GetInt64(11) == 0) log.Add(where + "NULL or non-integer field");
            else if (r.GetInt64(5) < 0) log.Add(where + "negative bytes");
            else if (r.GetInt64(7) is not (0 or 1) and var op) log.Add(where + $"memoryOperationType {op}");
            else
            {
                var k = r.GetInt64(6);
                var kind = k < kinds.Length ? kinds[k] : $"kind{k}";
                var pool = kind is "device" or "device_static" ? "nsys" : "nsys-" + kind;
                events.Add($"{1763900000000000000L + r.GetInt64(1)} {(r.GetInt64(2) >> 24) & 0xFFFFFF} {r.GetInt64(3)} {pool} {(r.GetInt64(7) == 0 ? "alloc" : "free")} {r.GetInt64(4)} {r.GetInt64(5)} {(r.IsDBNull(8) ? "null" : r.GetInt64(8).ToString(System.Globalization.CultureInfo.InvariantCulture))} nsys memKind={kind}");
            }
        }
        return (events, log);
    }
}
