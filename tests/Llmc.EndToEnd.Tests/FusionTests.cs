using Llmc.Compiler.Build;
using Llmc.Compiler.Passes;
using Llmc.Runtime;

namespace Llmc.EndToEnd.Tests;

/// <summary>
/// stories260K built with the default (fused) pipeline against the same model built with <c>--no-fuse</c>: fewer
/// kernel launches per step, the same logits. The golden-id tests run on the fused default engines.
/// </summary>
[Collection(StoriesCollection.Name)]
public sealed class FusionTests(StoriesEngines engines)
{
    private static readonly int[] Tokens = [1, 403, 407, 261, 378, 432, 383, 286, 261];

    [Theory]
    [CpuTarget("cpu-avx2", "f32", 1e-5)]
    [CpuTarget("cpu-avx512", "f32", 1e-5)]
    // A quantized fused kernel normalizes its row in double (as rms_norm's reference does), the unfused rms_norm
    // kernel in f32: an activation right at an int8 rounding boundary may round the other way.
    [CpuTarget("cpu-avx2", "q8", 1e-3)]
    [CpuTarget("cpu-avx512", "q4", 1e-3)]
    public void Fused_and_unfused_engines_give_the_same_logits_with_fewer_launches(string target, string quant, double tolerance)
    {
        var fusedPath = Build(target, quant, Pipeline.Default);
        var unfusedPath = Build(target, quant, Pipeline.Default.WithoutFusion());
        using var fused = Engine.Load(fusedPath);
        using var unfused = Engine.Load(unfusedPath);
        Assert.Contains("fuse-qkv-rope", fused.Manifest.Build.Options["passes"]);
        Assert.DoesNotContain("fuse-", unfused.Manifest.Build.Options["passes"]);
        // stories260K has 5 layers: 16 launches each unfused, 5 fused (plus embedding, final norm, row gather, head).
        Assert.Equal(5 * 16 + 4, unfused.Manifest.Plan.Steps.Count);
        Assert.Equal(5 * 5 + 4, fused.Manifest.Plan.Steps.Count);
        var expected = unfused.Logits(Tokens);
        var actual = fused.Logits(Tokens);
        Assert.Equal(expected.Length, actual.Length);
        Assert.DoesNotContain(actual, float.IsNaN);
        double err = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            err += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }
        var relative = Math.Sqrt(err / norm);
        Assert.True(relative < tolerance, $"{target} {quant}: relative L2 error {relative:E2} between fused and unfused logits (bound {tolerance:E0})");
    }

    private string Build(string target, string quant, Pipeline pipeline)
    {
        var path = Path.Combine(engines.Directory, $"fusion-{target}-{quant}-{pipeline.Passes.Count}.llmc");
        EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = target, Output = path, Quant = quant, Pipeline = pipeline });
        return path;
    }
}
