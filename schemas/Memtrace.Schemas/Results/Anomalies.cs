using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>Replay anomalies: counted, logged, never fatal.</summary>
public static class Anomalies
{
    public static readonly I64Key Seq = I64("seq", "", "Event index in the pool's stream.");
    public static readonly I64Key TsNs = I64("ts_ns", "ns", "Event time.");
    public static readonly StrKey Kind = Str("kind", "Stats catalogue key of the anomaly.");
    public static readonly I64Key Address = I64("address", "bytes", "Address involved.", nullable: true);
    public static readonly I64Key Size = I64("size", "bytes", "Size involved.", nullable: true);
    public static readonly StrKey Message = Str("message", "What happened and what the replay did.");

    public static readonly TableDef Def = new(
        "anomalies", 1, TableKind.Result,
        "Events the replay could not apply cleanly: frees of unknown addresses, double frees, overlapping allocations, allocations after an OOM.",
        [.. PoolKeyColumns.All, Seq],
        [
            .. PoolKeyColumns.All,
            Seq,
            TsNs,
            Kind,
            Address,
            Size,
            Message,
        ]);
}
