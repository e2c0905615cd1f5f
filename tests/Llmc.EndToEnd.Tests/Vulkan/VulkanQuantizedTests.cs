using Llmc.Compiler.Build;
using Llmc.Runtime;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Runtime.Generation;

namespace Llmc.EndToEnd.Tests.Vulkan;

/// <summary>Half-precision and quantized stories260K engines run on Vulkan as on the CPU: the same weights, the same outputs.</summary>
[Collection(StoriesCollection.Name)]
public sealed class VulkanQuantizedTests(StoriesEngines engines)
{
    private static readonly int[] Tokens = [1, 403, 407, 261, 378, 432, 383, 286, 261];

    /// <summary>
    /// Half-precision weights are widened exactly, so logits agree as closely as f32 engines do. Quantized linears round their
    /// activations to int8 per group, a step function: float-level differences in the norm before it (both targets within
    /// 1e-5 of the reference per kernel) can move a value across a rounding boundary, so those logits are held to 1e-2
    /// (q8 measured 4.8e-3, q4 1.3e-3); greedy decoding, which such a flip can eventually steer, is compared for f16 only.
    /// </summary>
    [VulkanFact]
    public void Half_and_quantized_engines_match_the_cpu_engine_of_the_same_weights()
    {
        foreach (var (quant, groupSize, tolerance) in new[] { ("f16", 32, 1e-5), ("q8", 32, 1e-2), ("q4", 32, 1e-2) })
        {
            using var cpu = Engine.Load(Build(CpuIsa.Avx2Target, quant, groupSize));
            using var vulkan = Engine.Load(Build("vulkan", quant, groupSize));
            Assert.Equal(cpu.Manifest.Model.WeightDType, vulkan.Manifest.Model.WeightDType);

            var (expected, actual) = (cpu.Logits(Tokens), vulkan.Logits(Tokens));
            double diff = 0, norm = 0;
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(float.IsFinite(actual[i]), $"{quant}: logit {i} is {actual[i]}");
                diff += Math.Pow(actual[i] - expected[i], 2);
                norm += Math.Pow(expected[i], 2);
            }
            Assert.True(Math.Sqrt(diff / norm) < tolerance, $"{quant}: relative L2 {Math.Sqrt(diff / norm):E3} >= {tolerance:E0}");

            if (quant != "f16") continue;
            var greedy = new GenerationOptions { MaxTokens = 60, Sampling = SamplingOptions.Greedy };
            Assert.Equal(cpu.Generate("Once upon a time", greedy).Tokens, vulkan.Generate("Once upon a time", greedy).Tokens);
        }
    }

    private string Build(string target, string quant, int groupSize)
    {
        var path = Path.Combine(engines.Directory, $"stories-{target}-{quant}g{groupSize}.llmc");
        if (!File.Exists(path))
            EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = target, Output = path, Quant = quant, GroupSize = groupSize });
        return path;
    }
}
