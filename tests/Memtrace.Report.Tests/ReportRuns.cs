using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Microsoft.Playwright;
using Xunit;

namespace Memtrace.Report.Tests;

/// <summary>
/// The out directories the browser tests open — the bundled sample, a torch-snapshot run, and a hostile
/// trace — and one headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) shared by the class.
/// </summary>
public sealed class ReportRuns : IAsyncLifetime
{
    public const string Payload = "</script><img src=x onerror=alert(1)>";

    public string Sample { get; } = Path.Combine(Repo.TempDir(), "sample");
    public string Torch { get; } = Path.Combine(Repo.TempDir(), "torch");
    public string Hostile { get; } = Path.Combine(Repo.TempDir(), "hostile");
    public IPlaywright? Playwright { get; private set; }
    public IBrowser? Browser { get; private set; }

    public static string Chromium => Environment.GetEnvironmentVariable("MEMTRACE_CHROMIUM") ?? "/usr/bin/chromium";

    /// <summary>Screenshots land here for a person to look at (CI keeps out/ as the test artifacts).</summary>
    public static string Artifacts
    {
        get
        {
            var d = Path.Combine(Repo.Root, "out", "test-artifacts");
            Directory.CreateDirectory(d);
            return d;
        }
    }

    public async Task InitializeAsync()
    {
        Assert.Equal(ExitCode.Success, RunPipeline.Run(Path.Combine(Repo.Root, "samples", "demo-archive"), Sample, new RunOptions()).Exit);

        var torchArchive = Repo.TempDir();
        var runner = new ImportRunner(TraceArchive.OpenOrCreate(torchArchive), new ImportOptions());
        Assert.Equal(ImportOutcome.Imported, runner.ImportOne(Repo.Torch("bcrafton_oom_variant.pickle"), "auto").Outcome);
        Assert.Equal(ExitCode.Success, RunPipeline.Run(torchArchive, Torch, new RunOptions()).Exit);

        Assert.NotEqual(ExitCode.Internal, RunPipeline.Run(HostileArchive(), Hostile, new RunOptions { TolerateErrors = true }).Exit);

        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: `make test` installs Debian's chromium (apt-get install chromium)");
        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Browser = await Playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.CloseAsync();
        Playwright?.Dispose();
    }

    /// <summary>
    /// A driver-level pool whose name, host and stack frames all carry a script-injection payload:
    /// 64 one-MiB blocks, every other one freed (small fragments), then a failed 4 MiB allocation.
    /// </summary>
    private static string HostileArchive()
    {
        var dir = Repo.TempDir();
        var events = new Table(GpuAllocEvents.Def);
        var stacks = new Table(Stacks.Def);
        const long baseAddr = 0x7000_0000_0000, mib = 1 << 20;
        long seq = 0, ts = 1_700_000_000_000_000_000;
        void Add(string op, long? addr, long size, long? rc = null)
        {
            events[Col.SourceId].Append("shostile"); events[GpuAllocEvents.Seq].Append(seq++); events[GpuAllocEvents.TsNs].Append(ts += 1_000_000);
            events[GpuAllocEvents.Host].Append("host" + Payload); events[GpuAllocEvents.Pid].Append(7); events[GpuAllocEvents.Device].Append(0);
            events[GpuAllocEvents.Pool].Append("cuda" + Payload); events[GpuAllocEvents.Op].Append(op); events[GpuAllocEvents.Address].Append(addr);
            events[GpuAllocEvents.Size].Append(size); events[GpuAllocEvents.StackId].Append(42); events[GpuAllocEvents.ReturnCode].Append(rc);
            events.CommitRow();
        }
        for (var i = 0; i < 64; i++) Add("alloc", baseAddr + i * mib, mib);
        for (var i = 0; i < 64; i += 2) Add("free", baseAddr + i * mib, mib);
        Add("alloc", null, 4 * mib, rc: 2);
        stacks[Col.SourceId].Append("shostile"); stacks[Stacks.StackId].Append(42);
        stacks[Stacks.Frames].Append([Payload + " at evil.py:1", "main at <b>app</b>.py:2"]);
        stacks.CommitRow();
        var archive = TraceArchive.OpenOrCreate(dir);
        archive.AddSource(new SourceEntry
        {
            SourceId = "shostile", Path = "hostile" + Payload, Sha256 = new string('0', 64), Bytes = 1,
            Importer = "test", ImporterVersion = 1, ClockDomain = "realtime",
        }, [events, stacks]);
        return dir;
    }
}
