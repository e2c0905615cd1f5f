using Llmc.Runtime.Devices;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Tests.Tokenization;

namespace Llmc.Runtime.Tests.Generation;

/// <summary>
/// <see cref="TokenGenerator"/> with an executor that can sample on its device: every token comes from the device (the
/// logits never come back) with the history and uniforms the host sampler would use, so the ids equal the host path's;
/// options the device cannot follow fall back to the host.
/// </summary>
public sealed class TokenGeneratorDeviceSamplingTests
{
    private static readonly GenerationOptions Sampled = new()
    {
        MaxTokens = 30,
        StopOnEos = false,
        Sampling = new SamplingOptions { Temperature = 1.1f, TopK = 20, TopP = 0.9f, RepetitionPenalty = 1.2f, Seed = 7 },
    };

    [Fact]
    public void Tokens_come_from_the_device_and_equal_the_host_samplers()
    {
        var host = Generate(new FakeExecutor(deviceSampling: false), Sampled);
        var device = new FakeExecutor(deviceSampling: true);
        var onDevice = Generate(device, Sampled);
        Assert.Equal(host, onDevice);
        // The prompt's 7 tokens run in chunks of 3: the first two chunks are plain forwards (nothing is sampled from
        // them), the last chunk and every decode step sample on the device.
        Assert.Equal(2, device.Forwards);
        Assert.Equal(30, device.DeviceSamples);
        Assert.True(host.Distinct().Count() > 5, "the run samples");
    }

    [Fact]
    public void Options_the_device_cannot_follow_are_sampled_on_the_host()
    {
        var executor = new FakeExecutor(deviceSampling: true);
        var wide = Sampled with { Sampling = Sampled.Sampling with { RepetitionWindow = SamplingKernelAbi.MaxHistory + 1 } };
        Generate(executor, wide);
        Assert.Equal(0, executor.DeviceSamples);
        Assert.True(executor.Forwards > 30);
    }

    private static int[] Generate(IModelExecutor executor, GenerationOptions options) =>
        new TokenGenerator(executor, TestTokenizers.Stories260K, [], []).Generate([1, 5, 9, 13, 17, 21, 25], options, null, default).Tokens;

    /// <summary>
    /// Logits from a fixed pseudo-random function of each row's token and position; MaxSeq 3 so the prompt is chunked.
    /// Its "device" sampler runs <see cref="Sampler.Choose"/> on the same logits.
    /// </summary>
    private sealed class FakeExecutor(bool deviceSampling) : IModelExecutor, IDeviceSampler
    {
        private const int Vocab = 512;
        private float[] _logits = [];

        public int Forwards { get; private set; }

        public int DeviceSamples { get; private set; }

        public int MaxSeq => 3;

        public int Context => 256;

        public int VocabSize => Vocab;

        public ReadOnlySpan<float> Forward(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> logitRows)
        {
            Forwards++;
            return Compute(tokens, positions, logitRows);
        }

        public bool CanSample(SamplingOptions options) => deviceSampling && SamplingParameterBlock.Fits(options);

        public int ForwardAndSample(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, int logitRow, SamplingOptions options, ReadOnlySpan<int> history, double uniform)
        {
            DeviceSamples++;
            return new Sampler(Vocab, options).Choose(Compute(tokens, positions, [logitRow]), history, uniform);
        }

        public void Dispose()
        {
        }

        private float[] Compute(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> logitRows)
        {
            StepInputs.Check(tokens, positions, logitRows, MaxSeq, Context, Vocab);
            _logits = new float[logitRows.Length * Vocab];
            for (var r = 0; r < logitRows.Length; r++)
            {
                var random = new Random(tokens[logitRows[r]] * 1000 + positions[logitRows[r]]);
                for (var v = 0; v < Vocab; v++) _logits[r * Vocab + v] = random.NextSingle() * 6;
            }
            return _logits;
        }
    }
}
