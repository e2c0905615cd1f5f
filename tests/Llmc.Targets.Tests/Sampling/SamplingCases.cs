using Llmc.Runtime.Devices;
using Llmc.Runtime.Generation;
using Llmc.Targets.Conformance;

namespace Llmc.Targets.Tests.Sampling;

/// <summary>
/// The sampling kernel's cases for every device, checked against the host <see cref="Sampler"/>: the same token for the
/// same logits, history and uniform. A device runs the kernel on (logits, parameter words) and returns the result word,
/// which it must poison before the launch. Logits are built without exact ties (where the host's order among equal logits
/// is its sort's), except in the greedy cases, whose ties both sides break to the lowest id.
/// </summary>
public static class SamplingCases
{
    public delegate int Device(float[] logits, uint[] parameters);

    /// <summary>The vocabulary sizes every device runs the cases for (a device compiles the kernel for each).</summary>
    public static readonly int[] VocabularySizes = [512, 1000, 128_256];

    public static TheoryData<int> Vocabularies => [.. VocabularySizes];

    /// <summary>A device run over <paramref name="rows"/> logit rows and their parameter words: the result words.</summary>
    public delegate int[] RowsDevice(float[] logits, uint[] parameters, int rows);

    /// <summary>The symbols of a sampling launch (<see cref="SymbolValues"/>): one row, whose logits it samples.</summary>
    public static readonly int[] LaunchSymbols = RowSymbols(1);

    /// <summary>The symbols of a launch that samples <paramref name="rows"/> logit rows, a workgroup each.</summary>
    public static int[] RowSymbols(int rows) => SymbolValues.Of(new Dictionary<string, int> { ["seq"] = rows, ["out"] = rows });

    /// <summary>Option sets covering top-k 1/5/40/2000/all, top-p 0.5/0.9/1, min-p 0/0.05, temperature 0.7/1.3 and the penalty.</summary>
    public static readonly SamplingOptions[] OptionSets =
    [
        new() { Temperature = 0.7f, TopK = 1, TopP = 1, MinP = 0 },
        new() { Temperature = 1.3f, TopK = 5, TopP = 1, MinP = 0 },
        new() { Temperature = 0.7f, TopK = 40, TopP = 0.9f, MinP = 0.05f },
        new() { Temperature = 1.3f, TopK = 0, TopP = 0.5f, MinP = 0 },
        new() { Temperature = 1.3f, TopK = 0, TopP = 1, MinP = 0 },
        new() { Temperature = 0.7f, TopK = 0, TopP = 0.9f, MinP = 0.05f },
        new() { Temperature = 0.7f, TopK = 40, TopP = 0.9f, MinP = 0.05f, RepetitionPenalty = 1.3f },
        new() { Temperature = 1.3f, TopK = 0, TopP = 0.9f, MinP = 0, RepetitionPenalty = 1.3f },
        // More candidates than the kernel compacts into shared memory: every pass reads the vocabulary (128,256 only).
        new() { Temperature = 1.3f, TopK = 2000, TopP = 0.9f, MinP = 0, RepetitionPenalty = 1.3f },
    ];

    /// <summary>Greedy with ties at the top, finite extremes, signed zeros and the penalty: the host's argmax, lowest id among equals.</summary>
    public static void AssertGreedyMatchesHost(int vocab, Device device)
    {
        var random = new Random(vocab);
        for (var trial = 0; trial < 4; trial++)
        {
            var logits = RandomLogits(random, vocab, spread: 10);
            var top = logits.Max() + 1;
            foreach (var i in new[] { vocab - 1, vocab / 2, vocab / 3 + trial }) logits[i] = top;
            logits[random.Next(vocab)] = -3e38f;
            logits[random.Next(vocab)] = float.MinValue;
            if (trial == 3)
            {
                // +0 and −0 compare equal: the lowest id of all zeros wins.
                Array.Fill(logits, -0f, 0, vocab / 2);
                Array.Fill(logits, 0f, vocab / 2, vocab - vocab / 2);
            }
            int[] history = trial == 2 ? [vocab / 3 + trial, vocab / 2, 7, 7] : [];
            var options = SamplingOptions.Greedy with { RepetitionPenalty = trial == 2 ? 1.5f : 1f };
            var expected = new Sampler(vocab, options).Choose(logits, history, history.Length, 0);
            Assert.Equal(expected, device(logits, Parameters(vocab, options, history, 0)));
        }
    }

