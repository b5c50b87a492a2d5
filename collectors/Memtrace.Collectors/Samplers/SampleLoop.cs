using System.Diagnostics;

namespace Memtrace.Collectors.Samplers;

/// <summary>The pacing and clocks every sampler shares.</summary>
internal static class SampleLoop
{
    /// <summary>CLOCK_REALTIME as UTC ns, and CLOCK_MONOTONIC ns (Stopwatch reads it on Linux), read back to back.</summary>
    public static (long RealtimeNs, long MonotonicNs) Now() =>
        ((DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks * 100, (long)(Stopwatch.GetTimestamp() * (1e9 / Stopwatch.Frequency)));

    /// <summary>Calls <paramref name="tick"/> every interval (on a fixed schedule, not drifting) until duration or cancellation.</summary>
    public static void Run(TimeSpan interval, TimeSpan duration, CancellationToken cancel, Action<double>? progress, Action tick)
    {
        var clock = Stopwatch.StartNew();
        var next = TimeSpan.Zero;
        while (clock.Elapsed < duration && !cancel.IsCancellationRequested)
        {
            tick();
            progress?.Invoke(Math.Min(1.0, clock.Elapsed / duration));
            next += interval;
            var wait = next - clock.Elapsed;
            if (wait > TimeSpan.Zero) cancel.WaitHandle.WaitOne(wait);
        }
    }
}
