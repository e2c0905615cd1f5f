using System.Reflection;
using System.Runtime.Intrinsics.X86;
using Xunit.Sdk;

namespace Llmc.Tests;

/// <summary>
/// Supplies one CPU target name to a theory, and marks the case skipped, with the reason, when this CPU cannot run it:
/// a missing ISA is a skip that shows in the totals, never a silent pass.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CpuTargetAttribute : DataAttribute
{
    private readonly string _target;

    public CpuTargetAttribute(string target)
    {
        _target = target;
        Skip = MissingIsa(target);
    }

    public static string? MissingIsa(string target) => target switch
    {
        "cpu-avx2" => Avx2.IsSupported && Fma.IsSupported ? null : "this CPU lacks AVX2/FMA",
        "cpu-avx512" => Avx512F.IsSupported && Avx512BW.IsSupported ? null : "this CPU lacks AVX-512F/BW",
        _ => $"unknown CPU target {target}",
    };

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[_target]];
}
