using Llmc.Runtime.Format;

namespace Llmc.Runtime.Devices;

/// <summary>
/// The contract between the GPU targets, which compile one sampling kernel per engine (kernel-table entries of template
/// <see cref="Template"/>, launched by no plan step), and the executors that run it after a forward step so only the
/// chosen token ids come back (docs/gpu-kernels.md, "Sampling on the device"). Arguments: 0 the logits (the plan's logits
/// output, <c>out</c> rows of the vocabulary), 1 the parameter words below, <see cref="ParameterWords"/> per row, 2 the
/// result (word r: row r's token id); then <c>seq</c>, <c>out</c> as for every kernel. One workgroup of
/// <see cref="LocalSize"/> threads per logit row: groups <c>1 × out</c> (<see cref="RowsExtent"/>).
/// </summary>
public static class SamplingKernelAbi
{
    public const string Template = "sample";

    /// <summary>
    /// The launch's workgroups along y: one per logit row. Engines built before the kernel took many rows launch <c>1</c>
    /// and sample row 0 only (<see cref="SampledRows"/>).
    /// </summary>
    public const string RowsExtent = "out";

    /// <summary>The most logit rows one launch of a sampling kernel with <paramref name="launch"/> samples, for a plan of <paramref name="maxRows"/> logit rows.</summary>
    public static int SampledRows(KernelLaunch launch, int maxRows) => launch.GroupsY == RowsExtent ? maxRows : 1;

    public const int LocalSize = 256;

    /// <summary>The kernel's buffer arguments: the logits, the parameter words, the result.</summary>
    public const int Arguments = 3;

    /// <summary>The error of an executor asked to sample with an engine that has no sampling kernel.</summary>
    public const string MissingKernel = "this engine has no sampling kernel (built before device sampling); rebuild it or sample on the host";

    /// <summary>Distinct token ids the repetition penalty can cover (held in workgroup-shared memory).</summary>
    public const int MaxHistory = 512;

    /// <summary>Top-k candidates the kernel copies into shared memory (top-k up to this many), so the later passes skip the vocabulary.</summary>
    public const int MaxCandidates = 1024;

    /// <summary>Probability masses are summed as 64-bit fixed point with 40 fraction bits, so at most 2²³ of them (each ≤ 1) fit.</summary>
    public const int MaxVocab = 1 << 23;

    /// <summary>Fraction bits of the fixed-point masses.</summary>
    public const int MassFractionBits = 40;

    // Parameter words: f32 values as their bits, fractions in [0, 1) as multiples of 2^-32.
    public const int TemperatureWord = 0;
    public const int TopKWord = 1;
    /// <summary>top-p as a 32-bit fraction; 0 when top-p is off (1).</summary>
    public const int TopPWord = 2;
    public const int MinPWord = 3;
    public const int PenaltyWord = 4;
    public const int UniformWord = 5;
    public const int HistoryCountWord = 6;
    /// <summary>The first of up to <see cref="MaxHistory"/> distinct in-vocabulary ids the repetition penalty applies to.</summary>
    public const int HistoryWord = 8;

    public const int ParameterWords = HistoryWord + MaxHistory;

    /// <summary>A fraction in [0, 1) as the 32-bit fixed point the kernel reads: floor(value · 2³²).</summary>
    public static uint Fraction(double value) => (uint)Math.Clamp(Math.Floor(value * 4294967296.0), 0, uint.MaxValue);
}
