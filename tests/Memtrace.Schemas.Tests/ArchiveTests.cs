using Memtrace.Schemas.Archive;
using Memtrace.Schemas.IO;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Schemas.Tests;

public sealed class ArchiveTests
{
    [Fact]
    public void Manifest_source_escaping_the_archive_is_refused_alone()
    {
        var dir = Repo.TempDir();
        File.WriteAllText(Path.Combine(dir, "manifest.json"), """
            {"format":1,"tool":"memtrace","sources":[{"source_id":"../../etc","path":"x","sha256":"00","bytes":1,"importer":"torch-snapshot","importer_version":1,"clock_domain":"realtime","rows":{"stacks":1}}]}
            """);
        var problems = new List<string>();
        var read = TraceArchive.Open(dir).ReadTable(TableCatalog.Find("stacks")!, (src, msg) => problems.Add(msg));
        Assert.Equal(0, read.RowCount);
        Assert.Contains("'../../etc' is not a plain name", Assert.Single(problems));
        Assert.Throws<ArchiveException>(() => TraceArchive.Open(dir).TablePath("stacks", "../../etc"));
    }

    [Fact]
    public void Unreadable_manifest_is_refused_with_its_path()
    {
        var dir = Repo.TempDir();
        File.WriteAllText(Path.Combine(dir, "manifest.json"), "{not json");
        var e = Assert.Throws<ArchiveException>(() => TraceArchive.Open(dir));
        Assert.Contains("manifest.json", e.Message);
    }

    [Fact]
    public void Missing_or_truncated_table_files_are_reported_and_other_sources_still_read()
    {
        var dir = Repo.TempDir();
        var archive = TraceArchive.OpenOrCreate(dir);
        var def = TableCatalog.Find("gpu_mem_info")!;
        foreach (var id in new[] { "sa", "sb" })
        {
            var t = RoundTripTests.RandomRows(def, 10, id.Length);
            archive.AddSource(new SourceEntry { SourceId = id, Path = id, Sha256 = id, Bytes = 1, Importer = "x", ImporterVersion = 1, ClockDomain = "realtime" }, [t]);
        }
        var victim = archive.TablePath("gpu_mem_info", "sa");
        var bytes = File.ReadAllBytes(victim);
        File.WriteAllBytes(victim, bytes[..(bytes.Length / 2)]);
        var problems = new List<string>();
        var read = TraceArchive.Open(dir).ReadTable(def, (src, msg) => problems.Add(msg));
        Assert.Equal(10, read.RowCount);
        Assert.Single(problems);
        Assert.Contains("sa.parquet", problems[0]);
    }

    /// <summary>
    /// Every source's pages are decoded at once; a damaged page in one file (an older archive with no table hashes,
    /// so only the decoder can tell) must still refuse that file alone, with the others' rows intact and in order.
    /// </summary>
    [Fact]
    public void A_damaged_page_in_one_source_refuses_that_source_alone()
    {
        var dir = Repo.TempDir();
        var archive = TraceArchive.OpenOrCreate(dir);
        var def = TableCatalog.Find("gpu_alloc_events")!;
        var tables = new Dictionary<string, Model.Table>();
        foreach (var id in new[] { "sa", "sb", "sc" })
        {
            tables[id] = Model.TableSort.ByKey(RoundTripTests.RandomRows(def, 300, id[1]));
            archive.AddSource(new SourceEntry { SourceId = id, Path = id, Sha256 = id, Bytes = 1, Importer = "x", ImporterVersion = 1, ClockDomain = "realtime" }, [tables[id]]);
        }
        var manifest = File.ReadAllText(archive.ManifestPath);
        File.WriteAllText(archive.ManifestPath, System.Text.RegularExpressions.Regex.Replace(manifest, "\"table_sha256\":\\s*\\{[^}]*\\}", "\"table_sha256\":{}"));
        var victim = archive.TablePath(def.Name, "sb");
        var bytes = File.ReadAllBytes(victim);
        var footer = ParquetIo.FooterOf(bytes);
        var seq = footer.RowGroups[0].Columns.First(c => c.MetaData!.PathInSchema[0] == "seq").MetaData!;
        // The Zstd frame magic of seq's first page (28 B5 2F FD), just after its page header: no decoder can read past it.
        var magic = bytes.AsSpan((int)seq.DataPageOffset).IndexOf((byte[])[0x28, 0xB5, 0x2F, 0xFD]);
        Assert.InRange(magic, 1, 64);
        bytes[(int)seq.DataPageOffset + magic] ^= 0xFF;
        File.WriteAllBytes(victim, bytes);

        var problems = new List<string>();
        var read = TraceArchive.Open(dir).ReadTable(def, (src, msg) => problems.Add(msg));
        Assert.Contains("sb.parquet: refused:", Assert.Single(problems));
        Assert.Contains("column seq, row group 0", problems[0]); // found by the page decoder, not by a hash
        var expected = new Model.Table(def);
        expected.AppendTable(tables["sa"]);
        expected.AppendTable(tables["sc"]);
        TableComparer.AssertEqual(expected, read);
    }

    [Fact]
    public void Atomic_write_leaves_no_temporary_files()
    {
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "x.txt");
        AtomicFile.WriteAllText(path, "one");
        AtomicFile.WriteAllText(path, "two");
        Assert.Equal("two", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir));
        Assert.ThrowsAny<Exception>(() => AtomicFile.Write(path, _ => throw new IOException("disk full")));
        Assert.Equal("two", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir));
    }
}
