using System.Text.Json;
using System.Text.Json.Nodes;
using Llmc.Compiler.Frontends;
using Llmc.Compiler.Models;
using Llmc.Compiler.Passes;
using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;
using Llmc.Targets.Cpu;

namespace Llmc.EndToEnd.Tests;

/// <summary><c>llmc inspect --json</c>'s memory and launch figures, checked against numbers derived from the model's config.</summary>
[Collection(StoriesCollection.Name)]
public sealed class InspectFiguresTests(StoriesEngines engines)
{
    private static readonly JsonObject Config = JsonNode.Parse(File.ReadAllText(Path.Combine(StoriesEngines.Source, "config.json")))!.AsObject();

    private static int C(string name) => Config[name]!.GetValue<int>();

    [Fact]
    public void Kv_bytes_per_token_is_keys_and_values_of_every_layer_in_f32()
    {
        var root = Inspect();
        Assert.Equal(2L * C("num_hidden_layers") * C("num_key_value_heads") * C("head_dim") * sizeof(float), root.GetProperty("kv_bytes_per_token").GetInt64());
    }

    [Fact]
    public void Weight_bytes_count_every_parameter_in_f32()
    {
        long hidden = C("hidden_size"), ffn = C("intermediate_size"), q = C("num_attention_heads") * C("head_dim"), kv = C("num_key_value_heads") * C("head_dim");
        var perLayer = 2 * hidden + hidden * q + 2 * hidden * kv + q * hidden + 3 * hidden * ffn;
        // Tied embedding (no lm_head), the final norm, and the RoPE inverse frequencies the compiler adds.
        var parameters = C("vocab_size") * hidden + C("num_hidden_layers") * perLayer + hidden + C("head_dim") / 2;
        var root = Inspect();
        Assert.Equal(parameters * sizeof(float), root.GetProperty("weight_bytes").GetInt64());
        Assert.Equal(root.GetProperty("tensor_bytes").GetInt64(), root.GetProperty("weight_bytes").GetInt64());
    }

    [Fact]
    public void Decode_launches_per_token_are_the_nodes_of_the_built_graph()
    {
        using var model = HfModelFolder.Open(StoriesEngines.Source);
        var (graph, weights) = ModelImport.Import(model, context: 512);
        PassManager.Run(graph, Pipeline.Default, new PassContext(weights, new CpuTarget("cpu-avx2")), verify: true);
        var root = Inspect();
        Assert.Equal(graph.Nodes.Count, root.GetProperty("decode_launches_per_token").GetInt32());
        Assert.Equal(graph.Nodes.Count, root.GetProperty("kernels").EnumerateArray().Sum(k => k.GetProperty("launches").GetInt32()));
    }

    [Fact]
    public void Peak_activation_bytes_hold_the_lm_head_step_and_reuse_memory()
    {
        var root = Inspect();
        var peak = root.GetProperty("peak_activation_bytes").GetInt64();
        var maxSeq = root.GetProperty("max_batch_tokens").GetInt32();
        // The LM head reads the selected hidden rows and writes the logits: both are live at once.
        var lmHead = ActivationArena.AlignUp((long)maxSeq * C("hidden_size") * 4) + ActivationArena.AlignUp((long)maxSeq * C("vocab_size") * 4);
        Assert.InRange(peak, lmHead, long.MaxValue);
        using var file = EngineFile.Open(engines.For("cpu-avx2"));
        var plan = file.Manifest.Plan;
        Assert.Equal(plan.ActivationBytes, peak);
        var unplanned = plan.Buffers.Where(b => b.Kind == BufferKind.Activation).Sum(b => ActivationArena.AlignUp(PlanShapes.Bytes(b, plan.MaxSeq)));
        Assert.True(peak < unplanned / 4, $"peak {peak} should be well under the {unplanned} bytes of no reuse");
    }

    [Fact]
    public void Every_kernel_names_its_code_format_and_section_size()
    {
        var root = Inspect();
        var sections = root.GetProperty("code_sections").EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!);
        Assert.All(root.GetProperty("kernels").EnumerateArray(), k =>
        {
            Assert.Equal("dotnet-il", k.GetProperty("format").GetString());
            var section = sections[k.GetProperty("section").GetString()!];
            Assert.Equal(section.GetProperty("bytes").GetInt64(), k.GetProperty("section_bytes").GetInt64());
            Assert.Equal("dotnet-il", section.GetProperty("format").GetString());
        });
        var assembly = Assert.Single(sections.Values);
        Assert.Equal(root.GetProperty("kernels").GetArrayLength(), assembly.GetProperty("kernels").GetInt32());
        Assert.True(assembly.GetProperty("bytes").GetInt64() > 1000);
    }

    [Fact]
    public void The_text_view_shows_the_figures()
    {
        var result = LlmcCli.Run("inspect", engines.For("cpu-avx2"));
        Assert.Equal(0, result.ExitCode);
        var kv = 2 * C("num_hidden_layers") * C("num_key_value_heads") * C("head_dim") * sizeof(float);
        Assert.Contains($"{kv:N0} bytes per token", result.Stdout);
        Assert.Contains("kernel launches per decode token", result.Stdout);
        Assert.Contains("bytes at peak", result.Stdout);
    }

    private JsonElement Inspect()
    {
        var result = LlmcCli.Run("inspect", engines.For("cpu-avx2"), "--json");
        Assert.Equal(0, result.ExitCode);
        return JsonDocument.Parse(result.Stdout).RootElement;
    }
}
