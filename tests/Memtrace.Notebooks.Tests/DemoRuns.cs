using System.Diagnostics;
using Memtrace.Pipeline.Run;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Notebooks.Tests;

/// <summary>
/// Two `memtrace run` out directories of the bundled sample archive (the second with another headroom, so
/// a cross-run notebook has two different plans), made once for the test class.
/// </summary>
public sealed class DemoRuns
{
    public DemoRuns()
    {
        Archive = Path.Combine(Repo.Root, "samples", "demo-archive");
        First = Path.Combine(Repo.TempDir(), "demo");
        Second = Path.Combine(Repo.TempDir(), "demo-headroom-1.5");
        Assert.Equal(ExitCode.Success, RunPipeline.Run(Archive, First, new RunOptions()).Exit);
        Assert.Equal(ExitCode.Success, RunPipeline.Run(Archive, Second, new RunOptions { Host = new() { Headroom = 1.5 } }).Exit);
    }

    public string Archive { get; }
    public string First { get; }
    public string Second { get; }

    /// <summary>Runs notebooks/NAME.cs as a .NET 10 file-based app, the way a user would; returns stdout.</summary>
    public static (string Stdout, string Figures) RunTwin(string name, params string[] outDirs)
    {
        var figures = Repo.TempDir();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo.Root };
        // Release reuses what `dotnet test` just built instead of compiling the library chain a second time.
        foreach (var a in (string[])["run", "-c", "Release", Path.Combine("notebooks", name + ".cs"), "--", .. outDirs]) psi.ArgumentList.Add(a);
        psi.Environment["MEMTRACE_FIGURES"] = figures;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        if (!p.WaitForExit(TimeSpan.FromMinutes(4))) { p.Kill(true); Assert.Fail($"{name}.cs did not finish in 4 minutes"); }
        Assert.True(p.ExitCode == 0, $"{name}.cs exited {p.ExitCode}:\n{stdout}\n{stderr.Result}");
        return (stdout, figures);
    }
}
