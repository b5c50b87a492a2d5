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
        // Validity is computed by SQLite in the scan (column 11): one integer per row instead of eight null and type
        // probes through the ADO.NET reader, which made the per-row work 5× the bare scan.
        cmd.CommandText = $"SELECT rowid, start, globalPid, deviceId, address, bytes, memKind, memoryOperationType, {(hasStream ? "streamId" : "NULL")}, {(hasCorrelation ? "correlationId" : "NULL")}, {(hasContext ? "contextId" : "NULL")}, "
            + "(start IS NOT NULL AND globalPid IS NOT NULL AND deviceId IS NOT NULL AND memKind IS NOT NULL AND memoryOperationType IS NOT NULL "
            + $"AND typeof(address) = 'integer' AND typeof(bytes) = 'integer') FROM {Table} ORDER BY start, rowid";
        using var r = cmd.ExecuteReader();
        var t = new Table(GpuAllocEvents.Def);
        var (source, seqs, ts, host, pid, device, pool, ops, address, size, stream, api) = (t[Col.SourceId], t[GpuAllocEvents.Seq], t[GpuAllocEvents.TsNs], t[GpuAllocEvents.Host],
            t[GpuAllocEvents.Pid], t[GpuAllocEvents.Device], t[GpuAllocEvents.Pool], t[GpuAllocEvents.Op], t[GpuAllocEvents.Address], t[GpuAllocEvents.Size], t[GpuAllocEvents.Stream], t[GpuAllocEvents.Api]);
        var kinds = new Dictionary<long, (string Pool, string Api)>();
        long seq = 0;
        while (r.Read())
        {
            if (r.GetInt64(11) == 0)
            {
                ctx.Stats.Log(StatsCatalog.NsysBadRow, $"{Table} rowid {r.GetInt64(0)}", Row(r), "NULL or non-integer field");
                continue;
            }
            var bytes = r.GetInt64(5);
            var op = r.GetInt64(7);
            if (bytes < 0)
            {
                ctx.Stats.Log(StatsCatalog.NsysBadRow, $"{Table} rowid {r.GetInt64(0)}", Row(r), "negative bytes");
                continue;
            }
            if (op is not (0 or 1))
            {
                ctx.Stats.Log(StatsCatalog.NsysUnknownOperation, $"{Table} rowid {r.GetInt64(0)}", Row(r), $"memoryOperationType {op}");
                continue;
            }
            var kindCode = r.GetInt64(6);
            if (!kinds.TryGetValue(kindCode, out var names))
            {
                var kind = MemKind(kindCode);
                kinds[kindCode] = names = (kind is "device" or "device_static" ? "nsys" : $"nsys-{kind}", $"nsys memKind={kind}");
            }
            source.Append(ctx.SourceId);
            seqs.Append(seq++);
            ts.Append(sessionStart + r.GetInt64(1));
            host.Append(ctx.Options.Host);
            pid.Append((r.GetInt64(2) >> 24) & 0xFFFFFF);
            device.Append(r.GetInt64(3));
            pool.Append(names.Pool);
            ops.Append(op == 0 ? "alloc" : "free");
            address.Append(r.GetInt64(4));
            size.Append(bytes);
            stream.Append(r.IsDBNull(8) ? null : r.GetInt64(8));
            api.Append(names.Api);
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

    /// <summary>The row as its excerpt: the selected columns, not the validity flag.</summary>
    private static string Row(SqliteDataReader r) =>
        string.Join(",", Enumerable.Range(0, r.FieldCount - 1).Select(i => r.IsDBNull(i) ? "NULL" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)));
}
