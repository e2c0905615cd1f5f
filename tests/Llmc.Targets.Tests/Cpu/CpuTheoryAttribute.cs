using Llmc.Runtime.Devices.Cpu;

namespace Llmc.Targets.Tests.Cpu;

/// <summary>A theory that runs kernels of a CPU target: skipped, with the missing feature as the reason, on a CPU that lacks it.</summary>
public sealed class CpuTheoryAttribute : TheoryAttribute
{
    public CpuTheoryAttribute(string target)
    {
        if (CpuIsa.Missing(target) is { } reason) Skip = reason;
    }
}

/// <summary>A fact that runs kernels of a CPU target: skipped, with the missing feature as the reason, on a CPU that lacks it.</summary>
public sealed class CpuFactAttribute : FactAttribute
{
    public CpuFactAttribute(string target)
    {
        if (CpuIsa.Missing(target) is { } reason) Skip = reason;
    }
}
