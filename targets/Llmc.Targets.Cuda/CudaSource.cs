using System.Text;
using System.Text.RegularExpressions;
using Llmc.Targets.Gpu;

namespace Llmc.Targets.Cuda;

/// <summary>
/// The one CUDA C translation unit of an engine: the prelude, then every kernel, with the line range of each so a
/// position in NVRTC's log can be traced back to the kernel (and its line) that produced it.
/// </summary>
public sealed partial class CudaSource
{
    /// <summary>The file name NVRTC gives the source in its messages.</summary>
    public const string FileName = "llmc_kernels.cu";

    private readonly List<(int FirstLine, int LastLine, GpuKernelText Kernel)> _ranges;

    private CudaSource(string text, List<(int, int, GpuKernelText)> ranges)
    {
        Text = text;
        _ranges = ranges;
    }

    public string Text { get; }

    public IEnumerable<GpuKernelText> Kernels => _ranges.Select(r => r.Kernel);

    /// <summary>The unit of <paramref name="kernels"/>, each followed by its many-rows code where it has one.</summary>
    public static CudaSource Render(CudaDialect dialect, IReadOnlyDictionary<string, IGpuKernelTemplate> templates,
        IReadOnlyDictionary<string, IReadOnlyList<IManyRowsTemplate>> manyRows, IEnumerable<KernelInstance> kernels)
    {
        var text = new StringBuilder(CudaPrelude.Text);
        var line = LineCount(CudaPrelude.Text) + 1;
        var ranges = new List<(int, int, GpuKernelText)>();
        foreach (var rendered in kernels.SelectMany(k => new[] { GpuKernels.Render(dialect, templates, k), GpuKernels.RenderManyRows(dialect, manyRows, k) }.OfType<GpuKernelText>()))
        {
            var lines = LineCount(rendered.Text);
            ranges.Add((line, line + lines - 1, rendered));
            text.Append(rendered.Text).Append('\n');
            line += lines + 1;
        }
        return new CudaSource(text.ToString(), ranges);
    }

    /// <summary>The kernel whose text holds 1-based line <paramref name="line"/> of the unit, and the line's number within it.</summary>
    public (GpuKernelText Kernel, int Line)? KernelAt(int line) =>
        _ranges.FirstOrDefault(r => line >= r.FirstLine && line <= r.LastLine) is { Kernel: not null } r ? (r.Kernel, line - r.FirstLine + 1) : null;

    /// <summary>
    /// NVRTC's log with every <c>llmc_kernels.cu(N)</c> position followed by the kernel it falls in and the line of
    /// source there, and the names of those kernels (the prelude's lines name none).
    /// </summary>
    public (string Log, IReadOnlyList<string> Kernels) Explain(string log)
    {
        var lines = Text.Split('\n');
        var kernels = new List<string>();
        var explained = Position().Replace(log, m =>
        {
            var at = int.Parse(m.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture);
            var source = at >= 1 && at <= lines.Length ? lines[at - 1].Trim() : "";
            if (KernelAt(at) is not var (kernel, local)) return $"{m.Value} [prelude: {source}]";
            if (!kernels.Contains(kernel.Entry)) kernels.Add(kernel.Entry);
            return $"{m.Value} [kernel {kernel.Entry}, line {local}: {source}]";
        });
        return (explained, kernels);
    }

    private static int LineCount(string text) => text.Count(c => c == '\n') + (text.EndsWith('\n') ? 0 : 1);

    [GeneratedRegex(@"llmc_kernels\.cu\((\d+)\)")]
    private static partial Regex Position();
}
