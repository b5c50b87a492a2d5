using System.Diagnostics;
using System.Text.Json;
using Memtrace.Collectors.Importers;
using Memtrace.Pipeline.Fragmentation;
using Memtrace.Pipeline.Host;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Results;
using Memtrace.Tests;
using Xunit;
using Xunit.Abstractions;

namespace Memtrace.Pipeline.Tests.Host;

/// <summary>
/// The sidecar script, live: it starts oomsvc (five times faster) in a fresh 256 MiB memory cgroup, reads its files
/// one by one every 100 ms into one file per path, and logs when its child died. memtrace must place the OOM kill
/// there. Needs root and a memory cgroup it may create (the build machine and CI have both: cgroup v1), gcc and go
/// (`make setup` installs them; `make test` builds the service before the tests).
/// </summary>
public sealed class LiveSidecarTests(ITestOutputHelper log)
{
    [Fact]
    public void A_live_sidecar_capture_of_an_OOM_killed_Go_service_gives_the_kill_at_the_time_the_driver_saw_it()
    {
        if (Environment.UserName != "root" || !(Directory.Exists("/sys/fs/cgroup/memory") || File.Exists("/sys/fs/cgroup/cgroup.controllers")))
        {
            log.WriteLine("this machine lets no test create a memory cgroup (not root, or no memory controller): nothing to run");
            return;
        }
        var dir = Repo.TempDir();
        // `make test` builds the service first (`make gotest`); a test run started some other way builds it here.
        var bin = Path.Combine(Repo.Root, "out", "go", "oomsvc");
        if (!File.Exists(bin))
        {
            bin = Path.Combine(dir, "oomsvc");
            Run("go", $"build -o {bin} .", Repo.Data("go", "oomsvc"), 240);
        }
        var port = ExpvarServer.FreePort();
        var outDir = Path.Combine(dir, "capture");
        Run("python3", $"{Repo.Data("go", "sidecar", "sidecar.py")} --out {outDir} --interval-ms 100 --after-exit 5 --memcg-limit {256 << 20} --smaps-every 3 " +
            $"--url http://127.0.0.1:{port}/debug/vars --max-seconds 90 -- {bin} 127.0.0.1:{port} 300 5", dir, 120);
        var driver = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "driver.json"))).RootElement;
        log.WriteLine(driver.ToString());
        Assert.Equal(9, driver.GetProperty("killed_by").GetInt32());
        var exitTs = driver.GetProperty("exit_ts_ns").GetInt64();
        var pid = driver.GetProperty("pid").GetInt64();

        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "archive"));
        var runner = new ImportRunner(archive, new ImportOptions());
        foreach (var f in Directory.GetFiles(Path.Combine(outDir, "split")).Order(StringComparer.Ordinal))
            Assert.Equal(ImportOutcome.Imported, runner.ImportOne(f, "auto").Outcome);
        var o = HostAnalysis.Run(def => archive.ReadTable(def), FragmentationOutput.Empty(), new HostOptions());
        var w = Assert.Single(o.Workloads, w => w.Pid == pid);
        var kill = Assert.Single(o.Kills[w]);
        log.WriteLine($"kill window {kill.WindowStart - exitTs} .. {kill.WindowEnd - exitTs} ns from the driver's exit; {kill.Evidence}");
        Assert.InRange(exitTs - kill.WindowEnd, -100_000_000, 100_000_000);
        var kinds = Enumerable.Range(0, o.Flags.RowCount).Select(r => o.Flags[Flags.Kind][r]).ToList();
        Assert.Contains("oom_kill", kinds);
        Assert.DoesNotContain("process_vanished", kinds);
        var wide = o.Tables.Single(t => t.Def.Name == "rss_gap_attribution_wide");
        Assert.True(wide.RowCount >= 20, $"{wide.RowCount} attribution instants");
        for (var r = 0; r < wide.RowCount; r++) Assert.Equal(wide[RssGapWide.Total][r], RssGapWide.LayerColumns.Sum(l => wide[l][r]));
    }

    private void Run(string file, string args, string cwd, int seconds)
    {
        var psi = new ProcessStartInfo(file, args) { WorkingDirectory = cwd, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        psi.Environment["GOFLAGS"] = "-mod=mod";
        if (Environment.GetEnvironmentVariable("HOME") is null) psi.Environment["GOCACHE"] = Path.Combine(Path.GetTempPath(), "memtrace-gocache");
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(seconds * 1000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {args}: still running after {seconds} s");
        }
        log.WriteLine(stdout.Result + stderr.Result);
        Assert.True(p.ExitCode == 0, $"{file} {args}: exit {p.ExitCode}: {stderr.Result}");
    }
}
