namespace Memtrace.Schemas.Stats;

/// <summary>
/// Every bound a hostile input meets, in one place; each has its counter in StatsCatalog ("limit_*"), whose description quotes the number from here.
/// The numbers sit far above what real tools write. Measured on the real torch snapshots in tests/data
/// (pickletools): at most 7 MARKs open at once, one memo entry per ~60 bytes of pickle (so 64 Mi entries
/// is a ~4 GB snapshot), and the deepest stack 131 frames.
/// </summary>
public static class ImportLimits
{
    /// <summary>Text inputs may inflate to this many times their compressed size (gzip'd logs compress 5–30×).</summary>
    public const long MaxTextExpansion = 1000;

    /// <summary>A pprof protobuf may inflate to at most this many bytes (Go heap profiles inflate to a few MB; the buffer holds it whole).</summary>
    public const long MaxPprofInflatedBytes = 256L << 20;

    /// <summary>Open MARKs in a pickle at once.</summary>
    public const int MaxPickleMarks = 100_000;

    /// <summary>Memo entries in a pickle.</summary>
    public const int MaxPickleMemo = 64 << 20;

    /// <summary>Frames kept per call stack; deeper stacks keep their innermost frames.</summary>
    public const int MaxStackFrames = 4096;

    /// <summary>Characters in one text line; a longer line is skipped as it streams past. Capture JSONL lines hold whole /proc files (smaps of a process with 10 k mappings is ~10 MB), hence 16 Mi, not less.</summary>
    public const int MaxLineChars = 16 << 20;
}
