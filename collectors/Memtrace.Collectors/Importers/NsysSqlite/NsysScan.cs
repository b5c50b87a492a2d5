using System.Runtime.InteropServices;
using Memtrace.Schemas.Stats;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Memtrace.Collectors.Importers.NsysSqlite;

/// <summary>The scan's good rows, a list a column, in rowid order; and the rows it refused.</summary>
internal sealed class NsysRows
{
    public readonly List<long> Start = [], Pid = [], Device = [], Address = [], Bytes = [], Kind = [], Op = [];
    public readonly List<long?> Stream = [];

    /// <summary>Rows the scan refused: their rowid, why, and start (NULL sorts first), by which their log rows are ordered.</summary>
    public readonly List<(long RowId, long? Start, StatDef Stat, string Reason)> Bad = [];

    public int Count => Start.Count;

    public void AppendRange(NsysRows other)
    {
        foreach (var (mine, theirs) in new[] { (Start, other.Start), (Pid, other.Pid), (Device, other.Device), (Address, other.Address), (Bytes, other.Bytes), (Kind, other.Kind), (Op, other.Op) })
            mine.AddRange(theirs);
        Stream.AddRange(other.Stream);
        Bad.AddRange(other.Bad);
    }
}

/// <summary>
/// The scan of CUDA_GPU_MEMORY_USAGE_EVENTS: the table's rowid range cut into one part a core, each part read by its own
/// read-only connection in rowid order (no ORDER BY: the importer sorts by start itself, and an export is usually in
/// time order already), each value read by a direct call into the SQLite library the provider bundles.
///
/// Why not SqliteDataReader: measured here on 5 M rows (the bench's), reading 12 integer columns took 11.8–14.9 s through
/// it, 6.0 s through SQLitePCL.raw's sqlite3_column_int64 (a SafeHandle add-ref and release a call) and 3.4 s for the
/// statement's own stepping; the peer, an ordered scan reading one column a row, 4.2 s.
/// </summary>
internal static class NsysScan
{
    /// <summary>Below this many rowids one part: a second connection costs more than it saves.</summary>
    private const long PartitionRows = 200_000;

    public static NsysRows Read(string path, SqliteConnection con, string table, bool hasStream)
    {
        long min = 0, max = -1;
        using (var c = con.CreateCommand())
        {
            c.CommandText = $"SELECT min(rowid), max(rowid) FROM {table}";
            using var r = c.ExecuteReader();
            if (r.Read() && !r.IsDBNull(0)) (min, max) = (r.GetInt64(0), r.GetInt64(1));
        }
        if (max < min) return new NsysRows();
        var span = (ulong)(max - min) + 1;
        var parts = span < PartitionRows ? 1 : Math.Clamp(Environment.ProcessorCount, 1, 8);
        var results = new NsysRows[parts];
        var sql = $"SELECT rowid, start, globalPid, deviceId, address, bytes, memKind, memoryOperationType, {(hasStream ? "streamId" : "NULL")} FROM {table} WHERE rowid >= $lo AND rowid <= $hi";
        try
        {
            Parallel.For(0, parts, p =>
            {
                var lo = min + (long)(span * (ulong)p / (ulong)parts);
                var hi = p == parts - 1 ? max : min + (long)(span * (ulong)(p + 1) / (ulong)parts) - 1;
                results[p] = ReadRange(path, sql, lo, hi);
            });
        }
        catch (AggregateException e) when (e.InnerExceptions.OfType<SqliteException>().FirstOrDefault() is { } damaged)
        {
            // A damaged page in one part refuses the file as the sequential read did: one SqliteException, not the aggregate.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(damaged);
        }
        for (var p = 1; p < parts; p++) results[0].AppendRange(results[p]);
        return results[0];
    }

