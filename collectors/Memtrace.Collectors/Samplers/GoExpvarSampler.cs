using Memtrace.Collectors.Importers.GoExpvar;
using Memtrace.Schemas.IO;

namespace Memtrace.Collectors.Samplers;

public sealed record GoSamplerResult(string CapturePath, int Polls, int Failures);

/// <summary>
/// Polls a Go service's expvar endpoint (/debug/vars, which carries runtime.MemStats) every interval and
/// keeps each body verbatim with the realtime and monotonic time of the read, as go-expvar JSONL.
/// A failed poll is counted and skipped; the service may be restarting.
/// </summary>
public static class GoExpvarSampler
{
    public static GoSamplerResult Run(Uri url, TimeSpan interval, TimeSpan duration, string captureDir, CancellationToken cancel, Action<double>? progress = null)
    {
        Directory.CreateDirectory(captureDir);
        var final = Path.Combine(captureDir, $"expvar-{url.Port}-{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}.jsonl");
        int polls = 0, failures = 0;
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(Math.Max(1, interval.TotalSeconds)) };
        AtomicFile.Write(final, stream =>
        {
            using var w = new StreamWriter(stream, leaveOpen: true);
            SampleLoop.Run(interval, duration, cancel, progress, () =>
            {
                try
                {
                    var body = http.GetStringAsync(url, cancel).GetAwaiter().GetResult();
                    var (ts, mono) = SampleLoop.Now();
                    w.WriteLine(new ExpvarCapture(ts, mono, url.ToString(), body).ToJson());
                    polls++;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    failures++;
                }
            });
            w.Flush();
        });
        return new GoSamplerResult(final, polls, failures);
    }
}
