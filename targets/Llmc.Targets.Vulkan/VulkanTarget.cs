using Llmc.Targets.Gpu;
using Llmc.Targets.Vulkan.ShaderCompilers;

namespace Llmc.Targets.Vulkan;

/// <summary>
/// The <c>vulkan</c> target: each kernel rendered with the shared GPU templates as GLSL compute shaders, compiled to
/// SPIR-V for Vulkan 1.1 in two variants (<see cref="Variants"/>): plain, in section <c>kernels.vulkan.&lt;kernel&gt;</c>,
/// and with subgroup-arithmetic reductions, in <c>kernels.vulkan.subgroup.&lt;kernel&gt;</c>; each a kernel-table entry
/// (format <c>spirv</c>, entry <c>main</c>) with the kernel's launch geometry. The runtime picks one per device
/// (<see cref="Runtime.Devices.Vulkan.VulkanKernelVariants"/>). Set <c>LLMC_DUMP_KERNELS</c> to a folder to get the GLSL there.
/// </summary>
public sealed class VulkanTarget(IShaderCompiler compiler, IReadOnlyDictionary<string, IGpuKernelTemplate> templates) : ITarget
{
    public const string TargetName = "vulkan";
    public const string Format = "spirv";
    public const string Entry = "main";
    public const string SectionPrefix = Runtime.Devices.Vulkan.VulkanKernelVariants.PlainPrefix;

    /// <summary>The dialects every kernel is compiled with: plain first, then subgroups.</summary>
    public static IReadOnlyList<GlslDialect> Variants { get; } = [GlslDialect.Instance, GlslDialect.WithSubgroups];

    public VulkanTarget() : this(ShaderCompiler.Default(), GpuTemplates.Default)
    {
    }

    public string Name => TargetName;

    public IShaderCompiler Compiler => compiler;

    public bool Supports(string template) => templates.ContainsKey(template);

    /// <summary>The GLSL of one kernel's plain variant, for reading.</summary>
    public GpuKernelText Render(KernelInstance kernel) => Render(kernel, GlslDialect.Instance);

    /// <summary>The GLSL of one kernel in one variant.</summary>
    public GpuKernelText Render(KernelInstance kernel, GlslDialect dialect) => GpuKernels.Render(dialect, templates, kernel);

    /// <summary>The section of a kernel's variant.</summary>
    public static string SectionOf(KernelInstance kernel, GlslDialect dialect) =>
        Runtime.Devices.Vulkan.VulkanKernelVariants.Section(kernel.Name, dialect.Subgroups);

    public CompiledKernels Compile(IReadOnlyList<KernelInstance> kernels)
    {
        var distinct = kernels.Distinct().ToList();
        // Both variants go to the compiler together: one glslc run (per batch) for all of them.
        var rendered = Variants.SelectMany(d => distinct.Select(k => (Dialect: d, Text: Render(k, d)))).ToList();
        KernelDump.Write(rendered.Select(r => (SectionOf(r.Text.Instance, r.Dialect)[SectionPrefix.Length..] + ".comp", r.Text.Text)));
        var spirv = compiler.Compile([.. rendered.Select(k => new ShaderSource(k.Text.Instance.Name, k.Text.Text))]);
        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        var launches = new Dictionary<KernelInstance, Runtime.Format.KernelLaunch>();
        for (var i = 0; i < rendered.Count; i++)
        {
            sections[SectionOf(rendered[i].Text.Instance, rendered[i].Dialect)] = spirv[i];
            launches[rendered[i].Text.Instance] = rendered[i].Text.Launch;
        }
        var compiled = Variants.SelectMany(d => kernels.Select(k => new CompiledKernel(k, SectionOf(k, d), Entry, Format, launches[k]))).ToList();
        return new CompiledKernels(compiled, sections);
    }
}