    /// <summary>Every option set, <paramref name="draws"/> random uniforms plus 0 and the largest, each the host's token.</summary>
    public static void AssertSamplingMatchesHost(int vocab, int draws, Device device)
    {
        var random = new Random(vocab + 1);
        foreach (var options in OptionSets)
        {
            var logits = RandomLogits(random, vocab, spread: options.TopK is 0 ? 4 : 12);
            var history = options.RepetitionPenalty == 1 ? [] : TieFreeHistory(random, logits, options, count: 60);
            var sampler = new Sampler(vocab, options);
            double[] uniforms = [0, 1 - 1.0 / 4294967296.0, .. Enumerable.Range(0, draws).Select(_ => SamplingKernelAbi.Fraction(random.NextDouble()) / 4294967296.0)];
            var chosen = new HashSet<int>();
            foreach (var u in uniforms)
            {
                var expected = sampler.Choose(logits, history, history.Length, u);
                var actual = device(logits, Parameters(vocab, options, history, u));
                Assert.True(expected == actual, $"{options} u={u}: host {expected}, device {actual}");
                chosen.Add(expected);
            }
            // The draws really sample (several tokens) unless top-k keeps one.
            Assert.True(options.TopK == 1 ? chosen.Count == 1 : chosen.Count > 2, $"{options}: {chosen.Count} distinct tokens");
        }
    }

    /// <summary>
    /// One launch over a row per option set and a greedy one, each row with its own logits, history and uniform (row
    /// r's logits at r × vocab, its words at r × <see cref="SamplingKernelAbi.ParameterWords"/>): each row the host's token.
    /// </summary>
    public static void AssertEveryRowMatchesHost(int vocab, RowsDevice device)
    {
        var random = new Random(vocab + 2);
        SamplingOptions[] options = [.. OptionSets, SamplingOptions.Greedy with { RepetitionPenalty = 1.5f }];
        var logits = new float[options.Length * vocab];
        var words = new uint[options.Length * SamplingKernelAbi.ParameterWords];
        var expected = new int[options.Length];
        for (var r = 0; r < options.Length; r++)
        {
            var row = RandomLogits(random, vocab, spread: options[r].TopK is 0 ? 4 : 12);
            row.CopyTo(logits, r * vocab);
            var history = options[r].RepetitionPenalty == 1 ? [] : TieFreeHistory(random, row, options[r], count: 60);
            var uniform = SamplingKernelAbi.Fraction(random.NextDouble()) / 4294967296.0;
            Parameters(vocab, options[r], history, uniform).CopyTo(words, r * SamplingKernelAbi.ParameterWords);
            expected[r] = new Sampler(vocab, options[r]).Choose(row, history, history.Length, uniform);
        }
        Assert.Equal(expected, device(logits, words, options.Length));
        Assert.True(expected.Distinct().Count() > options.Length / 2, $"rows drew {string.Join(", ", expected)}");
    }

    private static uint[] Parameters(int vocab, SamplingOptions options, int[] history, double uniform)
    {
        var words = new uint[SamplingKernelAbi.ParameterWords];
        new SamplingParameterBlock(vocab).Write(words, options, history, uniform);
        return words;
    }

    /// <summary>Distinct logits in random order: a shuffled grid with jitter under half a step, spread over ±<paramref name="spread"/>.</summary>
    private static float[] RandomLogits(Random random, int vocab, float spread)
    {
        var order = Enumerable.Range(0, vocab).ToArray();
        random.Shuffle(order);
        var step = 2 * spread / vocab;
        return [.. order.Select(k => (k + random.NextSingle() * 0.4f - vocab / 2f) * step)];
    }

    /// <summary>Random history ids whose penalized logits tie with no other logit (nor each other), so the host's order is defined.</summary>
    private static int[] TieFreeHistory(Random random, float[] logits, SamplingOptions options, int count)
    {
        var values = new HashSet<float>(logits);
        var history = new List<int>();
        while (history.Count < count)
        {
            var id = random.Next(logits.Length);
            if (history.Contains(id)) continue;
            var penalized = logits[id] > 0 ? logits[id] / options.RepetitionPenalty : logits[id] * options.RepetitionPenalty;
            if (!values.Add(penalized)) continue;
            history.Add(id);
        }
        return [.. history];
    }
}
