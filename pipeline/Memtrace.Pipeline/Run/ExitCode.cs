namespace Memtrace.Pipeline.Run;

/// <summary>Process exit codes, documented in README.md.</summary>
public enum ExitCode
{
    Success = 0,
    /// <summary>Bad command line.</summary>
    Usage = 1,
    /// <summary>At least one input file or archive was refused (the others were still processed).</summary>
    InputRefused = 2,
    /// <summary>An error-severity counter is above zero and --tolerate-errors was not given.</summary>
    ErrorCounters = 3,
    /// <summary>A verdict named by --fail-on was found.</summary>
    FailOn = 4,
    /// <summary>A bug in memtrace.</summary>
    Internal = 70,
}
