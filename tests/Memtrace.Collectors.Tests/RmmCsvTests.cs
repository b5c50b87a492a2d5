using Memtrace.Collectors.Importers;
using Memtrace.Collectors.Importers.RmmCsv;
using Memtrace.Schemas.Archive;
using Memtrace.Schemas.Stats;
using Memtrace.Schemas.Tables;
using Memtrace.Tests;
using Xunit;

namespace Memtrace.Collectors.Tests;

public sealed class RmmCsvTests
{
    [Theory]
    [InlineData("140213184464704,23:59:59.100000,allocate,0x7f3a40000000,67108864,0x5581f6a3c2d0", true, "")]
    [InlineData("1,00:00:00.000001,free,0x10,512,5581f6a3c2d0", true, "")]
    [InlineData("1,00:00:00.5,allocate failure,(nil),512,0x0", true, "")]
    [InlineData("1,1634567890.123456,deallocate,0x7f8a40000000,1024,0x7f8a38001020", true, "")]
    [InlineData("1,00:00:00.000001,allocate,0x10,512", false, "5 fields, expected 6")]
    [InlineData("1,24:00:00.000000,allocate,0x10,512,0x0", false, "Time is not HH:MM:SS.ffffff")]
    [InlineData("1,00:00:00.000001,allocate,0x10,-512,0x0", false, "Size is not a non-negative integer")]
    [InlineData("1,00:00:00.000001,allocate,zz,512,0x0", false, "Pointer is not %p hex")]
    [InlineData("1,00:00:00.000001,allocate,0xffffffffffffffff,512,0x0", false, "Pointer is not %p hex")]
    [InlineData("x,00:00:00.000001,allocate,0x10,512,0x0", false, "Thread is not an integer")]
    [InlineData("1,00:00:00.000001,reallocate,0x10,512,0x0", false, "unknown action")]
    [InlineData("1,NaN,free,0x10,512,0x0", false, "Time is neither HH:MM:SS.ffffff nor epoch seconds")]
    [InlineData("1,99999999999.5,free,0x10,512,0x0", false, "Time is neither HH:MM:SS.ffffff nor epoch seconds")]
    public void Parses_edge_case_lines(string line, bool ok, string error)
    {
        Assert.Equal(ok, RmmRecord.TryParse(line.Split(','), out _, out var e));
        Assert.Equal(error, e);
    }

    public static TheoryData<string> PlainFiles => ["fixture", "edge-cases", "short-lines"];

    [Theory]
    [MemberData(nameof(PlainFiles))]
    public void The_plain_path_gives_the_rows_counters_and_log_lines_of_CsvHelper(string which)
    {
        var path = which == "fixture" ? Repo.Data("rmm", "pool.dev1.csv") : Path.Combine(Repo.TempDir(), "edge.csv");
        if (which == "short-lines") // lines far shorter than the 64 bytes a part's window is sized for: windows outgrow the shared arrays
            File.WriteAllText(path, "Thread,Time,Action,Pointer,Size,Stream\n" + string.Concat(Enumerable.Range(0, 400).Select(i => i % 37 == 0 ? "bad\n" : $"1,{i}.5,free,0x{i:x},1,0\n")));
        else if (which != "fixture")
            File.WriteAllText(path, "\uFEFFThread,Time,Action,Pointer,Size,Stream\n" +
                "1,00:00:00.000001,allocate,0x10,512,0x0\r\n\n" +
                "1,00:00:00.000002,allocate,0x10,512\n" +
                "1,00:00:00.000003,allocate,0x20,512,0x0,extra,fields\n" +
                "1,00:00:00.000004,reallocate,0x10,512,0x0\n" +
                "1,24:00:00.000000,allocate,0x30,512,0x0\n" +
                "1,00:00:00.1.2,allocate,0x30,512,0x0\n" +
                "1,00:00:00.,allocate,0x30,512,0x0\n" +
                "1,00:00,allocate,0x30,512,0x0\n" +
                ",,,,,\n" +
                "1,1634567890.123456,free,0x10,512,0x0\n" +
                "1,00:00:01.5,allocate failure,(nil),4096,0x0\r" +
                "1,00:00:01.6,allocate,0x40,\u00e9512,0x0\r\r\n" +
                "1,00:00:01.7,free,0x40,512,0x0," + new string('z', 300) + "\n" +
                "1,00:00:01.8,free,0x50,512,0x0");
        var csvSink = new StatsSink("s");
        var csv = RmmCsvImporter.ReadWithCsvHelper(new ImportContext { Path = path, SourceId = "s", Stats = csvSink });
        Assert.True(csv.Count >= 3);
        // One part in one block, and many parts in blocks smaller than a line (a \r\n split across blocks, lines grown into).
        foreach (var (parts, block) in new[] { (1, 1 << 20), (3, 16), (7, 5), (2, 64) })
        {
            var plainSink = new StatsSink("s");
            var plain = RmmCsvImporter.ReadPlain(new ImportContext { Path = path, SourceId = "s", Stats = plainSink }, parts, block);
            Assert.Equal(csv.Records(), plain!.Records());
            Assert.Equal(csvSink.Counts.OrderBy(k => k.Key), plainSink.Counts.OrderBy(k => k.Key));
            TableComparer.AssertEqual(csvSink.Log_, plainSink.Log_);
        }
    }

