using Memtrace.Pipeline.Allocators;
using Xunit;

namespace Memtrace.Pipeline.Tests.Allocators;

public sealed class AllocatorConfigTests
{
    [Theory]
    [InlineData("max_split_size_mb:20", "too small")]
    [InlineData("max_split_size_mb:abc", "whole number")]
    [InlineData("expandable_segments:yes", "True or False")]
    [InlineData("garbage_collection_threshold:1.5", "between 0 and 1")]
    [InlineData("roundup_power2_divisions:3", "power of two")]
    [InlineData("roundup_power2_divisions:[300:2]", "power of two in MiB")]
    [InlineData("max_split_size:128", "unknown allocator option 'max_split_size'")]
    [InlineData("expandable_segments", "key:value")]
    public void A_bad_option_names_itself(string conf, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => AllocatorConfig.Parse(conf)).Message);

    [Theory]
    [InlineData("", "")]
    [InlineData("expandable_segments:True", "expandable_segments:True")]
    [InlineData("max_split_size_mb:128, expandable_segments:False", "max_split_size_mb:128")]
    [InlineData("roundup_power2_divisions:8,garbage_collection_threshold:0.6", "roundup_power2_divisions:8,garbage_collection_threshold:0.6")]
    [InlineData("backend:native,pinned_num_register_threads:4", "")]
    public void The_conf_line_round_trips(string conf, string canonical)
    {
        var c = AllocatorConfig.Parse(conf);
        Assert.Equal(canonical, c.ToConf());
        Assert.Equal(c, AllocatorConfig.Parse(c.ToConf()));
    }

    [Fact]
    public void Settings_as_a_real_snapshot_records_them()
    {
        // magma27's allocator_settings, as gpu_allocator_settings stores them.
        var c = AllocatorConfig.FromSettings(new Dictionary<string, string>
        {
            ["PYTORCH_CUDA_ALLOC_CONF"] = "", ["max_split_size"] = "-1", ["garbage_collection_threshold"] = "0", ["expandable_segments"] = "False",
            ["roundup_power2_divisions"] = "1:0,2:0,4:0,8:0,16:0,32:0,64:0,128:0,256:0,512:0,1024:0,2048:0,4096:0,8192:0,16384:0,32768:0",
        });
        Assert.Equal(AllocatorConfig.Default, c);
        var set = AllocatorConfig.FromSettings(new Dictionary<string, string>
        {
            ["max_split_size"] = (128L << 20).ToString(), ["expandable_segments"] = "True", ["roundup_power2_divisions"] = "1:4,2:4,1024:8",
        });
        Assert.Equal(128L << 20, set.MaxSplitSize);
        Assert.True(set.ExpandableSegments);
        Assert.Equal(4, set.DivisionsFor(3L << 20));
        Assert.Equal(8, set.DivisionsFor(1500L << 20));
        Assert.Equal(0, set.DivisionsFor(100L << 20));
    }
}
