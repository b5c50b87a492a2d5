using System.Diagnostics;

namespace Memtrace.Tests;

/// <summary>Builds collectors/cuda-hook with gcc into out/cuda-hook (once per process) for tests and the bench.</summary>
internal static class CudaHookBuild
{
    private static readonly Lazy<string> Built = new(() => Make("all"));
    private static readonly Lazy<string> Sanitized = new(() => Make("sanitizers"));

    private static string Make(string target)
    {
        var outDir = Path.Combine(Repo.Root, "out", "cuda-hook");
        using var make = Process.Start(new ProcessStartInfo("make", ["-s", "-C", Path.Combine(Repo.Root, "collectors", "cuda-hook"), $"OUT={outDir}", target])
        { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var err = make.StandardError.ReadToEnd();
        make.WaitForExit();
        if (make.ExitCode != 0) throw new InvalidOperationException($"building the CUDA hook ({target}) failed (gcc and make are installed by 'make setup'): {err}");
        return outDir;
    }

    public static string Dir => Built.Value;

    /// <summary>out/cuda-hook/{asan,tsan}/: the hook and the test program under AddressSanitizer+UBSan or ThreadSanitizer.</summary>
    public static string SanitizerDir(string sanitizer) => Path.Combine(Sanitized.Value, sanitizer);
    public static string Library => Path.Combine(Dir, "libmemtrace_cuda.so");
    public static string Fake(string program) => Path.Combine(Dir, "fake", program);
}
