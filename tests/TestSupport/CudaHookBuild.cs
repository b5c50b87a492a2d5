using System.Diagnostics;

namespace Memtrace.Tests;

/// <summary>Builds collectors/cuda-hook with gcc into out/cuda-hook (once per process) for tests and the bench.</summary>
internal static class CudaHookBuild
{
    private static readonly Lazy<string> Built = new(() =>
    {
        var outDir = Path.Combine(Repo.Root, "out", "cuda-hook");
        using var make = Process.Start(new ProcessStartInfo("make", ["-s", "-C", Path.Combine(Repo.Root, "collectors", "cuda-hook"), $"OUT={outDir}"])
        { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var err = make.StandardError.ReadToEnd();
        make.WaitForExit();
        if (make.ExitCode != 0) throw new InvalidOperationException($"building the CUDA hook failed (gcc and make are installed by 'make setup'): {err}");
        return outDir;
    });

    public static string Dir => Built.Value;
    public static string Library => Path.Combine(Dir, "libmemtrace_cuda.so");
    public static string Fake(string program) => Path.Combine(Dir, "fake", program);
}
