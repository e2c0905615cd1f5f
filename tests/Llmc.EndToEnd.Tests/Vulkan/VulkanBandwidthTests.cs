using System.Text.Json;
using Llmc.EndToEnd.Tests.Tools;
using Llmc.Runtime;
using Llmc.Runtime.Benchmarking;
using Llmc.Runtime.Devices;
using Llmc.Runtime.Devices.Vulkan;

namespace Llmc.EndToEnd.Tests.Vulkan;

/// <summary>
/// The roofline of a vulkan engine is its device's memory bandwidth, measured by copies on the device (lavapipe in CI,
/// where device memory is host memory). How fast it is is for benchmarks; these check that it is measured, on the device.
/// </summary>
[Collection(StoriesCollection.Name)]
public sealed class VulkanBandwidthTests(StoriesEngines engines)
{
    [VulkanFact]
    public void Probe_reports_positive_finite_trials_of_the_engines_device_and_leaves_the_engine_intact()
    {
        using var engine = Engine.Load(engines.For(VulkanExecutor.Target));
        var before = engine.Logits([1, 2, 3]);
        var probe = Assert.IsAssignableFrom<IDeviceBandwidthProbe>(engine.BandwidthProbe);

        var measured = probe.MeasureDeviceBandwidth(5);

        Assert.Equal(BandwidthSource.Device, measured.Source);
        Assert.StartsWith("Vulkan device ", measured.Device);
        Assert.Equal(5, measured.Trials);
        var gbps = measured.GigabytesPerSecond;
        Assert.True(double.IsFinite(gbps.Max) && gbps.Min > 0, $"{gbps}");
        Assert.True(gbps.Min <= gbps.Median && gbps.Median <= gbps.Max, $"{gbps}");
        Assert.Equal(gbps.Max, measured.Best);
        // The probe's buffers are its own: the engine's weights, caches and activations are as they were.
        Assert.Equal(before, engine.Logits([1, 2, 3]));
    }

    [VulkanFact]
    public void Probe_refuses_zero_trials_in_one_line()
    {
        using var engine = Engine.Load(engines.For(VulkanExecutor.Target));
        var error = Assert.Throws<LlmcException>(() => engine.BandwidthProbe!.MeasureDeviceBandwidth(0));
        Assert.Equal("bandwidth trials must be at least 1, got 0", error.Message);
    }

    [VulkanFact]
    public void Bench_json_takes_the_roofline_from_device_memory()
    {
        var result = LlmcCli.Run("bench", engines.For(VulkanExecutor.Target), "--prompt-tokens", "4", "--gen-tokens", "4", "--repeat", "1", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal("device", root.GetProperty("bandwidth_source").GetString());
        Assert.StartsWith("Vulkan device ", root.GetProperty("bandwidth_device").GetString());
        BenchReport.AssertRooflineFromBestTrial(root);
    }

    [VulkanFact]
    public void Bench_table_names_device_memory_bandwidth_and_the_device()
    {
        var result = LlmcCli.Run("bench", engines.For(VulkanExecutor.Target), "--prompt-tokens", "4", "--gen-tokens", "4", "--repeat", "1");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var line = Assert.Single(result.Stdout.Split('\n'), l => l.Contains("bandwidth"));
        Assert.Matches(@"^device memory bandwidth \d+\.\d GB/s \(best of \d+ copies on Vulkan device \d+ \(.+\); median \d+\.\d, min \d+\.\d\)$", line);
    }
}
