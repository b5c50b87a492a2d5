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
}
