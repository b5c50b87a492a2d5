using System.Diagnostics;
using Memtrace.Schemas;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.IO;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Cli.Tests;

/// <summary>A real SIGKILL at several points of `memtrace run` and `memtrace import` leaves no partial output.</summary>
public sealed class CrashSafetyTests
{
    private static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "memtrace.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    private static int RunToEnd(params string[] args)
    {
        using var p = Start(args);
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }

    private static void KillAfter(int ms, params string[] args)
    {
        using var p = Start(args);
        Thread.Sleep(ms);
        if (!p.HasExited) p.Kill(entireProcessTree: true); // SIGKILL on Linux
        p.WaitForExit();
    }

    /// <summary>Every file under its final name must be whole: each table reads back, each JSON parses.</summary>
    private static void AssertNoPartialOutput(string outDir)
    {
        if (!Directory.Exists(outDir)) return;
        foreach (var f in Directory.EnumerateFiles(outDir, "*", SearchOption.AllDirectories).Where(f => !Path.GetFileName(f).StartsWith(".tmp-", StringComparison.Ordinal)))
        {
            if (f.EndsWith(".arrow", StringComparison.Ordinal))
            {
                using var fs = File.OpenRead(f);
                ArrowIo.Read(TableCatalog.Find(Path.GetFileNameWithoutExtension(f))!, fs);
            }
            else if (f.EndsWith(".json", StringComparison.Ordinal)) System.Text.Json.JsonDocument.Parse(File.ReadAllText(f)).Dispose();
            else if (f.EndsWith(".html", StringComparison.Ordinal)) Assert.EndsWith("</html>\n", File.ReadAllText(f));
        }
    }

    [Fact]
    public void Sigkill_during_run_keeps_previous_results_and_a_rerun_completes()
    {
        var archive = Path.Combine(Repo.Root, "samples", "demo-archive");
        var reference = Path.Combine(Repo.TempDir(), "ref");
        Assert.Equal(0, RunToEnd("run", archive, "--out", reference));
        var outDir = Path.Combine(Repo.TempDir(), "out");
        foreach (var ms in new[] { 150, 400, 700, 1000, 1400 })
        {
            KillAfter(ms, "run", archive, "--out", outDir);
            AssertNoPartialOutput(outDir);
        }
        Assert.Equal(0, RunToEnd("run", archive, "--out", outDir));
        Assert.Empty(Directory.GetFiles(outDir, ".tmp-*", SearchOption.AllDirectories));
        foreach (var f in Directory.GetFiles(Path.Combine(reference, "tables")))
            Assert.Equal(File.ReadAllBytes(f), File.ReadAllBytes(Path.Combine(outDir, "tables", Path.GetFileName(f))));
    }

    [Fact]
    public void Sigkill_during_import_leaves_a_readable_archive_and_a_rerun_completes()
    {
        var dir = Path.Combine(Repo.TempDir(), "archive");
        var input = Repo.Torch("bcrafton_memory_snapshot.pickle");
        foreach (var ms in new[] { 200, 500, 900 })
        {
            KillAfter(ms, "import", "auto", input, "--archive", dir);
            if (File.Exists(Path.Combine(dir, "manifest.json")))
            {
                var a = TraceArchive.Open(dir);
                foreach (var def in TableCatalog.Raw) a.ReadTable(def, (src, msg) => Assert.Fail(msg));
            }
        }
        Assert.Equal(0, RunToEnd("import", "auto", input, "--archive", dir));
        var archive = TraceArchive.Open(dir);
        Assert.Single(archive.Manifest.Sources);
        Assert.Equal(6486, archive.Manifest.Sources[0].Rows["gpu_alloc_events"]);
        Assert.Empty(Directory.GetFiles(dir, ".tmp-*", SearchOption.AllDirectories));
    }
}
