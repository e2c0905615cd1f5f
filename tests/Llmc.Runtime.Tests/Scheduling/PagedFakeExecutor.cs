using Llmc.Runtime.Devices;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Tests.Scheduling;

/// <summary>
/// An executor that keeps the paged-KV contract with tokens instead of keys and values: each row writes its token into
/// its pool row, and a logit row's logits are a pseudo-random function of every token its sequence holds at positions
/// 0..its position, read back through the block table. A wrong block table, a prefix block reused for other tokens,
/// or a row mixed up with another sequence's changes the logits, so the scheduler's outputs show it.
/// Its "device" sampler runs <see cref="Sampler.Choose"/> on the same logits.
/// </summary>
internal sealed class PagedFakeExecutor(int maxSeq, int context, KvPoolSize pool, bool deviceSampling = false, int maxSampledRows = int.MaxValue) : IModelExecutor, IDeviceSampler
{
    public const int Vocab = 512;

    private readonly int[] _slots = new int[pool.Blocks * pool.BlockSize];
    private readonly StepInputs _stepInputs = new(new SymbolBounds(maxSeq, int.MaxValue, pool), context, Vocab);
    private float[] _logits = [];

    public int Forwards { get; private set; }

    /// <summary>Rows sampled on the "device", and the calls that sampled them.</summary>
    public int DeviceSamples { get; private set; }

    public int DeviceLaunches { get; private set; }

    /// <summary>The most rows one step carried, and the most sequences.</summary>
    public int WidestStep { get; private set; }

    public int MostSequencesInStep { get; private set; }

    public int MaxSeq => maxSeq;

    public int Context => context;

    public int VocabSize => Vocab;

    public KvPoolSize Pool => pool;

    public ReadOnlySpan<float> Forward(StepBatch step)
    {
        Forwards++;
        return Compute(step);
    }

    public bool CanSample(SamplingOptions options) => deviceSampling && SamplingParameterBlock.Fits(options);

    public int MaxSampledRows => maxSampledRows;

    public void ForwardAndSample(StepBatch step, ReadOnlySpan<DeviceSampling> rows, Span<int> tokens)
    {
        DeviceSampling.Check(step, rows.Length, tokens.Length, maxSampledRows);
        DeviceLaunches++;
        DeviceSamples += rows.Length;
        var logits = Compute(step);
        for (var r = 0; r < rows.Length; r++)
        {
            var history = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows[r].Tokens);
            tokens[r] = new Sampler(Vocab, rows[r].Options).Choose(logits.AsSpan(r * Vocab, Vocab), history, history.Length, rows[r].Uniform);
        }
    }

    public void Dispose()
    {
    }

    private float[] Compute(StepBatch step)
    {
        _stepInputs.Check(step);
        WidestStep = Math.Max(WidestStep, step.Rows);
        MostSequencesInStep = Math.Max(MostSequencesInStep, step.RowBlocks.ToArray().Distinct().Count());
        for (var r = 0; r < step.Rows; r++) _slots[Slot(step, r, step.Positions[r])] = step.Tokens[r];
        _logits = new float[step.LogitRows.Length * Vocab];
        for (var i = 0; i < step.LogitRows.Length; i++)
        {
            var row = step.LogitRows[i];
            var hash = 17;
            for (var p = 0; p <= step.Positions[row]; p++) hash = unchecked(hash * 31 + _slots[Slot(step, row, p)]);
            var random = new Random(hash);
            for (var v = 0; v < Vocab; v++) _logits[i * Vocab + v] = random.NextSingle() * 6;
        }
        return _logits;
    }

    private int Slot(StepBatch step, int row, int position) =>
        step.BlockTables[step.RowBlocks[row] + position / pool.BlockSize] * pool.BlockSize + position % pool.BlockSize;
}
