using Memtrace.Schemas.Model;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Microsoft.Data.Sqlite;

namespace Memtrace.Collectors.Importers.NsysSqlite;

/// <summary>
/// Nsight Systems SQLite export (`nsys export --type sqlite`), table CUDA_GPU_MEMORY_USAGE_EVENTS:
/// start (ns from session start), globalPid, deviceId, contextId, address, pc, bytes, memKind,
/// memoryOperationType (0 allocation, 1 free) and, in newer versions, streamId, correlationId and name.
/// The absolute clock is TARGET_INFO_SESSION_START_TIME.utcEpochNs + start. Free space is measured
/// driver-style: gaps between live allocations inside the pool's observed range.
/// </summary>
public sealed class NsysSqliteImporter : IImporter
{
    public const string Table = "CUDA_GPU_MEMORY_USAGE_EVENTS";

    public string Format => "nsys-sqlite";
    public int Version => 1;
    public string Description => "Nsight Systems SQLite export (CUDA_GPU_MEMORY_USAGE_EVENTS)";

    public bool Sniff(ReadOnlySpan<byte> head, string path) => head.StartsWith("SQLite format 3\0"u8);

    /// <summary>CUPTI_ActivityMemoryKind, as nsys exports memKind.</summary>
    private static string MemKind(long k) => k switch
    {
        0 => "unknown",
        1 => "pageable",
        2 => "pinned",
        3 => "device",
        4 => "array",
        5 => "managed",
        6 => "device_static",
        7 => "managed_static",
        _ => $"kind{k}",
    };

    public ImportResult Import(ImportContext ctx)
    {
        var cs = new SqliteConnectionStringBuilder { DataSource = ctx.Path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var con = new SqliteConnection(cs);
        try
        {
            con.Open();
            return ImportOpen(ctx, con);
        }
        catch (SqliteException e)
        {
            throw new ImportRefusedException($"unreadable SQLite database: {e.Message.ReplaceLineEndings(" ")}");
        }
    }

    private static ImportResult ImportOpen(ImportContext ctx, SqliteConnection con)
    {
        var columns = Columns(con, Table);
        if (columns.Count == 0)
            throw new ImportRefusedException($"no {Table} table: re-record with `nsys profile --cuda-memory-usage=true` and export again");
        foreach (var required in new[] { "start", "globalPid", "deviceId", "address", "bytes", "memKind", "memoryOperationType" })
        {
            if (!columns.Contains(required)) throw new ImportRefusedException($"{Table} lacks column {required}: not an Nsight Systems export this importer knows");
        }
        long sessionStart = 0;
        var aligned = false;
        if (Columns(con, "TARGET_INFO_SESSION_START_TIME").Contains("utcEpochNs"))
        {
            using var c = con.CreateCommand();
            c.CommandText = "SELECT utcEpochNs FROM TARGET_INFO_SESSION_START_TIME LIMIT 1";
            if (c.ExecuteScalar() is long v) { sessionStart = v; aligned = true; }
        }
        var hasStream = columns.Contains("streamId");
        var hasCorrelation = columns.Contains("correlationId");
        var hasContext = columns.Contains("contextId");
        using var cmd = con.CreateCommand();
        cmd.CommandText = $"SELECT rowid, start, globalPid, deviceId, address, bytes, memKind, memoryOperationType, {(hasStream ? "streamId" : "NULL")}, {(hasCorrelation ? "correlationId" : "NULL")}, {(hasContext ? "contextId" : "NULL")} FROM {Table} ORDER BY start, rowid";
        using var r = cmd.ExecuteReader();
        var t = new Table(GpuAllocEvents.Def);
        var kinds = new Dictionary<long, (string Pool, string Api)>();
        long seq = 0;
        while (r.Read())
        {
            var rowid = r.GetInt64(0);
            if (AnyNull(r) || r.GetFieldType(4) != typeof(long) || r.GetFieldType(5) != typeof(long))
            {
                ctx.Stats.Log(StatsCatalog.NsysBadRow, $"{Table} rowid {rowid}", Row(r), "NULL or non-integer field");
                continue;
            }
            var bytes = r.GetInt64(5);
            var op = r.GetInt64(7);
            if (bytes < 0)
            {
                ctx.Stats.Log(StatsCatalog.NsysBadRow, $"{Table} rowid {rowid}", Row(r), "negative bytes");
                continue;
            }
            if (op is not (0 or 1))
            {
                ctx.Stats.Log(StatsCatalog.NsysUnknownOperation, $"{Table} rowid {rowid}", Row(r), $"memoryOperationType {op}");
                continue;
            }
            var kindCode = r.GetInt64(6);
            if (!kinds.TryGetValue(kindCode, out var names))
            {
                var kind = MemKind(kindCode);
                kinds[kindCode] = names = (kind is "device" or "device_static" ? "nsys" : $"nsys-{kind}", $"nsys memKind={kind}");
            }
            t.Str("source_id").Append(ctx.SourceId);
            t.I64("seq").Append(seq++);
            t.I64("ts_ns").Append(sessionStart + r.GetInt64(1));
            t.Str("host").Append(ctx.Options.Host);
            t.I64("pid").Append((r.GetInt64(2) >> 24) & 0xFFFFFF);
            t.I64("device").Append(r.GetInt64(3));
            t.Str("pool").Append(names.Pool);
            t.Str("op").Append(op == 0 ? "alloc" : "free");
            t.I64("address").Append(r.GetInt64(4));
            t.I64("size").Append(bytes);
            t.I64("stream").Append(r.IsDBNull(8) ? null : r.GetInt64(8));
            t.Str("api").Append(names.Api);
            t.CommitRow();
        }
        return new ImportResult
        {
            Tables = [t],
            ClockDomain = aligned ? "realtime" : "session-relative",
            ClockAligned = aligned,
            Notes = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["session_start_utc_ns"] = sessionStart.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        };
    }

    private static bool AnyNull(SqliteDataReader r)
    {
        for (var i = 1; i <= 7; i++) if (r.IsDBNull(i)) return true;
        return false;
    }

    private static HashSet<string> Columns(SqliteConnection con, string table)
    {
        using var c = con.CreateCommand();
        c.CommandText = "SELECT name FROM pragma_table_info($t)";
        c.Parameters.AddWithValue("$t", table);
        using var r = c.ExecuteReader();
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (r.Read()) set.Add(r.GetString(0));
        return set;
    }

    private static string Row(SqliteDataReader r) =>
        string.Join(",", Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "NULL" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)));
}