    [Fact]
    public void A_file_with_a_quote_goes_to_CsvHelper()
    {
        var path = Path.Combine(Repo.TempDir(), "quoted.csv");
        File.WriteAllText(path, "Thread,Time,Action,Pointer,Size,Stream\n1,00:00:00.000001,\"allocate\",0x10,512,0x0\n");
        Assert.Null(RmmCsvImporter.ReadPlain(new ImportContext { Path = path, SourceId = "s", Stats = new StatsSink("s") }, parts: 1, blockBytes: 16));
        var rows = RmmCsvImporter.ReadWithCsvHelper(new ImportContext { Path = path, SourceId = "s", Stats = new StatsSink("s") });
        Assert.Equal(RmmAction.Allocate, Assert.Single(rows.Records()).Record.Action);
    }

    [Fact]
    public void Time_of_day_is_microseconds_since_midnight()
    {
        Assert.True(RmmRecord.TryTimeOfDay("01:02:03.000004", out var us));
        Assert.Equal(((1 * 60 + 2) * 60 + 3) * 1_000_000L + 4, us);
        Assert.True(RmmRecord.TryTimeOfDay("00:00:00.5", out us));
        Assert.Equal(500_000, us);
    }

    [Fact]
    public void Fixture_imports_with_date_rollover_device_and_oom()
    {
        var archive = TraceArchive.OpenOrCreate(Repo.TempDir());
        var runner = new ImportRunner(archive, new ImportOptions { Date = new DateOnly(2026, 11, 20) });
        var report = runner.ImportOne(Repo.Data("rmm", "pool.dev1.csv"), "auto");
        Assert.Equal(ImportOutcome.Imported, report.Outcome);
        Assert.Equal("rmm-csv", report.Format);
        var src = archive.Manifest.Sources.Single();
        Assert.Equal("2026-11-20", src.Notes["date"]);
        Assert.Equal("--date", src.Notes["date_source"]);
        Assert.Equal(1, src.Stats[StatsCatalog.RmmMidnightRollover.Key]);
        Assert.Equal(1, src.Stats[StatsCatalog.RmmBadRow.Key]);
        Assert.Equal(1, src.Stats[StatsCatalog.RmmUnknownAction.Key]);
        var ev = archive.ReadTable(GpuAllocEvents.Def);
        Assert.Equal(15, ev.RowCount);
        Assert.All(Enumerable.Range(0, ev.RowCount), i => Assert.Equal(1, ev[GpuAllocEvents.Device][i]));
        var ops = Enumerable.Range(0, ev.RowCount).Select(i => ev[GpuAllocEvents.Op][i]).ToList();
        Assert.Equal(9, ops.Count(o => o == "alloc"));
        Assert.Equal(5, ops.Count(o => o == "free"));
        Assert.Single(ops, o => o == "oom");
        // The first row is 23:59:59.1 local on the 20th; the fourth, 00:00:00.0, is on the 21st.
        var ts = ev[GpuAllocEvents.TsNs].Values.ToArray();
        Assert.Equal(900_000_000L, ts[3] - ts[0]);
        var local = DateTimeOffset.FromUnixTimeMilliseconds(ts[0] / 1_000_000).ToLocalTime();
        Assert.Equal((2026, 11, 20, 23, 59, 59), (local.Year, local.Month, local.Day, local.Hour, local.Minute, local.Second));
        var log = archive.ReadTable(ImportLog.Def);
        Assert.Contains(Enumerable.Range(0, log.RowCount), i => log[ImportLog.Location][i] == "line 16" && log[ImportLog.Excerpt][i]!.Contains("not-a-time"));
    }

