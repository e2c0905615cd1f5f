using System.Reflection;
using Llmc.Runtime.Devices.Cpu;
using Xunit.Sdk;

namespace Llmc.EndToEnd.Tests;

/// <summary>
/// Supplies one CPU target name to a theory, and marks the case skipped, with the reason, when this CPU cannot run it:
/// a missing ISA is a skip that shows in the totals, never a silent pass.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CpuTargetAttribute : DataAttribute
{
    private readonly string _target;
    private readonly object[] _arguments;

    /// <param name="arguments">Further theory arguments after the target name.</param>
    public CpuTargetAttribute(string target, params object[] arguments)
    {
        _target = target;
        _arguments = arguments;
        Skip = CpuIsa.Missing(target);
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[_target, .. _arguments]];
}
