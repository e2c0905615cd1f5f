using System.Runtime.Intrinsics.X86;

namespace Llmc.Runtime.Devices.Cpu;

/// <summary>The CPU targets and the instruction-set extensions each one needs from the machine it runs on.</summary>
public static class CpuIsa
{
    public const string Avx2Target = "cpu-avx2";

    public const string Avx512Target = "cpu-avx512";

    /// <summary>Every CPU target, best first.</summary>
    public static IReadOnlyList<string> Targets { get; } = [Avx512Target, Avx2Target];

    /// <summary>The best target this CPU can run, or null on a CPU without AVX2 and FMA.</summary>
    public static string? Best => Targets.FirstOrDefault(t => Missing(t) is null);

    /// <summary>The vector width of <paramref name="target"/>'s kernels.</summary>
    public static int VectorBits(string target) => target switch
    {
        Avx2Target => 256,
        Avx512Target => 512,
        _ => throw new ArgumentException(Missing(target), nameof(target)),
    };

    /// <summary>Null when this CPU runs <paramref name="target"/>; otherwise a message naming what it lacks.</summary>
    public static string? Missing(string target)
    {
        (string Feature, bool Present)[] required = target switch
        {
            Avx2Target => [("AVX2", Avx2.IsSupported), ("FMA", Fma.IsSupported)],
            Avx512Target => [("AVX-512F", Avx512F.IsSupported), ("AVX-512BW", Avx512BW.IsSupported)],
            _ => [],
        };
        if (required.Length == 0) return $"'{target}' is not a CPU target (known: {string.Join(", ", Targets)})";
        var lacking = required.Where(r => !r.Present).Select(r => r.Feature).ToList();
        return lacking.Count == 0 ? null : $"this CPU lacks {string.Join(" and ", lacking)} required by target {target}";
    }
}
