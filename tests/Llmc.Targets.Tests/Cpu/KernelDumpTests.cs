using Llmc.Ir;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Targets.Cpu;

namespace Llmc.Targets.Tests.Cpu;

/// <summary>
/// <c>LLMC_DUMP_KERNELS</c> is read from the process environment by every target, so this test runs alone: with other
/// tests compiling kernels at the same time, their sources would land in (and race with the cleanup of) its folder.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class KernelDumpTests
{
    [Fact]
    public void The_rendered_source_is_dumped_when_asked()
    {
        var add = CpuTargetTests.Instance("add", new TensorType(DType.F32, Dim.Seq, 65), new TensorType(DType.F32, Dim.Seq, 65));
        var folder = Path.Combine(Path.GetTempPath(), "llmc-dump-" + Guid.NewGuid().ToString("N"));
        Environment.SetEnvironmentVariable(KernelDump.Variable, folder);
        try
        {
            var target = new CpuTarget(CpuIsa.Avx2Target);
            target.Compile([add]);
            Assert.Equal(target.Render([add]), File.ReadAllText(Path.Combine(folder, "cpu.cs")));
        }
        finally
        {
            Environment.SetEnvironmentVariable(KernelDump.Variable, null);
            if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}
