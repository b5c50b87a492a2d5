using Memtrace.Schemas.Model;
using Memtrace.Schemas.Results;

namespace Memtrace.Pipeline.Fragmentation;

/// <summary>A result table's pool-key columns, bound once: a name lookup per cell was a fifth of a warm fragmentation
/// stage. The replay appends a row's key with it, and the report reads one back.</summary>
internal readonly record struct PoolKeyCells(StringColumn Host, Int64Column Pid, Int64Column Device, StringColumn Pool, StringColumn SourceId)
{
    public static PoolKeyCells Of(Table t) => new(t[PoolKeyColumns.Host], t[PoolKeyColumns.Pid], t[PoolKeyColumns.Device], t[PoolKeyColumns.Pool], t[PoolKeyColumns.SourceId]);

    public void Append(PoolKey k)
    {
        Host.Append(k.Host);
        Pid.Append(k.Pid);
        Device.Append(k.Device);
        Pool.Append(k.Pool);
        SourceId.Append(k.SourceId);
    }

    /// <summary>Row <paramref name="i"/>'s key; a missing string reads as empty.</summary>
    public PoolKey At(int i) => new(Host[i] ?? "", Pid[i], Device[i], Pool[i] ?? "", SourceId[i] ?? "");
}
