using Llmc.Targets.Gpu;
using Llmc.Targets.Vulkan.ShaderCompilers;

namespace Llmc.Targets.Vulkan;

/// <summary>
/// The <c>vulkan</c> target: each kernel rendered with the shared GPU templates as GLSL compute shaders, compiled to
/// SPIR-V for Vulkan 1.1 in two variants (<see cref="Variants"/>): plain, in section <c>kernels.vulkan.&lt;kernel&gt;</c>,
/// and with subgroup-arithmetic reductions, in <c>kernels.vulkan.subgroup.&lt;kernel&gt;</c>; each a kernel-table entry
/// (format <c>spirv</c>, entry <c>main</c>) with the kernel's launch geometry. A kernel with a many-rows code
/// (<see cref="GpuTemplates.ManyRows"/>) has it in both variants too, in <c>kernels.vulkan.rows.&lt;kernel&gt;</c> and
/// <c>kernels.vulkan.subgroup.rows.&lt;kernel&gt;</c>. The runtime picks one variant per device
/// (<see cref="Runtime.Devices.Vulkan.VulkanKernelVariants"/>) and the code per step. Set <c>LLMC_DUMP_KERNELS</c> to a
/// folder to get the GLSL there.
/// </summary>
public sealed class VulkanTarget(
    IShaderCompiler compiler, IReadOnlyDictionary<string, IGpuKernelTemplate> templates, IReadOnlyDictionary<string, IReadOnlyList<IManyRowsTemplate>> manyRows) : ITarget
{
    public const string TargetName = "vulkan";
    public const string Format = "spirv";
    public const string Entry = "main";
    public const string SectionPrefix = Runtime.Devices.Vulkan.VulkanKernelVariants.PlainPrefix;

    /// <summary>The dialects every kernel is compiled with: plain first, then subgroups.</summary>
    public static IReadOnlyList<GlslDialect> Variants { get; } = [GlslDialect.Instance, GlslDialect.WithSubgroups];

    public VulkanTarget() : this(ShaderCompiler.Default())
    {
    }

    public VulkanTarget(IShaderCompiler compiler) : this(compiler, GpuTemplates.Default, GpuTemplates.ManyRows)
    {
    }

    public string Name => TargetName;

    public IShaderCompiler Compiler => compiler;

    public bool Supports(string template) => templates.ContainsKey(template);

    /// <summary>The GLSL of one kernel's plain variant, for reading.</summary>
    public GpuKernelText Render(KernelInstance kernel) => Render(kernel, GlslDialect.Instance);

    /// <summary>The GLSL of one kernel in one variant.</summary>
    public GpuKernelText Render(KernelInstance kernel, GlslDialect dialect) => GpuKernels.Render(dialect, templates, kernel);

    /// <summary>The GLSL of one kernel's many-rows code in one variant; null when it has none.</summary>
    public GpuKernelText? RenderManyRows(KernelInstance kernel, GlslDialect dialect) => GpuKernels.RenderManyRows(dialect, manyRows, kernel);

    /// <summary>The section of a kernel's variant, of its code for any step or its many-rows code.</summary>
    public static string SectionOf(KernelInstance kernel, GlslDialect dialect, bool manyRows = false) =>
        Runtime.Devices.Vulkan.VulkanKernelVariants.Section(kernel.Name, dialect.Subgroups, manyRows);

    public CompiledKernels Compile(IReadOnlyList<KernelInstance> kernels)
    {
        var distinct = kernels.Distinct().ToList();
        // Both variants go to the compiler together: one glslc run (per batch) for all of them.
        var rendered = Variants.SelectMany(d => distinct.SelectMany(k => new[] { Render(k, d), RenderManyRows(k, d) }.OfType<GpuKernelText>()
            .Select(text => (Dialect: d, Text: text, Section: SectionOf(k, d, Runtime.Format.StepCode.IsManyRows(text.Launch)))))).ToList();
        KernelDump.Write(rendered.Select(r => (r.Section[SectionPrefix.Length..] + ".comp", r.Text.Text)));
        var spirv = compiler.Compile([.. rendered.Select(k => new ShaderSource(k.Text.Entry, k.Text.Text))]);
        var sections = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        for (var i = 0; i < rendered.Count; i++) sections[rendered[i].Section] = spirv[i];
        // Each kernel in plan order, as often as it was given, with its codes in each variant.
        var byInstance = rendered.ToLookup(r => r.Text.Instance);
        var compiled = Variants.SelectMany(d => kernels.SelectMany(k => byInstance[k].Where(r => r.Dialect == d)
            .Select(r => new CompiledKernel(k, r.Section, Entry, Format, r.Text.Launch)))).ToList();
        return new CompiledKernels(compiled, sections);
    }
}
