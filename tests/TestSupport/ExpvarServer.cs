using System.Net;

namespace Memtrace.Tests;

/// <summary>
/// A local stand-in for a Go service: serves a real service's recorded /debug/vars body (tests/data/go/expvar.jsonl)
/// and its heap profile at /debug/pprof/heap, on a free loopback port, until disposed.
/// </summary>
public sealed class ExpvarServer : IDisposable
{
    private readonly HttpListener _listener = new();
    private int _served;

    public ExpvarServer()
    {
        var body = System.Text.Json.JsonDocument.Parse(File.ReadLines(Repo.Data("go", "expvar.jsonl")).First()).RootElement.GetProperty("body").GetString()!;
        var heap = File.ReadAllBytes(Repo.Data("go", "heapsvc", "capture", "heap.pb.gz"));
        Port = FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _ = Task.Run(async () =>
        {
            while (_listener.IsListening)
            {
                HttpListenerContext c;
                try { c = await _listener.GetContextAsync(); } catch (Exception) { return; }
                var bytes = c.Request.Url!.AbsolutePath == "/debug/pprof/heap" ? heap : System.Text.Encoding.UTF8.GetBytes(body);
                Interlocked.Increment(ref _served);
                await c.Response.OutputStream.WriteAsync(bytes);
                c.Response.Close();
            }
        });
    }

    public int Port { get; }
    public Uri Vars => new($"http://127.0.0.1:{Port}/debug/vars");
    /// <summary>Requests answered so far.</summary>
    public int Served => Volatile.Read(ref _served);

    public void Dispose() => _listener.Stop();

    public static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
