namespace Memtrace.Tests;

/// <summary>Locates the repository's files from a test's output directory.</summary>
internal static class Repo
{
    public static string Root
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
        }
    }

    public static string Data(params string[] parts) => Path.Combine([Root, "tests", "data", .. parts]);

    public static string Torch(string name) => Data("torch-snapshots", name);

    public static string TempDir()
    {
        var d = Path.Combine(Path.GetTempPath(), "memtrace-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(d);
        return d;
    }
}
