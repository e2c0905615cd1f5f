using Llmc.Runtime.Devices;

namespace Llmc.Runtime.Generation;

/// <summary>
/// Writes the sampling kernel's parameter words (<see cref="SamplingKernelAbi"/>) for each token: the options, the
/// uniform the host drew, and the distinct in-vocabulary ids of the repetition window, deduplicated here so the kernel
/// penalizes each once, as <see cref="Sampler"/> does. Allocates nothing per token.
/// </summary>
public sealed class SamplingParameterBlock(int vocabSize)
{
    private readonly bool[] _seen = new bool[vocabSize];

    /// <summary>
    /// Whether the kernel can follow these options: its penalty covers at most <see cref="SamplingKernelAbi.MaxHistory"/>
    /// ids, and it has no presence or frequency penalty.
    /// </summary>
    public static bool Fits(SamplingOptions options) =>
        (options.RepetitionPenalty == 1f || options.RepetitionWindow <= SamplingKernelAbi.MaxHistory) && !options.PenalizesGenerated;

    /// <summary>Row r's words at r × <see cref="SamplingKernelAbi.ParameterWords"/> for every row of <paramref name="rows"/>.</summary>
    public void Write(Span<uint> words, ReadOnlySpan<DeviceSampling> rows)
    {
        for (var r = 0; r < rows.Length; r++)
            Write(words.Slice(r * SamplingKernelAbi.ParameterWords, SamplingKernelAbi.ParameterWords), rows[r].Options,
                System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows[r].Tokens), rows[r].Uniform);
    }

    public void Write(Span<uint> words, SamplingOptions options, ReadOnlySpan<int> history, double uniform)
    {
        if (!Fits(options))
            throw new LlmcException($"the device sampler covers a repetition window of at most {SamplingKernelAbi.MaxHistory} tokens (got {options.RepetitionWindow}) and no presence or frequency penalty");
        words[SamplingKernelAbi.TemperatureWord] = BitConverter.SingleToUInt32Bits(options.Temperature);
        words[SamplingKernelAbi.TopKWord] = (uint)options.TopK;
        words[SamplingKernelAbi.TopPWord] = options.TopP >= 1f ? 0u : SamplingKernelAbi.Fraction(options.TopP);
        words[SamplingKernelAbi.MinPWord] = BitConverter.SingleToUInt32Bits(options.MinP);
        words[SamplingKernelAbi.PenaltyWord] = BitConverter.SingleToUInt32Bits(options.RepetitionPenalty);
        words[SamplingKernelAbi.UniformWord] = SamplingKernelAbi.Fraction(uniform);
        var count = 0;
        if (options.RepetitionPenalty != 1f)
        {
            var recent = history[Math.Max(0, history.Length - options.RepetitionWindow)..];
            foreach (var t in recent)
            {
                if ((uint)t >= (uint)_seen.Length || _seen[t]) continue;
                _seen[t] = true;
                words[SamplingKernelAbi.HistoryWord + count++] = (uint)t;
            }
            foreach (var t in recent)
                if ((uint)t < (uint)_seen.Length) _seen[t] = false;
        }
        words[SamplingKernelAbi.HistoryCountWord] = (uint)count;
    }
}
