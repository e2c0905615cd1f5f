namespace Llmc.Compiler.Synth;

/// <summary>
/// Standard normal samples from SplitMix64 and the Box–Muller transform: our own generator, so a seed gives the same
/// weights on every machine and .NET version, and any block of a tensor can be generated independently (in parallel).
/// </summary>
public struct NormalStream(ulong seed)
{
    private ulong _state = seed;
    private double _spare = double.NaN;

    /// <summary>A seed for one block of one tensor, well mixed so neighbouring blocks are unrelated.</summary>
    public static ulong SeedFor(ulong seed, string tensorName, long block)
    {
        // FNV-1a: string.GetHashCode is randomised per process and would break determinism.
        var hash = 14695981039346656037UL;
        foreach (var c in tensorName) hash = (hash ^ c) * 1099511628211UL;
        return Mix(Mix(seed ^ hash) + (ulong)block);
    }

    public double Next()
    {
        if (!double.IsNaN(_spare))
        {
            var spare = _spare;
            _spare = double.NaN;
            return spare;
        }
        // 1 - u keeps the logarithm's argument in (0, 1].
        var radius = Math.Sqrt(-2 * Math.Log(1 - Uniform()));
        var angle = 2 * Math.PI * Uniform();
        _spare = radius * Math.Sin(angle);
        return radius * Math.Cos(angle);
    }

    private double Uniform() => (NextBits() >> 11) * (1.0 / (1UL << 53));

    private ulong NextBits() => Mix(_state += 0x9E3779B97F4A7C15UL);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
