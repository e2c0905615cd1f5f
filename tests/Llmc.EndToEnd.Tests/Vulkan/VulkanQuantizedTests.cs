using Llmc.Compiler.Build;
using Llmc.Runtime;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Runtime.Generation;

namespace Llmc.EndToEnd.Tests.Vulkan;

/// <summary>Quantized stories260K engines run on Vulkan as on the CPU: the same weights and activation rounding, the same outputs.</summary>
[Collection(StoriesCollection.Name)]
public sealed class VulkanQuantizedTests(StoriesEngines engines)
{
    private static readonly int[] Tokens = [1, 403, 407, 261, 378, 432, 383, 286, 261];

    [VulkanFact]
    public void Quantized_engines_match_the_cpu_engine_of_the_same_quantization()
    {
        foreach (var (quant, groupSize) in new[] { ("q8", 32), ("q4", 32), ("q4a", 64) })
        {
            using var cpu = Engine.Load(Build(CpuIsa.Avx2Target, quant, groupSize));
            using var vulkan = Engine.Load(Build("vulkan", quant, groupSize));
            Assert.Equal($"{quant}g{groupSize}", vulkan.Manifest.Model.WeightDType);

            var (expected, actual) = (cpu.Logits(Tokens), vulkan.Logits(Tokens));
            double diff = 0, norm = 0;
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(float.IsFinite(actual[i]), $"{quant}: logit {i} is {actual[i]}");
                diff += Math.Pow(actual[i] - expected[i], 2);
                norm += Math.Pow(expected[i], 2);
            }
            Assert.True(Math.Sqrt(diff / norm) < 1e-5, $"{quant}: relative L2 {Math.Sqrt(diff / norm):E3}");

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