    [Fact]
    public void Without_a_date_the_file_mtime_dates_the_last_row()
    {
        var dir = Repo.TempDir();
        var copy = Path.Combine(dir, "log.csv");
        File.Copy(Repo.Data("rmm", "pool.dev1.csv"), copy);
        File.SetLastWriteTime(copy, new DateTime(2026, 3, 2, 0, 0, 5));
        var archive = TraceArchive.OpenOrCreate(Path.Combine(dir, "a"));
        Assert.Equal(ImportOutcome.Imported, new ImportRunner(archive, new ImportOptions()).ImportOne(copy, "rmm-csv").Outcome);
        var src = archive.Manifest.Sources.Single();
        Assert.Equal("2026-03-01", src.Notes["date"]);
        Assert.Equal("file mtime", src.Notes["date_source"]);
        Assert.Equal("0", src.Notes["device"]);
    }

    [Fact]
    public void A_csv_without_the_rmm_header_is_refused()
    {
        var dir = Repo.TempDir();
        var path = Path.Combine(dir, "other.csv");
        File.WriteAllText(path, "a,b,c\n1,2,3\n");
        var report = new ImportRunner(TraceArchive.OpenOrCreate(Path.Combine(dir, "a")), new ImportOptions()).ImportOne(path, "rmm-csv");
        Assert.Equal(ImportOutcome.Refused, report.Outcome);
        Assert.Contains("other.csv", report.Message);
    }

    /// <summary>
    /// The byte fast path against the char parser on seeded lines built from valid and broken field variants: whatever
    /// the fast path accepts, the char parser accepts as the same record; and RMM's own line shape takes the fast path.
    /// </summary>
    [Fact]
    public void The_byte_fast_path_reads_what_the_char_parser_reads()
    {
        string[][] variants =
        [
            ["140573312345856", "0", "007", "1234567890123456789", "-1", "1.5", "", " 1"],
            ["13:45:02.123456", "00:00:00.000001", "23:59:60.5", "24:00:00.000000", "1:02:03.5", "13:45:02", "13:45:02.1234567891", "13:45:02.000000001", "1634567890.123456", "13:4a:02.1", "13:45:02."],
            ["allocate", "free", "deallocate", "allocate failure", "reallocate", "Allocate"],
            ["0x7f8a40000000", "0x0", "0X10", "0xfffffffffffffff", "0x7fffffffffffffff", "0x", "(nil)", "0xg", "7f8a"],
            ["1024", "0", "123456789012345678", "1234567890123456789", "-5", "1e3"],
            ["0x7f8a38001020", "0x0", "0xABCdef", "0x", "0x1,extra", "nullptr"],
        ];
        var rng = new Random(53);
        var fast = 0;
        for (var n = 0; n < 20_000; n++)
        {
            var fields = variants.Select(v => rng.Next(3) == 0 ? v[rng.Next(v.Length)] : v[0]).ToArray();
            var line = string.Join(',', fields);
            if (!RmmRecord.TryParseCommon(System.Text.Encoding.UTF8.GetBytes(line), out var quick)) continue;
            fast++;
            var parts = line.Split(',');
            Assert.Equal(6, parts.Length);
            Assert.True(RmmRecord.TryParse(parts, out var slow, out _), $"{line}: the fast path accepted what the char parser refuses");
            Assert.Equal(slow, quick);
        }
        Assert.True(fast > 2_000, $"only {fast} lines took the fast path");
        Assert.True(RmmRecord.TryParseCommon("140573312345856,13:45:02.123456,allocate,0x7f8a40000000,1024,0x7f8a38001020"u8, out _));
    }
}
