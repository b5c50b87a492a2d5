using System.IO.Compression;
using Memtrace.Collectors.Importers;
using Memtrace.Schemas.Stats;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests.Fuzz;

public sealed class CaptureFuzzRegressionTests
{
    [Fact]
    public void Capture_line_for_a_pid_past_64_bits_is_counted_and_the_other_lines_land()
    {
        var lines = File.ReadLines(Repo.Data("go", "oomsvc", "capture", "procfs.jsonl")).Take(40).ToList();
        var victim = lines.FindIndex(l => l.Contains("\"path\": \"/proc/", StringComparison.Ordinal) || l.Contains("\"path\":\"/proc/", StringComparison.Ordinal));
        Assert.True(victim >= 0);
        lines[victim] = System.Text.RegularExpressions.Regex.Replace(lines[victim], @"/proc/\d+/", "/proc/18446744073709551615/");
        var path = Path.Combine(Repo.TempDir(), "capture.jsonl");
        File.WriteAllLines(path, lines);
        var stats = new StatsSink("s-test");
        var result = new Importers.CaptureJsonl.CaptureJsonlImporter().Import(new ImportContext { Path = path, SourceId = "s-test", Stats = stats });
        Assert.Equal(1, stats.Counts[StatsCatalog.CaptureBadLine.Key]);
        Assert.Contains(result.Tables, t => t.RowCount > 0);
    }
}
