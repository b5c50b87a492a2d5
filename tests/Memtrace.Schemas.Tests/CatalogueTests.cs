using System.Globalization;
using System.Reflection;
using Memtrace.Schemas.Results;
using Memtrace.Schemas.Stats;
using Xunit;

namespace Memtrace.Schemas.Tests;

/// <summary>
/// Each vocabulary is one list beside the fields it names: a field left out of its list, or a list entry that is no
/// field, fails here; so does a limit whose number no counter quotes.
/// </summary>
public sealed class CatalogueTests
{
    private static List<T> Fields<T>(Type catalogue) =>
        catalogue.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(T)).Select(f => (T)f.GetValue(null)!).ToList();

    [Fact]
    public void Every_declared_counter_is_in_the_stats_list_and_every_listed_one_is_declared()
    {
        var declared = Fields<StatDef>(typeof(StatsCatalog));
        Assert.Equal(declared.Select(s => s.Key).Order(StringComparer.Ordinal), StatsCatalog.All.Select(s => s.Key).Order(StringComparer.Ordinal));
        Assert.Equal(StatsCatalog.All.Count, StatsCatalog.All.Select(s => s.Key).Distinct().Count());
    }

    [Fact]
    public void Every_declared_flag_kind_is_in_the_list_once_with_a_known_severity()
    {
        var declared = Fields<FlagKind>(typeof(FlagKinds));
        Assert.Equal(declared.Select(k => k.Name).Order(StringComparer.Ordinal), FlagKinds.All.Select(k => k.Name).Order(StringComparer.Ordinal));
        Assert.Equal(FlagKinds.All.Count, FlagKinds.All.Select(k => k.Name).Distinct().Count());
        Assert.All(FlagKinds.All, k => Assert.Contains(k.Severity, new[] { FlagKinds.Info, FlagKinds.Warning, FlagKinds.Critical }));
        // negative_<layer> names a real layer of the attribution.
        Assert.All(FlagKinds.All.Where(k => k.Name.StartsWith("negative_", StringComparison.Ordinal)),
            k => Assert.Contains(k.Name["negative_".Length..], RssGapAttribution.Layers.Select(l => l.Name)));
    }

    [Fact]
    public void Every_import_limit_is_quoted_by_a_limit_counter()
    {
        var limits = typeof(ImportLimits).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToList();
        Assert.NotEmpty(limits);
        var descriptions = StatsCatalog.All.Where(s => s.Key.StartsWith("limit_", StringComparison.Ordinal)).Select(s => s.Description).ToList();
        foreach (var f in limits)
        {
            var value = Convert.ToInt64(f.GetRawConstantValue(), CultureInfo.InvariantCulture);
            // As a description writes a number: 100,000 and 4,096; 1000x; 256 MiB, 64 M entries, 16 Mi characters.
            List<string> written = [value.ToString("N0", CultureInfo.InvariantCulture), $"{value}x"];
            if (value >= 1 << 20) written.AddRange([$"{value >> 20} MiB", $"{value >> 20} M ", $"{value >> 20} Mi "]);
            Assert.True(descriptions.Any(d => written.Any(w => d.Contains("(" + w, StringComparison.Ordinal) || d.Contains(" " + w, StringComparison.Ordinal))),
                $"ImportLimits.{f.Name} = {value} is quoted by no limit_* counter");
        }
    }

    [Fact]
    public void The_fail_on_gates_are_the_gpu_verdicts_and_the_three_other_gates()
    {
        Assert.Equal([.. Verdicts.Gpu.Select(v => v.Word).Where(v => v != Verdicts.NoOom), Verdicts.AnyOom, Verdicts.HostOom, Verdicts.Spin], Verdicts.FailOn);
        Assert.Equal(Verdicts.FragmentationOom, Verdicts.Worst([Verdicts.NoOom, Verdicts.CapacityOom, Verdicts.FragmentationOom]));
        Assert.Equal(Verdicts.NoOom, Verdicts.Worst([]));
        Assert.Equal(Verdicts.CapacityOom, Verdicts.OfPool([Verdicts.Capacity]));
    }
}
