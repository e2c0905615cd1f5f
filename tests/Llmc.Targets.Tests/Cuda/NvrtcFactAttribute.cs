using Llmc.Targets.Cuda.Nvrtc;

namespace Llmc.Targets.Tests.Cuda;

/// <summary>A fact that compiles CUDA kernels: skipped, saying what was tried, only where NVRTC cannot be loaded.</summary>
public sealed class NvrtcFactAttribute : FactAttribute
{
    public NvrtcFactAttribute()
    {
        if (NvrtcLibrary.Problem is { } problem) Skip = problem;
    }
}

/// <summary>A theory that compiles CUDA kernels: skipped, saying what was tried, only where NVRTC cannot be loaded.</summary>
public sealed class NvrtcTheoryAttribute : TheoryAttribute
{
    public NvrtcTheoryAttribute()
    {
        if (NvrtcLibrary.Problem is { } problem) Skip = problem;
    }
}
