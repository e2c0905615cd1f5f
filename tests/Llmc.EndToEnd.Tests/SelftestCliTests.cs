using System.Text.Json;
using Llmc.EndToEnd.Tests.Cuda;
using Llmc.Runtime.Devices.Cpu;

namespace Llmc.EndToEnd.Tests;

/// <summary>
/// <c>llmc selftest</c>: the conformance suite compiled for a target and run on this machine's device, a table or one
/// JSON object, exit 0 when every case passes; a target the machine cannot run is one line on stderr and exit 2.
/// </summary>
public sealed class SelftestCliTests
{
    [Theory]
    [CpuTarget(CpuIsa.Avx2Target)]
    public void Cpu_cases_pass_and_print_a_row_each_with_a_summary(string target)
    {
        var result = LlmcCli.Run("selftest", "--target", target, "--filter", "rms_norm rows=9");
        Assert.Equal(0, result.ExitCode);
        var rows = result.Stdout.Split('\n').Where(l => l.StartsWith("pass", StringComparison.Ordinal)).ToList();
        Assert.Single(rows);
        Assert.Contains("rms_norm rows=9 width=65", rows[0]);
        Assert.Contains("selftest cpu-avx2: 1 passed, 0 failed", result.Stdout);
    }

    [Theory]
    [CpuTarget(CpuIsa.Avx2Target)]
    public void Json_lists_each_case_with_its_error_and_tolerance(string target)
    {
        var result = LlmcCli.Run("selftest", "--target", target, "--filter", "attention heads=8 kv_heads=2", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal("cpu-avx2", root.GetProperty("target").GetString());
        Assert.Equal(0, root.GetProperty("failed").GetInt32());
        var cases = root.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(cases.Count, root.GetProperty("passed").GetInt32());
        Assert.NotEmpty(cases);
        Assert.All(cases, c =>
        {
            Assert.True(c.GetProperty("passed").GetBoolean());
            Assert.InRange(c.GetProperty("error").GetDouble(), 0, c.GetProperty("tolerance").GetDouble());
        });
    }

    [Vulkan.VulkanFact]
    public void Vulkan_runs_each_case_in_its_plain_and_subgroup_variants()
    {
        var result = LlmcCli.Run("selftest", "--target", "vulkan", "--filter", "rope rows=7 heads=3 head_dim=6", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.StartsWith("Vulkan device", doc.RootElement.GetProperty("device").GetString());
        var names = doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToList();
        // lavapipe has subgroup arithmetic: the subgroup variant is its own row.
        Assert.Equal(["rope rows=7 heads=3 head_dim=6", "rope rows=7 heads=3 head_dim=6 (subgroups)"], names);
    }

    [NoCudaDeviceFact]
    public void Cuda_without_a_gpu_says_so_in_one_line_and_exits_2()
    {
        var result = LlmcCli.Run("selftest", "--target", "cuda-sm90");
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.StderrLines);
        Assert.Contains("no CUDA device is available", line);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public void An_unknown_target_is_an_error_naming_it()
    {
        var result = LlmcCli.Run("selftest", "--target", "cuda-sm75");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("unknown target 'cuda-sm75'", Assert.Single(result.StderrLines));
    }

    [Fact]
    public void A_filter_that_matches_nothing_runs_no_case_and_passes()
    {
        var result = LlmcCli.Run("selftest", "--filter", "no such case", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal(0, doc.RootElement.GetProperty("passed").GetInt32());
        Assert.Empty(doc.RootElement.GetProperty("cases").EnumerateArray());
    }
}
