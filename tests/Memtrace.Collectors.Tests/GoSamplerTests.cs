using System.Diagnostics;
using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Samplers;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

/// <summary>
/// collect go against a local server that replays a real Go service's /debug/vars body and heap profile. It runs alone
/// (<see cref="RunsAlone"/>): the server and the sampler share the test process's thread pool, and beside the parallel
/// importer tests its 1 s requests timed out in 1 of 12 runs ("1 polls, 3 failures" in the 3 s window).
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class GoSamplerTests
{
    [Fact]
    public async Task Polls_expvar_and_every_nth_heap_profile_and_both_import()
    {
        using var server = new ExpvarServer();
        var port = server.Port;
        var dir = Repo.TempDir();
        // One request first, so the listener's and HttpClient's first-use cost (JIT, on a 2-core machine running
        // every test assembly at once) is not paid inside the sampler's 1 s request timeout: CI once saw
        // "0 polls, 2 failures" in a 1.5 s window from exactly that.
        using (var warm = new HttpClient { Timeout = TimeSpan.FromSeconds(30) })
            await warm.GetByteArrayAsync($"http://127.0.0.1:{port}/debug/vars");
        var warmed = server.Served;
        var result = GoExpvarSampler.Run(new Uri($"http://127.0.0.1:{port}/debug/vars"), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(3000), Path.Combine(dir, "raw"), CancellationToken.None, heapEvery: 4);
        server.Dispose();
        // Pacing is best effort and a request can time out on a loaded machine (then it is a counted failure), so the
        // counts are bounds: one heap profile per four successful polls at most, starting with the first.
        Assert.True(result.Polls >= 2, $"{result.Polls} polls, {result.Failures} failures");
        Assert.InRange(result.HeapProfiles.Count, 1, (result.Polls + 3) / 4);
        Assert.True(server.Served - warmed >= result.Polls + result.HeapProfiles.Count);
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        var runner = new ImportRunner(archive, new ImportOptions { Pid = 7 });
        Assert.Equal(ImportOutcome.Imported, runner.ImportOne(result.CapturePath, "go-expvar").Outcome);
        Assert.Equal(ImportOutcome.Imported, runner.ImportOne(result.HeapProfiles[0], "pprof").Outcome);
        Assert.Equal(result.Polls, archive.ReadTable(GoRuntimeSamples.Def).RowCount);
        Assert.True(archive.ReadTable(HeapProfileSamples.Def).RowCount > 0);
    }
}
