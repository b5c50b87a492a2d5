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
        var rows = NsysScan.Read(ctx.Path, con, Table, hasStream);
        // Events and log rows go in (start, rowid) order: the bad rows are logged in it, then the good rows are taken in
        // it (they are in rowid order already, so a stable sort by start).
        rows.Bad.Sort((a, b) => a.Start is null != b.Start is null ? (a.Start is null ? -1 : 1) : a.Start != b.Start ? a.Start!.Value.CompareTo(b.Start!.Value) : a.RowId.CompareTo(b.RowId));
        using (var excerpt = ExcerptQuery(con, hasStream, hasCorrelation, hasContext))
        {
            foreach (var (rowId, _, stat, reason) in rows.Bad)
                ctx.Stats.Log(stat, $"{Table} rowid {rowId}", ctx.Stats.WillLog(stat) ? Excerpt(excerpt, rowId) : "", reason);
        }
        var order = TimeOrder(rows.Start);
        var t = new Table(GpuAllocEvents.Def, rows.Count);
        var (source, seqs, ts, host, pid, device, pool, ops, address, size, stream, api) = (t[Col.SourceId], t[GpuAllocEvents.Seq], t[GpuAllocEvents.TsNs], t[GpuAllocEvents.Host],
            t[GpuAllocEvents.Pid], t[GpuAllocEvents.Device], t[GpuAllocEvents.Pool], t[GpuAllocEvents.Op], t[GpuAllocEvents.Address], t[GpuAllocEvents.Size], t[GpuAllocEvents.Stream], t[GpuAllocEvents.Api]);
        var kinds = new Dictionary<long, (string Pool, string Api)>();
        long seq = 0;
        foreach (var i in order)
        {
            var kindCode = rows.Kind[i];
            if (!kinds.TryGetValue(kindCode, out var names))
            {
                var kind = MemKind(kindCode);
                kinds[kindCode] = names = (kind is "device" or "device_static" ? "nsys" : $"nsys-{kind}", $"nsys memKind={kind}");
            }
            source.Append(ctx.SourceId);
            seqs.Append(seq++);
            ts.Append(sessionStart + rows.Start[i]);
            host.Append(ctx.Options.Host);
            pid.Append(rows.Pid[i]);
            device.Append(rows.Device[i]);
            pool.Append(names.Pool);
            ops.Append(rows.Op[i] == 0 ? "alloc" : "free");
            address.Append(rows.Address[i]);
            size.Append(rows.Bytes[i]);
            stream.Append(rows.Stream[i]);
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

    /// <summary>Row indices in (start, rowid) order: the identity when the export is in time order, as exports usually are.</summary>
    private static int[] TimeOrder(List<long> start)
    {
        var order = new int[start.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        var sorted = true;
        for (var i = 1; i < start.Count && sorted; i++) sorted = start[i] >= start[i - 1];
        if (!sorted) Array.Sort(order, (a, b) => start[a] != start[b] ? start[a].CompareTo(start[b]) : a.CompareTo(b));
        return order;
    }

    /// <summary>A refused row's columns as the table holds them, NULL where absent; one query for every excerpt.</summary>
    private static SqliteCommand ExcerptQuery(SqliteConnection con, bool hasStream, bool hasCorrelation, bool hasContext)
    {
        var c = con.CreateCommand();
        c.CommandText = $"SELECT rowid, start, globalPid, deviceId, address, bytes, memKind, memoryOperationType, {(hasStream ? "streamId" : "NULL")}, {(hasCorrelation ? "correlationId" : "NULL")}, {(hasContext ? "contextId" : "NULL")} FROM {Table} WHERE rowid = $r";
        c.Parameters.Add("$r", SqliteType.Integer);
        return c;
    }

    private static string Excerpt(SqliteCommand query, long rowId)
    {
        query.Parameters[0].Value = rowId;
        using var r = query.ExecuteReader();
        if (!r.Read()) return "";
        return string.Join(",", Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "NULL" : Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture)));
    }
}
