using Llmc.Runtime.Devices.Cpu;

namespace Llmc.Targets.Cpu;

/// <summary>
/// The CPU targets (<c>cpu-avx2</c>, <c>cpu-avx512</c>): every kernel of an engine is rendered as C# into one
/// compilation unit and compiled by Roslyn into one assembly, stored as the <see cref="CpuKernelAbi.Section"/> section.
/// Set <c>LLMC_DUMP_KERNELS</c> to a folder to get the rendered source there as <c>cpu.cs</c>.
/// </summary>
public sealed class CpuTarget : ITarget
{
    private readonly IReadOnlyDictionary<string, ICpuKernelTemplate> _templates;

    /// <summary>The target named <paramref name="name"/> with the default templates.</summary>
    public CpuTarget(string name) : this(CpuDialect.For(name), CpuTemplates.Default)
    {
    }

    public CpuTarget(CpuDialect dialect, IReadOnlyDictionary<string, ICpuKernelTemplate> templates)
    {
        Dialect = dialect;
        _templates = templates;
    }

    /// <summary>The names of the CPU targets.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. CpuDialect.All.Select(d => d.Target)];

    public CpuDialect Dialect { get; }

    public string Name => Dialect.Target;

    public bool Supports(string template) => _templates.ContainsKey(template);

    /// <summary>The C# source of the kernel assembly, for reading.</summary>
    public string Render(IReadOnlyList<KernelInstance> kernels) => RenderUnit(kernels).Text;

    public CompiledKernels Compile(IReadOnlyList<KernelInstance> kernels)
    {
        var source = RenderUnit(kernels);
        KernelDump.Write([("cpu.cs", source.Text)]);
        var assembly = RoslynCompiler.Compile(Name, source);
        var compiled = kernels.Select(k => new CompiledKernel(k, CpuKernelAbi.Section, k.Name, CpuKernelAbi.Format)).ToList();
        return new CompiledKernels(compiled, new Dictionary<string, byte[]> { [CpuKernelAbi.Section] = assembly });
    }

    // Equal instances share a name and therefore one method.
    private CpuSource RenderUnit(IReadOnlyList<KernelInstance> kernels) => CpuSource.Render(Dialect, _templates, kernels.Distinct());
}
