using Llmc.Compiler.Build;
using Llmc.Compiler.Passes;
using Llmc.Runtime;

namespace Llmc.EndToEnd.Tests;

/// <summary>
/// stories260K built with the default (fused) pipeline against the same model built with <c>--no-fuse</c>: fewer
/// kernel launches per step, the same logits (f32: quantized fused graphs are checked against unfused ones under the
/// reference in FusionPassTests, and fused quantized kernels against the reference in conformance). The golden-id
/// tests run on the fused default engines.
/// </summary>
[Collection(StoriesCollection.Name)]
public sealed class FusionTests(StoriesEngines engines)
{
    private const double Tolerance = 1e-5;
    private const double QuantizedTolerance = 1e-2;
    private static readonly int[] Tokens = [1, 403, 407, 261, 378, 432, 383, 286, 261];

    [Theory]
    [CpuTarget("cpu-avx2")]
    [CpuTarget("cpu-avx512")]
    public void Fused_and_unfused_engines_give_the_same_logits_with_fewer_launches(string target)
    {
        var fusedPath = Build(target, Pipeline.Default);
        var unfusedPath = Build(target, Pipeline.Default.WithoutFusion());
        using var fused = Engine.Load(fusedPath);
        using var unfused = Engine.Load(unfusedPath);
        Assert.Contains("fuse-qkv-rope", fused.Manifest.Build.Options["passes"]);
        Assert.DoesNotContain("fuse-", unfused.Manifest.Build.Options["passes"]);
        // stories260K has 5 layers: 16 launches each unfused, 5 fused; then embedding, row gather and head, and
        // unfused the final norm.
        Assert.Equal(5 * 16 + 4, unfused.Manifest.Plan.Steps.Count);
        Assert.Equal(5 * 5 + 3, fused.Manifest.Plan.Steps.Count);
        var relative = RelativeError(unfused.Logits(Tokens), fused.Logits(Tokens));
        Assert.True(relative < Tolerance, $"{target}: relative L2 error {relative:E2} between fused and unfused logits");
    }

    /// <summary>
    /// Quantized engines round every linear's activation to int8, which turns ulp-level differences between a fused
    /// and an unfused kernel (e.g. the SwiGLU epilogue's scalar exp against the silu kernel's vector exp) into whole
    /// code steps for values at a rounding boundary; measured 4.8e-3 relative L2 for q8, hence the looser bound. The
    /// weights are identical (stacked matrices are their parts' rows) and each fused kernel matches its reference in
    /// conformance.
    /// </summary>
    [Theory]
    [CpuTarget("cpu-avx2", "q8")]
    [CpuTarget("cpu-avx512", "q4")]
    public void Quantized_fused_and_unfused_engines_agree_to_activation_rounding(string target, string quant)
    {
        using var fused = Engine.Load(Build(target, Pipeline.Default, quant));
        using var unfused = Engine.Load(Build(target, Pipeline.Default.WithoutFusion(), quant));
        var relative = RelativeError(unfused.Logits(Tokens), fused.Logits(Tokens));
        Assert.True(relative < QuantizedTolerance, $"{target} {quant}: relative L2 error {relative:E2} between fused and unfused logits");
    }

    [Fact]
    public void Llmc_build_no_fuse_records_the_pipeline_without_fusion_passes()
    {
        var path = Path.Combine(engines.Directory, "cli-no-fuse.llmc");
        var result = LlmcCli.Run("build", StoriesEngines.Source, "--target", "cpu-avx2", "--no-fuse", "-o", path);
        Assert.True(result.ExitCode == 0, result.Stderr);
        using var engine = Engine.Load(path);
        Assert.Equal("dce", engine.Manifest.Build.Options["passes"]);
        Assert.Equal(5 * 16 + 4, engine.Manifest.Plan.Steps.Count);
        var list = LlmcCli.Run("build", "--passes", "list");
        Assert.Contains($"default pipeline: {string.Join(", ", Pipeline.Default.Passes)}", list.Stdout);
        Assert.Contains("fuse-qkv-rope", list.Stdout);
    }

    private static double RelativeError(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        Assert.DoesNotContain(actual, float.IsNaN);
        double err = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            err += Math.Pow(actual[i] - expected[i], 2);
            norm += Math.Pow(expected[i], 2);
        }
        return Math.Sqrt(err / norm);
    }

    private string Build(string target, Pipeline pipeline, string quant = "f32")
    {
        var path = Path.Combine(engines.Directory, $"fusion-{target}-{quant}-{pipeline.Passes.Count}.llmc");
        EngineBuilder.Build(new BuildOptions { Source = StoriesEngines.Source, Target = target, Output = path, Pipeline = pipeline, Quant = quant });
        return path;
    }
}
