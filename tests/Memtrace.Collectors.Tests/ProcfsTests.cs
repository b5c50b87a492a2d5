using System.IO.Compression;
using System.Text.RegularExpressions;
using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.Procfs;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

public sealed class ProcfsTests
{
    [Theory]
    [InlineData("26231 (vim) R 5392 7446 5392 34835 7446 4218880 32533 309516 26 82 1677 44 158 99 20 0", true, 1677L, 44L)]
    [InlineData("1 (a b) c)) S 0 1 1 0 -1 4194560 1 2 3 4 55 66 0 0", true, 55L, 66L)]
    [InlineData("1 (x) S 0 1 1 0 -1 4194560 1 2 3 4 55", false, 0L, 0L)]
    [InlineData("no parens at all", false, 0L, 0L)]
    [InlineData("1 (x) S 0 1 1 0 -1 4194560 1 2 3 4 -5 66", false, 0L, 0L)]
    public void Stat_times_edge_cases(string line, bool ok, long utime, long stime)
    {
        Assert.Equal(ok, ProcFiles.TryStatTimes(line, out var u, out var s));
        if (ok) Assert.Equal((utime, stime), (u, s));
    }

    [Fact]
    public void Ttar_handles_eof_nullbyte_symlinks_and_directories()
    {
        const string text = "Directory: fixtures\nMode: 755\n# ttar - - -\nPath: fixtures/cmdline\nLines: 1\nvimNULLBYTEtest.goNULLBYTEEOF\nMode: 644\n# ttar - - -\nPath: fixtures/exe\nSymlinkTo: /usr/bin/vim\n# ttar - - -\nPath: fixtures/bad\nLines: 99\nx\n";
        var bad = new List<string>();
        var entries = TtarArchive.Parse(text, (line, excerpt, why) => bad.Add(why));
        Assert.Equal([TtarKind.Directory, TtarKind.File, TtarKind.Symlink], entries.Select(e => e.Kind));
        Assert.Equal("vim\0test.go\0", entries[1].Content);
        Assert.Equal("/usr/bin/vim", entries[2].Content);
        Assert.Single(bad);
    }

    [Fact]
    public void Real_ttar_pid_26231_matches_its_status_file_by_hand()
    {
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        var report = new ImportRunner(archive, new ImportOptions()).ImportOne(Repo.Data("procfs-fixtures", "fixtures.ttar"), "auto");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        Assert.Equal("procfs-ttar", report.Format);
        Assert.False(archive.Manifest.Sources.Single().ClockAligned);
        var t = archive.ReadTable(ProcSamples.Def);
        var i = Enumerable.Range(0, t.RowCount).Single(r => t[ProcSamples.Pid][r] == 26231);
        // fixtures/proc/26231/status: "VmRSS:\t    6716 kB", "RssAnon:\t    2092 kB", "VmHWM:\t    8028 kB";
        // smaps_rollup: "Rss: 29948 kB", "LazyFree: 5848 kB"; stat: utime 1677, stime 44; fd/ holds 0 1 10 2 3.
        Assert.Equal(6716L * 1024, t[ProcSamples.VmRss][i]);
        Assert.Equal(2092L * 1024, t[ProcSamples.RssAnon][i]);
        Assert.Equal(8028L * 1024, t[ProcSamples.VmHwm][i]);
        Assert.Equal(29948L * 1024, t[ProcSamples.SmapsRss][i]);
        Assert.Equal(5848L * 1024, t[ProcSamples.SmapsLazyfree][i]);
        Assert.Equal((1677L, 44L), (t[ProcSamples.UtimeTicks][i], t[ProcSamples.StimeTicks][i]));
        Assert.Equal(5, t[ProcSamples.NumFds][i]);
    }
}
