using System.IO.Compression;
using System.Text;
using Memtrace.Pipeline.Run;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Model;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;
using static Memtrace.Cli.Tests.CorruptedInputs.Matrix;

namespace Memtrace.Cli.Tests.CorruptedInputs;

/// <summary>
/// Tier 1 of the corrupted-input matrix: a whole file memtrace cannot use is refused with one line that names
/// it and says why, and the other inputs of the same call still land. Import-time cases hand the bad file
/// to `memtrace import` next to a good one; archive-time cases damage one source of a two-source archive
/// and `memtrace run` must still analyse the other.
/// </summary>
[Collection("console")]
public sealed class Tier1_FileRefusedWithOneLineReason
{
    /// <summary>Imports the bad file next to a good one of the same format (the real torch snapshot unless told); the good one lands, the bad file gets one line.</summary>
    private static (string Line, string Out) ImportNextToGood(string format, string bad, string? good = null)
    {
        var archive = Path.Combine(Repo.TempDir(), "archive");
        var (code, output, err) = Invoke("import", format, bad, good ?? Torch, "--archive", archive);
        Assert.Equal((int)ExitCode.InputRefused, code);
        var line = OneRefusal(err.Split('\n', StringSplitOptions.RemoveEmptyEntries), bad);
        Assert.Single(TraceArchive.Open(archive).Manifest.Sources);
        return (line, output);
    }

