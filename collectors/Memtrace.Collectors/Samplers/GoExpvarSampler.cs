using Memtrace.Collectors.Importers.GoExpvar;
using Memtrace.Schemas.IO;

namespace Memtrace.Collectors.Samplers;

public sealed record GoSamplerResult(string CapturePath, int Polls, int Failures, IReadOnlyList<string> HeapProfiles);

/// <summary>
/// Polls a Go service's expvar endpoint (/debug/vars, which carries runtime.MemStats) every interval and
/// keeps each body verbatim with the realtime and monotonic time of the read, as go-expvar JSONL.
/// A failed poll is counted and skipped; the service may be restarting. With heapEvery = N &gt; 0, every
/// N-th poll also fetches /debug/pprof/heap (net/http/pprof on the same host and port) and keeps it as
/// raw/heap-PORT-MS.pb.gz, for the pprof importer; a profile carries its own time_nanos.
/// </summary>
public static class GoExpvarSampler
{
    public static GoSamplerResult Run(Uri url, TimeSpan interval, TimeSpan duration, string captureDir, CancellationToken cancel, Action<double>? progress = null, int heapEvery = 0)
    {
        var heapUrl = new Uri(url, "/debug/pprof/heap");
        var heaps = new List<string>();
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
                    if (heapEvery > 0 && (polls - 1) % heapEvery == 0)
                    {
                        var profile = http.GetByteArrayAsync(heapUrl, cancel).GetAwaiter().GetResult();
                        var path = Path.Combine(captureDir, $"heap-{url.Port}-{ts / 1_000_000}.pb.gz");
                        AtomicFile.Write(path, s => s.Write(profile));
                        heaps.Add(path);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    failures++;
                }
            });
            w.Flush();
        });
        return new GoSamplerResult(final, polls, failures, heaps);
    }
}
