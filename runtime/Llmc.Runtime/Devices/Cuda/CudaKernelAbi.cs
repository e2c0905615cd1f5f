using System.Globalization;

namespace Llmc.Runtime.Devices.Cuda;

/// <summary>
/// How CUDA code is stored in an engine, shared by the CUDA target (writer) and the CUDA executor (reader).
/// A CUDA engine's target is a comma list of <c>cuda-smXY</c> names in ascending order (<c>cuda-sm80,cuda-sm89</c>);
/// it holds one PTX section for the lowest listed architecture (<c>kernels.cuda.compute_80</c>, format <c>ptx</c>)
/// and one cubin section per listed architecture (<c>kernels.cuda.sm_89</c>, format <c>cubin</c>). Every kernel has
/// one kernel-table entry per code section, all with the same name, entry point and launch geometry.
/// </summary>
public static class CudaKernelAbi
{
    public const string TargetPrefix = "cuda-sm";
    public const string PtxFormat = "ptx";
    public const string CubinFormat = "cubin";

    private const string PtxSectionPrefix = "kernels.cuda.compute_";
    private const string CubinSectionPrefix = "kernels.cuda.sm_";

    /// <summary>The architectures (compute capability × 10) a CUDA target may name.</summary>
    public static IReadOnlyList<int> Architectures { get; } = [80, 86, 89, 90];

    public static bool IsCudaTarget(string target) => target.StartsWith(TargetPrefix, StringComparison.Ordinal);

    public static string TargetName(int architecture) => TargetPrefix + architecture.ToString(CultureInfo.InvariantCulture);

    /// <summary>The canonical target of a set of architectures: ascending, each once.</summary>
    public static string TargetName(IEnumerable<int> architectures) => string.Join(",", architectures.Distinct().Order().Select(TargetName));

    public static string PtxSection(int architecture) => PtxSectionPrefix + architecture.ToString(CultureInfo.InvariantCulture);

    public static string CubinSection(int architecture) => CubinSectionPrefix + architecture.ToString(CultureInfo.InvariantCulture);

    /// <summary>The architecture a code section was compiled for, from its name; null for a section that is not CUDA code.</summary>
    public static int? ArchitectureOf(string section)
    {
        foreach (var prefix in new[] { PtxSectionPrefix, CubinSectionPrefix })
            if (section.StartsWith(prefix, StringComparison.Ordinal)
                && int.TryParse(section.AsSpan(prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var arch))
                return arch;
        return null;
    }
}
