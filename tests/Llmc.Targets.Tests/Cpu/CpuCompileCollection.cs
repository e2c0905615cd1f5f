namespace Llmc.Targets.Tests.Cpu;

/// <summary>
/// Tests that compile CPU kernels run one class at a time: the dump test sets a process-wide variable that would
/// make a concurrent compile write its own source into the same file.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CpuCompileCollection
{
    public const string Name = "cpu kernel compiles";
}
