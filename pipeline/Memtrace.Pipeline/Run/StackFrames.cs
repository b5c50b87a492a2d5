using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;

namespace Memtrace.Pipeline.Run;

/// <summary>Looks up a stack's most telling frame: the innermost one that is not the allocator or the unwinder itself.</summary>
public sealed class StackFrames
{
    private readonly Dictionary<long, IReadOnlyList<string>> _frames = new();

    public StackFrames(Table stacks)
    {
        var ids = stacks[Stacks.StackId];
        var frames = stacks[Stacks.Frames];
        for (var i = 0; i < stacks.RowCount; i++) _frames.TryAdd(ids[i], frames[i]);
    }

    public IReadOnlyList<string> Frames(long id) => _frames.GetValueOrDefault(id) ?? [];

    public const string NoStack = "(no stack recorded)";

    /// <summary>
    /// The innermost Python frame outside torch itself (what the user's code called), else the innermost
    /// frame that is not allocator or unwinder machinery, else the innermost frame.
    /// </summary>
    public string TopFrame(long? id)
    {
        if (id is not { } v || !_frames.TryGetValue(v, out var frames) || frames.Count == 0) return NoStack;
        foreach (var f in frames)
        {
            if (f.Contains(".py:", StringComparison.Ordinal) && !IsMachinery(f)) return f;
        }
        foreach (var f in frames)
        {
            if (!IsMachinery(f)) return f;
        }
        return frames[0];
    }

    /// <summary>Frames such as "torch::unwind::unwind() at ??:0" or "c10::cuda::CUDACachingAllocator::…" say nothing about the caller.</summary>
    private static bool IsMachinery(string f) =>
        f.StartsWith("torch::unwind", StringComparison.Ordinal) || f.StartsWith("torch::CapturedTraceback", StringComparison.Ordinal)
        || f.StartsWith("c10::", StringComparison.Ordinal) || f.StartsWith("at::", StringComparison.Ordinal) || f.StartsWith("?? ", StringComparison.Ordinal)
        || f.StartsWith("torch::", StringComparison.Ordinal) || f.StartsWith("std::", StringComparison.Ordinal) || f.StartsWith("_start", StringComparison.Ordinal)
        || f.StartsWith("__libc", StringComparison.Ordinal) || f.StartsWith("PyObject_", StringComparison.Ordinal) || f.StartsWith("_Py", StringComparison.Ordinal)
        || f.Contains("/torch/", StringComparison.Ordinal) || f.Contains("\\torch\\", StringComparison.Ordinal)
        || f.EndsWith(" at ??:0", StringComparison.Ordinal) || f.StartsWith("_object*", StringComparison.Ordinal);
}
