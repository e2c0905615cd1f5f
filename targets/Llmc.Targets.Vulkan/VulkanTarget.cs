using Llmc.Targets.Gpu;
using Llmc.Targets.Vulkan.ShaderCompilers;

namespace Llmc.Targets.Vulkan;

/// <summary>
/// The <c>vulkan</c> target: each kernel rendered with the shared GPU templates as a GLSL compute shader, compiled
/// to SPIR-V for Vulkan 1.1, stored in its own section <c>kernels.vulkan.&lt;kernel&gt;</c> (format <c>spirv</c>,
/// entry <c>main</c>) with its launch geometry. Set <c>LLMC_DUMP_KERNELS</c> to a folder to get the GLSL there.
/// </summary>
public sealed class VulkanTarget(IShaderCompiler compiler, IReadOnlyDictionary<string, IGpuKernelTemplate> templates) : ITarget
{
    public const string TargetName = "vulkan";
    public const string Format = "spirv";
    public const string Entry = "main";
    public const string SectionPrefix = "kernels.vulkan.";

    public VulkanTarget() : this(ShaderCompiler.Default(), GpuTemplates.Default)
    {
    }

    public string Name => TargetName;

    public IShaderCompiler Compiler => compiler;

    public bool Supports(string template) => templates.ContainsKey(template);

    /// <summary>The GLSL of one kernel, for reading.</summary>
    public GpuKernelText Render(KernelInstance kernel) => GpuKernels.Render(GlslDialect.Instance, templates, kernel);

    public CompiledKernels Compile(IReadOnlyList<KernelInstance> kernels)
    {
        var distinct = kernels.Distinct().ToList();
        var rendered = distinct.Select(Render).ToList();
        if (Environment.GetEnvironmentVariable("LLMC_DUMP_KERNELS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            foreach (var k in rendered) File.WriteAllText(Path.Combine(folder, k.Instance.Name + ".comp"), k.Text);
        }
        var spirv = compiler.Compile([.. rendered.Select(k => new ShaderSource(k.Instance.Name, k.Text))]);
        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var launches = new Dictionary<KernelInstance, Runtime.Format.KernelLaunch>();
        for (var i = 0; i < rendered.Count; i++)
        {
            sections[SectionPrefix + rendered[i].Instance.Name] = spirv[i];
            launches[rendered[i].Instance] = rendered[i].Launch;
        }
        var compiled = kernels.Select(k => new CompiledKernel(k, SectionPrefix + k.Name, Entry, Format, launches[k])).ToList();
        return new CompiledKernels(compiled, sections);
    }
}
