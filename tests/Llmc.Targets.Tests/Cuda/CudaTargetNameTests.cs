using Llmc.Compiler.Build;
using Llmc.Runtime;
using Llmc.Targets.Cuda;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>CUDA target names: one architecture, or a comma list for a fat engine, written in one canonical order.</summary>
public sealed class CudaTargetNameTests
{
    [Theory]
    [InlineData("cuda-sm89", "cuda-sm89", new[] { 89 })]
    [InlineData("cuda-sm90,cuda-sm80,cuda-sm89", "cuda-sm80,cuda-sm89,cuda-sm90", new[] { 80, 89, 90 })]
    [InlineData("cuda-sm86, cuda-sm86", "cuda-sm86", new[] { 86 })]
    public void ParsesSingleAndFatTargets(string given, string name, int[] architectures)
    {
        var target = Assert.IsType<CudaTarget>(TargetRegistry.Get(given));
        Assert.Equal(name, target.Name);
        Assert.Equal(architectures, target.Architectures);
    }

    [Theory]
    [InlineData("cuda-sm75")]
    [InlineData("cuda-sm89,cpu-avx2")]
    [InlineData("cuda-sm")]
    [InlineData("cuda-sm89,")]
    public void RefusesUnknownArchitecturesAndMixedLists(string given)
    {
        var error = Assert.Throws<LlmcException>(() => TargetRegistry.Get(given));
        Assert.Contains($"unknown target '{given}'", error.Message);
        Assert.Contains("cuda-sm80", error.Message);
    }
}
