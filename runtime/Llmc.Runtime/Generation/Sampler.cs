namespace Llmc.Runtime.Generation;

/// <summary>
/// Picks the next token from logits: repetition, presence and frequency penalties, then greedy, or
/// temperature → top-k → softmax → min-p → top-p → draw.
/// All scratch space is allocated once per vocabulary, so sampling a token allocates nothing.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions _options;
    private readonly Random _random;
    private readonly float[] _logits;
    private readonly float[] _keys;
    private readonly int[] _ids;
    private readonly bool[] _seen;
    private readonly int[]? _counts;

    public Sampler(int vocabSize, SamplingOptions options)
    {
        options.Validate();
        _options = options;
        _random = options.Seed is int seed ? new Random(seed) : new Random();
        _logits = new float[vocabSize];
        _keys = new float[vocabSize];
        _ids = new int[vocabSize];
        _seen = new bool[vocabSize];
        if (options.PenalizesGenerated) _counts = new int[vocabSize];
    }

    public SamplingOptions Options => _options;

    /// <param name="history">Tokens so far (prompt and generated), for the penalties.</param>
    /// <param name="promptLength">How many leading tokens of <paramref name="history"/> are the prompt, which the presence and frequency penalties do not count.</param>
    public int Sample(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, int promptLength) => Choose(logits, history, promptLength, NextUniform());

    /// <summary>
    /// The uniform in [0, 1) for the next token from this sampler's (seeded) generator, a multiple of 2⁻³² so a device
    /// sampler receives it exactly (<see cref="Devices.SamplingKernelAbi.Fraction"/>); 0, drawing nothing, when greedy.
    /// </summary>
    public double NextUniform() =>
        _options.Temperature == 0 ? 0 : Devices.SamplingKernelAbi.Fraction(_random.NextDouble()) / 4294967296.0;

    /// <summary>
    /// The token <see cref="Sample"/> picks for <paramref name="uniform"/>: the first candidate, in descending order of
    /// logit, at which the cumulative kept mass reaches <paramref name="uniform"/> times the whole kept mass. The reference
    /// for device samplers.
    /// </summary>
    public int Choose(ReadOnlySpan<float> logits, ReadOnlySpan<int> history, int promptLength, double uniform)
    {
        var v = _logits.Length;
        logits[..v].CopyTo(_logits);
        if (_options.RepetitionPenalty != 1f) ApplyRepetitionPenalty(history);
        if (_counts is not null) ApplyGeneratedPenalties(history[Math.Min(promptLength, history.Length)..]);
        if (_options.Temperature == 0) return LogitRow.ArgMax(_logits);

        // Sort candidates by descending logit (keys negated so Array.Sort's ascending order serves).
        var k = _options.TopK == 0 ? v : Math.Min(_options.TopK, v);
        for (var i = 0; i < v; i++)
        {
            _keys[i] = -_logits[i] / _options.Temperature;
            _ids[i] = i;
        }
        if (k < v) SelectTopK(k);
        Array.Sort(_keys, _ids, 0, k);

        // Softmax over the k candidates, in place in _keys.
        var max = -_keys[0];
        double sum = 0;
        for (var i = 0; i < k; i++) sum += _keys[i] = MathF.Exp(-_keys[i] - max);
        var n = k;
        var minP = _options.MinP * (float)(1 / sum);
        double kept = 0;
        for (var i = 0; i < k; i++)
        {
            var p = _keys[i] / sum;
            if (i > 0 && (p < minP || kept >= _options.TopP)) { n = i; break; }
            kept += p;
        }

        var draw = uniform * kept * sum;
        for (var i = 0; i < n; i++)
        {
            draw -= _keys[i];
            if (draw <= 0) return _ids[i];
        }
        return _ids[n - 1];
    }

    private void ApplyRepetitionPenalty(ReadOnlySpan<int> history)
    {
        var recent = history[Math.Max(0, history.Length - _options.RepetitionWindow)..];
        foreach (var t in recent)
        {
            if ((uint)t >= (uint)_seen.Length || _seen[t]) continue;
            _seen[t] = true;
            _logits[t] = _logits[t] > 0 ? _logits[t] / _options.RepetitionPenalty : _logits[t] * _options.RepetitionPenalty;
        }
        foreach (var t in recent)
            if ((uint)t < (uint)_seen.Length) _seen[t] = false;
    }

    /// <summary>OpenAI's presence and frequency penalties: logit − presence·[count &gt; 0] − frequency·count over the generated tokens.</summary>
    private void ApplyGeneratedPenalties(ReadOnlySpan<int> generated)
    {
        var counts = _counts!;
        foreach (var t in generated)
            if ((uint)t < (uint)counts.Length) counts[t]++;
        foreach (var t in generated)
        {
            if ((uint)t >= (uint)counts.Length || counts[t] == 0) continue;
            _logits[t] -= _options.PresencePenalty + _options.FrequencyPenalty * counts[t];
            counts[t] = 0;
        }
    }

    /// <summary>Moves the k smallest keys (the k largest logits) to the front: quickselect, O(v) on average.</summary>
    private void SelectTopK(int k)
    {
        int lo = 0, hi = _keys.Length - 1;
        while (lo < hi)
        {
            var pivot = _keys[(lo + hi) >>> 1];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (_keys[i] < pivot) i++;
                while (_keys[j] > pivot) j--;
                if (i <= j)
                {
                    (_keys[i], _keys[j]) = (_keys[j], _keys[i]);
                    (_ids[i], _ids[j]) = (_ids[j], _ids[i]);
                    i++;
                    j--;
                }
            }
            if (k - 1 <= j) hi = j;
            else if (k - 1 >= i) lo = i;
            else break;
        }
    }
}
