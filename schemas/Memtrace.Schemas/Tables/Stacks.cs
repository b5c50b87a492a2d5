using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Tables;

/// <summary>Deduplicated call stacks referenced by stack_id from the event tables.</summary>
public static class Stacks
{
    public static readonly I64Key StackId = I64("stack_id", "", "First 8 bytes of SHA-256 over the frames, as a signed 64-bit integer.");
    public static readonly StrListKey Frames = StrList("frames", "Frames, innermost first, as 'function at file:line'.");

    public static readonly TableDef Def = new(
        "stacks", 1, TableKind.Raw,
        "One row per distinct call stack. stack_id is a content hash of the frames, so the same stack has the same id in every source.",
        [StackId],
        [
            SourceId,
            StackId,
            Frames,
        ]);
}
