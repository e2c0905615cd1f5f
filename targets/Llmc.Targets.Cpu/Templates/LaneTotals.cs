using System.Globalization;
using Llmc.Targets.Emit;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// The lane sums of up to <see cref="CpuDialect.Lanes"/> f32 vectors at once, each input's total in a lane of its own:
/// a transposing tree (unpack pairs, unpack quads, then 128-bit parts), about three operations per total where a
/// horizontal sum of its own (<c>Vector512.Sum</c>) took about 30 in the JIT's listing. Every total takes the same
/// additions in the same order (the 4 lanes of each 128-bit part as (0 + 2) + (1 + 3), then the parts pairwise: AVX-512
/// (0 + 1) + (2 + 3)), whichever inputs share the tree and in whichever place, so kernels can sum as many or as few as
/// they have and agree bit for bit.
/// </summary>
internal static class LaneTotals
{
    /// <summary>Tree levels: log2 of the lane count.</summary>
    public static int Levels(CpuDialect dialect) => int.Log2(dialect.Lanes);

    /// <summary>
    /// Renders the tree over <paramref name="inputs"/> (at most Lanes; null for none, which adds nothing) and returns
    /// the vector whose lane i is input i's total; <paramref name="prefix"/> names its intermediate vectors.
    /// </summary>
    public static string Render(SourceWriter w, CpuDialect dialect, IReadOnlyList<string?> inputs, string prefix)
    {
        if (inputs.Count > dialect.Lanes) throw new ArgumentException($"{inputs.Count} vectors for a tree of {dialect.Lanes} lanes", nameof(inputs));
        var level = Enumerable.Range(0, dialect.Lanes).Select(i => i < inputs.Count ? inputs[i] : null).ToList();
        for (var l = 1; l <= Levels(dialect); l++)
        {
            var next = new List<string?>();
            for (var i = 0; i < level.Count; i += 2)
            {
                if (level[i] is null && level[i + 1] is null)
                {
                    next.Add(null);
                    continue;
                }
                var name = $"{prefix}{l.ToString(CultureInfo.InvariantCulture)}_{(i / 2).ToString(CultureInfo.InvariantCulture)}";
                w.Line($"{dialect.Vector} {name} = {Combine(dialect, l, level[i] ?? dialect.Zero, level[i + 1] ?? dialect.Zero)};");
                next.Add(name);
            }
            level = next;
        }
        return level[0] ?? dialect.Zero;
    }

    /// <summary>The sum of two level-(<paramref name="level"/> − 1) vectors, rearranged so their inputs' sums stay apart.</summary>
    public static string Combine(CpuDialect dialect, int level, string a, string b)
    {
        var isa = dialect.Lanes == 8 ? "Avx" : "Avx512F";
        return level switch
        {
            // [a0 b0 a1 b1] + [a2 b2 a3 b3] per 128 bits.
            1 => $"{isa}.UnpackLow({a}, {b}) + {isa}.UnpackHigh({a}, {b})",
            // 64-bit pairs: [a b c d] per 128 bits, each the sum over that part's four lanes.
            2 => $"{isa}.UnpackLow({a}.AsDouble(), {b}.AsDouble()).AsSingle() + {isa}.UnpackHigh({a}.AsDouble(), {b}.AsDouble()).AsSingle()",
            // 128-bit parts: AVX2's two added; AVX-512's four added in pairs (0 + 1, 2 + 3), then those pairs.
            _ when dialect.Lanes == 8 => $"Avx.Permute2x128({a}, {b}, 0x20) + Avx.Permute2x128({a}, {b}, 0x31)",
            _ => $"Avx512F.Shuffle4x128({a}, {b}, 0x88) + Avx512F.Shuffle4x128({a}, {b}, 0xDD)",
        };
    }
}