    private static string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(Repo.TempDir(), name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>A pickle that reads like a snapshot for its first bytes (so the torch importer takes it), then turns hostile.</summary>
    private static byte[] SnapshotLike(byte[] payload) =>
        [0x80, 0x04, (byte)'}', 0x8c, 8, .. "segments"u8, .. payload];

    [Fact]
    public void Wrong_file_handed_to_an_importer()
    {
        // The RMM CSV handed to the torch importer (format named explicitly, so no sniffing saves it).
        var archive = Path.Combine(Repo.TempDir(), "archive");
        var (code, _, err) = Invoke("import", "torch-snapshot", Rmm, Torch, "--archive", archive);
        Assert.Equal((int)ExitCode.InputRefused, code);
        Assert.Contains("does not look like torch-snapshot", OneRefusal(err.Split('\n', StringSplitOptions.RemoveEmptyEntries), Rmm));
        Assert.Single(TraceArchive.Open(archive).Manifest.Sources);
    }

    [Fact]
    public void Empty_file() => Assert.EndsWith("is empty", ImportNextToGood("auto", Write("empty.pickle", [])).Line);

    [Fact]
    public void Gzip_bomb_in_a_pprof()
    {
        // A real heap profile's gzip member, then 300 members of 1 MiB of zeros each: ~300 KB that inflate
        // to 300 MiB. .NET reads multi-member gzip as one stream, as `gunzip` does.
        using var bomb = new MemoryStream();
        bomb.Write(File.ReadAllBytes(Repo.Data("go", "heapsvc", "capture", "heap.pb.gz")));
        var zeros = new byte[1 << 20];
        using (var one = new MemoryStream())
        {
            using (var gz = new GZipStream(one, CompressionLevel.SmallestSize, leaveOpen: true)) gz.Write(zeros);
            for (var i = 0; i < 300; i++) bomb.Write(one.GetBuffer(), 0, (int)one.Length);
        }
        var (line, output) = ImportNextToGood("pprof", Write("heap.pb.gz", bomb.ToArray()), Repo.Data("go", "heapsvc", "capture", "goroutine.pb.gz"));
        Assert.Contains("gzip bomb", line);
        Assert.Contains("limit_inflated_bytes=1", output);
    }

    [Fact]
    public void Deeply_nested_pickle()
    {
        var deep = SnapshotLike([.. Enumerable.Repeat((byte)'(', 200_000), (byte)'.']);
        var (line, output) = ImportNextToGood("torch-snapshot", Write("deep.pickle", deep));
        Assert.Contains("nesting deeper than 100000 MARKs", line);
        Assert.Contains("limit_pickle_depth=1", output);
    }

    [Fact]
    public void Pickle_that_asks_for_a_GLOBAL()
    {
        // c os\nsystem\n  'id'  TUPLE1  REDUCE: what `pickle.loads` would turn into os.system("id").
        var hostile = SnapshotLike([(byte)'c', .. "os\nsystem\n"u8, 0x8c, 2, .. "id"u8, 0x85, (byte)'R', (byte)'.']);
        var (line, _) = ImportNextToGood("torch-snapshot", Write("global.pickle", hostile));
        Assert.Contains("GLOBAL", line);
    }

    [Fact]
    public void Truncated_parquet()
    {
        var (archive, torchId, rmmId) = TwoSources();
        var victim = TablePath(archive, GpuAllocEvents.Def.Name, rmmId);
        var bytes = File.ReadAllBytes(victim);
        File.WriteAllBytes(victim, bytes[..(bytes.Length / 2)]);
        AssertRunRefusesOnlyThat(archive, victim, torchId);
    }

    [Fact]
    public void Bit_flipped_parquet_page()
    {
        var (archive, torchId, rmmId) = TwoSources();
        var victim = TablePath(archive, GpuAllocEvents.Def.Name, rmmId);
        var bytes = File.ReadAllBytes(victim);
        bytes[bytes.Length / 3] ^= 0x10; // inside the first column chunk's data page, past the "PAR1" magic
        File.WriteAllBytes(victim, bytes);
        var line = AssertRunRefusesOnlyThat(archive, victim, torchId);
        Assert.Contains("sha256 differs", line);
    }

    [Fact]
    public void Manifest_points_to_a_missing_file()
    {
        var (archive, torchId, rmmId) = TwoSources();
        var victim = TablePath(archive, GpuAllocEvents.Def.Name, rmmId);
        File.Delete(victim);
        Assert.Contains("missing", AssertRunRefusesOnlyThat(archive, victim, torchId));
    }

    [Fact]
    public void Manifest_path_with_dot_dot_escaping_the_archive()
    {
        var (archive, torchId, rmmId) = TwoSources();
        var manifest = Path.Combine(archive, "manifest.json");
        // Plant a file where the escaping path would land, to prove it is never read.
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace($"\"{rmmId}\"", "\"../../outside\""));
        var (code, errLines, outDir) = Run(archive);
        Assert.Equal((int)ExitCode.ErrorCounters, code);
        var lines = errLines.Where(l => l.StartsWith(TraceArchive.Open(archive).ManifestPath + ": refused: ", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(lines);
        Assert.All(lines, l => Assert.Contains("'../../outside' is not a plain name", l));
        Assert.Equal([torchId], SourcesIn(Result(outDir, "fragmentation_timeline")));
    }

    [Fact]
    public void Zero_length_archive()
    {
        var archive = Path.Combine(Repo.TempDir(), "archive");
        Directory.CreateDirectory(archive);
        File.WriteAllBytes(Path.Combine(archive, "manifest.json"), []);
        var (code, errLines, outDir) = Run(archive);
        Assert.Equal((int)ExitCode.InputRefused, code);
        var line = Assert.Single(errLines, l => l.Contains("refused", StringComparison.Ordinal));
        Assert.Contains("manifest.json", line);
        Assert.False(Directory.Exists(outDir), "a refused archive writes no results");
    }

    [Fact]
    public void Directory_that_is_not_an_archive()
    {
        var archive = Path.Combine(Repo.TempDir(), "archive");
        Directory.CreateDirectory(archive);
        var (code, errLines, _) = Run(archive);
        Assert.Equal((int)ExitCode.InputRefused, code);
        Assert.Contains("not a memtrace archive", Assert.Single(errLines));
    }

    /// <summary>
    /// The run refuses the damaged table file in one line naming it, counts it (an error counter, so exit 3),
    /// logs it in import_log with its first bytes, and still analyses the other source in full.
    /// </summary>
    private static string AssertRunRefusesOnlyThat(string archive, string victim, string survivorId)
    {
        var (code, errLines, outDir) = Run(archive);
        Assert.Equal((int)ExitCode.ErrorCounters, code);
        var line = OneRefusal(errLines, victim);
        Assert.Equal(1, Counter(outDir, "archive_source_missing"));
        var log = Result(outDir, ImportLog.Def.Name);
        Assert.Contains(Rows(log), r => log[Col.SourceId][r] == "archive" && log[ImportLog.Location][r] == Path.GetRelativePath(archive, victim));
        Assert.Equal([survivorId], SourcesIn(Result(outDir, "fragmentation_timeline")));

        // The survivor's results are exactly what a run over an archive holding only it gives.
        var alone = Path.Combine(Repo.TempDir(), "alone");
        Assert.Equal(0, Invoke("import", "auto", Torch, "--archive", alone).Code);
        var (aloneCode, _, aloneOut) = Run(alone);
        Assert.Equal(0, aloneCode);
        TableComparer.AssertEqual(Result(aloneOut, "fragmentation_timeline"), Result(outDir, "fragmentation_timeline"));
        return line;
    }
}
