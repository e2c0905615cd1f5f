using Llmc.Runtime.Devices;
using Llmc.Runtime.Generation;

namespace Llmc.Runtime.Tests.Generation;

/// <summary>The sampling kernel's parameter words as <see cref="SamplingParameterBlock"/> writes them (<see cref="SamplingKernelAbi"/>).</summary>
public sealed class SamplingParameterBlockTests
{
    [Fact]
    public void Options_and_the_uniform_are_written_as_the_kernel_reads_them()
    {
        var words = Poisoned();
        var options = new SamplingOptions { Temperature = 0.7f, TopK = 40, TopP = 0.9f, MinP = 0.05f, RepetitionPenalty = 1.3f };
        new SamplingParameterBlock(100).Write(words, options, [], 0.25);
        Assert.Equal(0.7f, BitConverter.UInt32BitsToSingle(words[SamplingKernelAbi.TemperatureWord]));
        Assert.Equal(40u, words[SamplingKernelAbi.TopKWord]);
        Assert.Equal((uint)Math.Floor(0.9f * 4294967296.0), words[SamplingKernelAbi.TopPWord]);
        Assert.Equal(0.05f, BitConverter.UInt32BitsToSingle(words[SamplingKernelAbi.MinPWord]));
        Assert.Equal(1.3f, BitConverter.UInt32BitsToSingle(words[SamplingKernelAbi.PenaltyWord]));
        Assert.Equal(1u << 30, words[SamplingKernelAbi.UniformWord]);
        Assert.Equal(0u, words[SamplingKernelAbi.HistoryCountWord]);
    }

    [Fact]
    public void Top_p_of_1_is_off()
    {
        var words = Poisoned();
        new SamplingParameterBlock(100).Write(words, new SamplingOptions { TopP = 1 }, [], 0);
        Assert.Equal(0u, words[SamplingKernelAbi.TopPWord]);
    }

    [Fact]
    public void History_is_the_distinct_in_vocabulary_ids_of_the_window_and_none_without_a_penalty()
    {
        var words = Poisoned();
        var block = new SamplingParameterBlock(100);
        var options = new SamplingOptions { RepetitionPenalty = 1.2f, RepetitionWindow = 5 };
        block.Write(words, options, [1, 2, 3, 9, 9, 150, 4, 9], 0);
        // The last five: 9, 150 (outside the vocabulary), 4, 9.
        Assert.Equal(2u, words[SamplingKernelAbi.HistoryCountWord]);
        Assert.Equal([9u, 4u], words[SamplingKernelAbi.HistoryWord..(SamplingKernelAbi.HistoryWord + 2)]);
        // The scratch is cleared: the same ids count again next time.
        block.Write(words, options, [9, 9], 0);
        Assert.Equal(1u, words[SamplingKernelAbi.HistoryCountWord]);
        block.Write(words, options with { RepetitionPenalty = 1 }, [9, 9], 0);
        Assert.Equal(0u, words[SamplingKernelAbi.HistoryCountWord]);
    }

    [Fact]
    public void A_penalty_window_beyond_the_kernels_history_does_not_fit()
    {
        var wide = new SamplingOptions { RepetitionPenalty = 1.1f, RepetitionWindow = SamplingKernelAbi.MaxHistory + 1 };
        Assert.False(SamplingParameterBlock.Fits(wide));
        Assert.True(SamplingParameterBlock.Fits(wide with { RepetitionPenalty = 1 }));
        Assert.True(SamplingParameterBlock.Fits(wide with { RepetitionWindow = SamplingKernelAbi.MaxHistory }));
        var e = Assert.Throws<LlmcException>(() => new SamplingParameterBlock(100).Write(Poisoned(), wide, [], 0));
        Assert.Contains("repetition window", e.Message);
    }

    private static uint[] Poisoned() => Enumerable.Repeat(0xdeadbeefu, SamplingKernelAbi.ParameterWords).ToArray();
}
