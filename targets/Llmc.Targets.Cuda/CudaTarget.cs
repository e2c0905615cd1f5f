using System.Globalization;
using System.Runtime.ExceptionServices;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Targets.Cuda.Nvrtc;
using Llmc.Targets.Gpu;

namespace Llmc.Targets.Cuda;

/// <summary>
/// The CUDA targets: <c>cuda-sm80</c>, <c>cuda-sm86</c>, <c>cuda-sm89</c>, <c>cuda-sm90</c>, or a comma list of them
/// for one engine that runs on each (a fat engine). Every kernel is rendered as CUDA C into one translation unit;
/// NVRTC compiles it once to PTX for the lowest listed architecture (which newer GPUs JIT) and once to a cubin per
/// listed architecture (<see cref="CudaKernelAbi"/>). No GPU is needed. <c>LLMC_DUMP_KERNELS</c> gets <c>cuda.cu</c>.
/// </summary>
public sealed class CudaTarget : ITarget
{
    /// <summary>NVRTC options: IEEE f32 arithmetic with multiply-adds fused only where a kernel asks (as the reference rounds).</summary>
    private static readonly string[] CompileOptions = ["--fmad=false", "--std=c++17"];

    private readonly IReadOnlyDictionary<string, IGpuKernelTemplate> _templates;
    private readonly IReadOnlyDictionary<string, IReadOnlyList<IManyRowsTemplate>> _manyRows;

    public CudaTarget(IEnumerable<int> architectures) : this(architectures, CudaTemplates.Default, CudaTemplates.ManyRows)
    {
    }

    public CudaTarget(IEnumerable<int> architectures, IReadOnlyDictionary<string, IGpuKernelTemplate> templates,
        IReadOnlyDictionary<string, IReadOnlyList<IManyRowsTemplate>> manyRows)
    {
        Architectures = [.. architectures.Distinct().Order()];
        if (Architectures.Count == 0) throw new TargetException("a CUDA target needs at least one architecture");
        foreach (var arch in Architectures)
            if (!CudaKernelAbi.Architectures.Contains(arch))
                throw new TargetException($"sm_{arch} is not a CUDA architecture llmc compiles for (known: {string.Join(", ", Names)})");
        Name = CudaKernelAbi.TargetName(Architectures);
        Dialect = new CudaDialect(Name);
        _templates = templates;
        _manyRows = manyRows;
    }

    /// <summary>The single-architecture target names; a comma list of them is a target too.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. CudaKernelAbi.Architectures.Select(CudaKernelAbi.TargetName)];

    /// <summary>The architectures (compute capability × 10), ascending.</summary>
    public IReadOnlyList<int> Architectures { get; }

    public CudaDialect Dialect { get; }

    public string Name { get; }

    /// <summary>Parses <c>cuda-sm80</c> or <c>cuda-sm80,cuda-sm90</c>; null when <paramref name="name"/> is not a CUDA target.</summary>
    public static CudaTarget? TryParse(string name)
    {
        var parts = name.Split(',', StringSplitOptions.TrimEntries);
        if (!parts.All(CudaKernelAbi.IsCudaTarget)) return null;
        var architectures = new List<int>();
        foreach (var part in parts)
        {
            if (!int.TryParse(part.AsSpan(CudaKernelAbi.TargetPrefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out var arch)
                || !CudaKernelAbi.Architectures.Contains(arch))
                return null;
            architectures.Add(arch);
        }
        return new CudaTarget(architectures);
    }

    public bool Supports(string template) => _templates.ContainsKey(template);

    /// <summary>The CUDA C translation unit for <paramref name="kernels"/>, for reading.</summary>
    public CudaSource Render(IReadOnlyList<KernelInstance> kernels) => CudaSource.Render(Dialect, _templates, _manyRows, kernels.Distinct());

    public CompiledKernels Compile(IReadOnlyList<KernelInstance> kernels)
    {
        var source = Render(kernels);
        KernelDump.Write([("cuda.cu", source.Text)]);
        NvrtcLibrary.Require();
        var ptxArchitecture = Architectures[0];
        List<CodeJob> jobs =
        [
            new(CudaKernelAbi.PtxSection(ptxArchitecture), CudaKernelAbi.PtxFormat, $"compute_{ptxArchitecture}"),
            .. Architectures.Select(a => new CodeJob(CudaKernelAbi.CubinSection(a), CudaKernelAbi.CubinFormat, $"sm_{a}")),
        ];
        var code = new byte[jobs.Count][];
        try
        {
            Parallel.For(0, jobs.Count, i => code[i] = CompileFor(source, jobs[i].Architecture));
        }
        catch (AggregateException e) when (e.InnerExceptions[0] is TargetException first)
        {
            // Every architecture usually fails alike; one message is enough.
            ExceptionDispatchInfo.Throw(first);
        }
        var compiled = jobs.SelectMany(job => source.Kernels.Select(k => new CompiledKernel(k.Instance, job.Section, k.Entry, job.Format, k.Launch)))
            .ToList();
        return new CompiledKernels(compiled, jobs.Select((job, i) => (job.Section, Code: code[i])).ToDictionary(j => j.Section, j => j.Code));
    }

    /// <summary>One NVRTC compilation: the section it fills, its format and the <c>--gpu-architecture</c> it is for.</summary>
    private sealed record CodeJob(string Section, string Format, string Architecture);

    private byte[] CompileFor(CudaSource source, string architecture)
    {
        try
        {
            return NvrtcProgram.Compile(source.Text, CudaSource.FileName, architecture, CompileOptions);
        }
        catch (NvrtcProgram.CompileFailure failure)
        {
            var (log, kernels) = source.Explain(failure.Log);
            var which = kernels.Count == 0 ? "the kernel prelude" : "kernel " + string.Join(", kernel ", kernels);
            throw new TargetException($"{Name}: NVRTC could not compile {which} for {architecture}: {log}");
        }
    }
}
