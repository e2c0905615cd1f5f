using Llmc.Compiler.Build;
using Llmc.Runtime;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests.Quantization;

/// <summary>stories260K built with quantized weights runs and writes text.</summary>
public sealed class QuantizedStoriesTests
{
    [Theory]
    [CpuTarget(CpuIsa.Avx2Target)]
    [CpuTarget(CpuIsa.Avx512Target)]
    public void Quantized_engines_generate_text(string target)
    {
        foreach (var (quant, groupSize) in new[] { ("q8", 32), ("q4", 32), ("q4a", 64) })
        {
            var path = Path.Combine(Path.GetTempPath(), $"llmc-quant-{Guid.NewGuid():N}.llmc");
            try
            {
                EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = target, Output = path, Quant = quant, GroupSize = groupSize });
                using var engine = Engine.Load(path);
                Assert.Equal($"{quant}g{groupSize}", engine.Manifest.Model.WeightDType);
                var result = engine.Generate("Once upon a time", new GenerationOptions { MaxTokens = 30, Sampling = SamplingOptions.Greedy });
                Assert.True(result.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= 5, $"{quant}: '{result.Text}'");
            }
            finally
            {
                File.Delete(path);
            }
        }
    }

    [Theory]
    [InlineData("q3", 32, "unknown --quant 'q3'")]
    [InlineData("q4", 0, "--group-size 0 is not supported")]
    [InlineData("q8", 48, "--group-size 48 is not supported")]
    public void Bad_quantization_options_are_refused(string quant, int groupSize, string message)
    {
        var error = Assert.Throws<LlmcException>(() => EngineBuilder.Build(new BuildOptions
        {
            Source = StoriesEngines.Source, Target = CpuIsa.Avx2Target, Output = "/nonexistent/x.llmc", Quant = quant, GroupSize = groupSize,
        }));
        Assert.Contains(message, error.Message);
    }
}
