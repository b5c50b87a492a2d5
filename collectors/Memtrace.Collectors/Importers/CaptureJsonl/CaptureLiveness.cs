namespace Memtrace.Collectors.Importers.CaptureJsonl;

/// <summary>
/// Whether a failed read of /proc/&lt;pid&gt;/… says the process is gone. Each sampler words the failure its own
/// way; these are the words of ENOENT and ESRCH as real samplers write them:
/// .NET's "Could not find a part of the path '/proc/9263/status'." (memtrace's own sampler), Python's
/// "[Errno 2] No such file or directory: '/proc/9263/status'", cat's "No such file or directory",
/// a read of a reaped task's stat, "No such process". Anything else ("Permission denied" on another
/// user's smaps_rollup) is no evidence of exit.
/// </summary>
public static class CaptureLiveness
{
    public static readonly IReadOnlyList<string> GonePhrases = ["No such file or directory", "Could not find a part of the path", "Could not find file", "No such process", "ENOENT", "ESRCH"];

    public static bool IsGone(string? error) =>
        error is not null && GonePhrases.Any(p => error.Contains(p, StringComparison.OrdinalIgnoreCase));
}
