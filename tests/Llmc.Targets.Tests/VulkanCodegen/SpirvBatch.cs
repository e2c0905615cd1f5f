using Llmc.Targets.Conformance;
using Llmc.Targets.Vulkan;
using Llmc.Targets.Vulkan.ShaderCompilers;

namespace Llmc.Targets.Tests.VulkanCodegen;

/// <summary>Every conformance case's kernel compiled once by the Vulkan target through glslc, shared by the tests of a class.</summary>
public sealed class SpirvBatch
{
    public SpirvBatch()
    {
        Glslc = new GlslcCompiler();
        Target = new VulkanTarget(Glslc);
        Cases = [.. ConformanceCases.All.Where(c => Target.Supports(c.Kernel.Template))];
        Compiled = Target.Compile([.. Cases.Select(c => c.Kernel)]);
    }

    public GlslcCompiler Glslc { get; }

    public VulkanTarget Target { get; }

    public IReadOnlyList<ConformanceCase> Cases { get; }

    public CompiledKernels Compiled { get; }
}
