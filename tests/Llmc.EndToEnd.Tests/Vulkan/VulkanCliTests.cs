using System.Text.Json;
using Llmc.Ir;
using Llmc.Ir.Ops;
using Llmc.Runtime.Format;

namespace Llmc.EndToEnd.Tests.Vulkan;

/// <summary><c>llmc devices</c> and <c>llmc inspect</c> on a vulkan engine, run as a user would.</summary>
[Collection(StoriesCollection.Name)]
public sealed class VulkanCliTests(StoriesEngines engines)
{
    [VulkanFact]
    public void Devices_lists_the_lavapipe_device_with_index_type_version_memory_and_features()
    {
        var result = LlmcCli.Run("devices");
        Assert.True(result.ExitCode == 0, result.Stderr);
        var line = Assert.Single(result.Stdout.Split('\n'), l => l.Contains("llvmpipe"));
        Assert.Matches(@"^vulkan \d+: llvmpipe .*\(CPU\), Vulkan 1\.\d+\.\d+, [\d,]+ MiB device-local$", line);
        Assert.Contains("features: ", result.Stdout);

        var json = LlmcCli.Run("devices", "--json");
        using var doc = JsonDocument.Parse(json.Stdout);
        var device = doc.RootElement.GetProperty("vulkan").EnumerateArray().Single(d => d.GetProperty("name").GetString()!.StartsWith("llvmpipe"));
        Assert.Equal("CPU", device.GetProperty("type").GetString());
        Assert.True(device.GetProperty("device_local_bytes").GetInt64() > 0);
        Assert.True(device.GetProperty("subgroup_size").GetInt32() > 0);
    }

    [VulkanFact]
    public void Inspect_lists_spirv_kernels_and_their_sizes()
    {
        var result = LlmcCli.Run("inspect", engines.For("vulkan"), "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("vulkan", doc.RootElement.GetProperty("target").GetString());
        var kernels = doc.RootElement.GetProperty("kernels").EnumerateArray().ToList();
        Assert.NotEmpty(kernels);
        Assert.All(kernels, k =>
        {
            Assert.Equal("spirv", k.GetProperty("format").GetString());
            Assert.StartsWith("kernels.vulkan.", k.GetProperty("section").GetString());
            // A SPIR-V module is at least its 20-byte header and whole 32-bit words.
            var bytes = k.GetProperty("section_bytes").GetInt64();
            Assert.True(bytes > 20 && bytes % 4 == 0, $"{k.GetProperty("name")}: {bytes} bytes");
        });
    }

    [VulkanFact]
    public void Inspect_counts_the_workgroups_of_a_decode_token_and_a_prefill_step_with_the_code_each_runs()
    {
        var engine = engines.For("vulkan");
        var result = LlmcCli.Run("inspect", engine, "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        using var file = EngineFile.Open(engine);
        var plain = file.Manifest.Kernels.Where(k => k.Section.StartsWith("kernels.vulkan.", StringComparison.Ordinal) && !k.Section.Contains(".subgroup.")).ToList();
        var any = plain.Where(k => k.Launch!.MinRows == 0).ToDictionary(k => k.Name);
        var many = plain.Where(k => k.Launch!.MinRows > 0).ToDictionary(k => k.Name);
        var rows = doc.RootElement.GetProperty("prefill_rows").GetInt32();
        Assert.Equal(Math.Min(512, file.Manifest.Plan.MaxSeq), rows);
        long decode = 0, prefill = 0;
        foreach (var step in file.Manifest.Plan.Steps)
        {
            var kernel = any[step.Kernel];
            var linear = FusedLinearOp.IsLinearFamily(OpRegistry.Get(kernel.Template));
            // Stories' rows are short enough for the linear kernels' 4-row tiles, and in prefill, where the rows are
            // the step's, for tiles of 64 rows (32 for the gated pair, two accumulators a row) from 8 rows on; the
            // head's rows are the logit rows.
            if (linear) Assert.Contains(kernel.Launch!.GroupsY, new[] { "ceil(seq/4)", "ceil(out/4)" });
            Assert.Equal(linear && kernel.Launch!.GroupsY == "ceil(seq/4)", many.ContainsKey(step.Kernel));
            var prefillLaunch = many.TryGetValue(step.Kernel, out var m) ? m.Launch! : kernel.Launch!;
            if (many.ContainsKey(step.Kernel))
            {
                Assert.Contains(prefillLaunch.GroupsY, new[] { "ceil(seq/64)", "ceil(seq/32)" });
                Assert.Equal(8, prefillLaunch.MinRows);
            }
            long Groups(string extent) => extent switch
            {
                "seq" => rows,
                "out" or "ceil(out/4)" => 1,
                var tiled when tiled.StartsWith("ceil(seq/", StringComparison.Ordinal) => (rows + TileRows(tiled) - 1) / TileRows(tiled),
                var n => long.Parse(n),
            };
            static int TileRows(string extent) => int.Parse(extent["ceil(seq/".Length..^1]);
            decode += kernel.Launch!.GroupsX * (kernel.Launch.GroupsY.Contains("seq") ? 1 : Groups(kernel.Launch.GroupsY));
            prefill += prefillLaunch.GroupsX * Groups(prefillLaunch.GroupsY);
        }
        Assert.Equal(decode, doc.RootElement.GetProperty("decode_workgroups_per_token").GetInt64());
        Assert.Equal(prefill, doc.RootElement.GetProperty("prefill_workgroups").GetInt64());
        Assert.Contains($"per {rows}-token prefill step", LlmcCli.Run("inspect", engine).Stdout);
    }

    [VulkanFact]
    public void Bench_reports_the_device_time_of_a_decode_and_a_prefill_step_per_kernel_template()
    {
        var engine = engines.For("vulkan");
        var result = LlmcCli.Run("bench", engine, "--prompt-tokens", "24", "--gen-tokens", "4", "--repeat", "1", "--json");
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal(24, root.GetProperty("prefill_step_tokens").GetInt32());
        Assert.Equal(24, root.GetProperty("decode_step_after_prompt_position").GetInt32());
        foreach (var (totalKey, templatesKey) in new[]
        {
            ("decode_step_ms", "step_ms_by_template"),
            ("decode_step_after_prompt_ms", "decode_step_after_prompt_ms_by_template"),
            ("prefill_step_ms", "prefill_step_ms_by_template"),
        })
        {
            var total = root.GetProperty(totalKey).GetDouble();
            var byTemplate = root.GetProperty(templatesKey).EnumerateObject().ToList();
            Assert.True(total > 0, $"{totalKey}: {total} ms");
            Assert.Contains(byTemplate, t => t.Name == "embedding");
            Assert.All(byTemplate, t => Assert.True(t.Value.GetDouble() >= 0, $"{t.Name}: {t.Value} ms"));
            Assert.InRange(byTemplate.Sum(t => t.Value.GetDouble()), total * 0.99, total * 1.01 + 1e-3);
        }
    }
}
