using Memtrace.Schemas.Model;
using static Memtrace.Schemas.Model.Col;

namespace Memtrace.Schemas.Results;

/// <summary>The frames of every stack a result table points at, so a report needs only the out directory.</summary>
public static class StackFramesTable
{
    public static readonly I64Key StackId = I64("stack_id", "", "Content hash of the frames (the archive's stacks.stack_id).");
    public static readonly StrKey TopFrame = Str("top_frame", "The frame memtrace shows first: the innermost user frame outside allocator machinery.");
    public static readonly StrListKey Frames = StrList("frames", "Every frame, innermost first, as recorded.");

    public static readonly TableDef Def = new(
        "stack_frames", 1, TableKind.Result,
        "Frames of each stack referenced by fragmentation_blame.stack_id or heatmap.top_stack_id (copied from the archive's stacks table).",
        [StackId],
        [
            StackId,
            TopFrame,
            Frames,
        ]);
}