    private static NsysRows Run(sqlite3 db, sqlite3_stmt stmt)
    {
        var rows = new NsysRows();
        var h = stmt.DangerousGetHandle();
        int rc;
        while ((rc = raw.sqlite3_step(stmt)) == raw.SQLITE_ROW)
        {
            var rowId = Int64(stmt, h, 0);
            var start = Type(stmt, h, 1) == raw.SQLITE_NULL ? (long?)null : Int64(stmt, h, 1);
            // A row needs start, globalPid, deviceId, memKind and memoryOperationType, and integer address and bytes.
            var valid = start is not null && Type(stmt, h, 2) != raw.SQLITE_NULL && Type(stmt, h, 3) != raw.SQLITE_NULL && Type(stmt, h, 6) != raw.SQLITE_NULL
                && Type(stmt, h, 7) != raw.SQLITE_NULL && Type(stmt, h, 4) == raw.SQLITE_INTEGER && Type(stmt, h, 5) == raw.SQLITE_INTEGER;
            if (!valid)
            {
                rows.Bad.Add((rowId, start, StatsCatalog.NsysBadRow, "NULL or non-integer field"));
                continue;
            }
            var bytes = Int64(stmt, h, 5);
            var op = Int64(stmt, h, 7);
            if (bytes < 0)
            {
                rows.Bad.Add((rowId, start, StatsCatalog.NsysBadRow, "negative bytes"));
                continue;
            }
            if (op is not (0 or 1))
            {
                rows.Bad.Add((rowId, start, StatsCatalog.NsysUnknownOperation, $"memoryOperationType {op}"));
                continue;
            }
            rows.Start.Add(start!.Value);
            rows.Pid.Add((Int64(stmt, h, 2) >> 24) & 0xFFFFFF);
            rows.Device.Add(Int64(stmt, h, 3));
            rows.Address.Add(Int64(stmt, h, 4));
            rows.Bytes.Add(bytes);
            rows.Kind.Add(Int64(stmt, h, 6));
            rows.Op.Add(op);
            rows.Stream.Add(Type(stmt, h, 8) == raw.SQLITE_NULL ? null : Int64(stmt, h, 8));
        }
        if (rc != raw.SQLITE_DONE) SqliteException.ThrowExceptionForRC(rc, db);
        GC.KeepAlive(stmt);
        return rows;
    }

    /// <summary>
    /// One part on its own read-only connection, opened without SQLite's connection mutex (SQLITE_OPEN_NOMUTEX: the
    /// connection stays on this thread). Through Microsoft.Data.Sqlite's serialized connection every column read took and
    /// released that mutex: 19% of the import's samples.
    /// </summary>
    private static NsysRows ReadRange(string path, string sql, long lo, long hi)
    {
        var rc = raw.sqlite3_open_v2(path, out var db, raw.SQLITE_OPEN_READONLY | raw.SQLITE_OPEN_NOMUTEX, null);
        using (db)
        {
            SqliteException.ThrowExceptionForRC(rc, db);
            rc = raw.sqlite3_prepare_v2(db, sql, out var stmt);
            SqliteException.ThrowExceptionForRC(rc, db);
            using (stmt)
            {
                raw.sqlite3_bind_int64(stmt, 1, lo);
                raw.sqlite3_bind_int64(stmt, 2, hi);
                return Run(db, stmt);
            }
        }
    }

    private static readonly bool Direct = ProbeDirect();

    private static long Int64(sqlite3_stmt stmt, nint h, int column) => Direct ? sqlite3_column_int64(h, column) : raw.sqlite3_column_int64(stmt, column);

    private static int Type(sqlite3_stmt stmt, nint h, int column) => Direct ? sqlite3_column_type(h, column) : raw.sqlite3_column_type(stmt, column);

    /// <summary>True when the bundled library answers under its own name; else every value goes through SQLitePCL.raw.</summary>
    private static bool ProbeDirect()
    {
        try
        {
            return sqlite3_libversion_number() == raw.sqlite3_libversion_number();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    // e_sqlite3 is the library SQLitePCLRaw.bundle_e_sqlite3 ships and its provider binds by this name. Both calls only
    // read the current row, so they skip the GC transition.
    [DllImport("e_sqlite3"), SuppressGCTransition] private static extern long sqlite3_column_int64(nint stmt, int column);
    [DllImport("e_sqlite3"), SuppressGCTransition] private static extern int sqlite3_column_type(nint stmt, int column);
    [DllImport("e_sqlite3")] private static extern int sqlite3_libversion_number();
}
