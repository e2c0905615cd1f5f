using System.Globalization;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>Accumulate(weights, rows, count, acc)</c>: adds weight times value row for the first <c>count</c> rows of a
/// sub-block to the accumulators of <see cref="Vectors"/> consecutive query vectors. The accumulators are held in
/// registers over the whole sub-block, a tile of vectors × head_dim chunks at a time, and each value chunk loaded serves
/// every vector of the tile; adding row by row through memory cost a load and a store per multiply-add. Every
/// accumulator element takes its fused multiply-adds in row order, as one vector at a time would, so how many vectors
/// share a call does not change a result.
/// </summary>
/// <param name="group">Query vectors per kv head: a tile's vector count is a multiple of it.</param>
internal sealed class SubBlockValues(KernelSource kernel, int headDim, int group)
{
    /// <summary>
    /// Query vectors per call: the largest divisor of the group that leaves half the vector registers for a tile of
    /// accumulators (AVX2 8 of 16, AVX-512 16 of 32), so calls cover a tile exactly.
    /// </summary>
    public int Vectors => Enumerable.Range(1, group).Last(v => group % v == 0 && v <= AccumulatorRegisters);

    private CpuDialect D => kernel.Dialect;

    private int Chunks => headDim / D.Lanes;

    private int AccumulatorRegisters => D.Lanes == 8 ? 8 : 16;

    private int ChunksPerTile => Math.Max(1, Math.Min(Chunks, AccumulatorRegisters / Vectors));

    private static string Int(int value) => value.ToString(CultureInfo.InvariantCulture);

    public void Render()
    {
        var (w, d) = (kernel.Writer, D);
        var all = Enumerable.Range(0, Vectors).ToList();
        // weights: vector v's at weights + v * Block; acc: vector v's at acc + v * HeadDim.
        using (w.Block("static void Accumulate(float* weights, float** cacheRows, int count, float* acc)"))
        {
            var perTile = ChunksPerTile;
            for (var first = 0; first < Chunks; first += perTile)
            {
                var chunks = Enumerable.Range(first, Math.Min(perTile, Chunks - first)).ToList();
                using (w.Block(""))
                {
                    foreach (var v in all)
                        foreach (var c in chunks) w.Line($"{d.Vector} a{Int(v)}_{Int(c)} = {d.Load(Element(v, c))};");
                    using (w.Block("for (int t = 0; t < count; t++)"))
                    {
                        w.Line("float* row = cacheRows[t];");
                        foreach (var c in chunks) w.Line($"{d.Vector} v{Int(c)} = {d.Load($"row + {Int(c * d.Lanes)}")};");
                        foreach (var v in all)
                        {
                            w.Line($"{d.Vector} weight{Int(v)} = {d.Splat($"weights[{Int(v)} * Block + t]")};");
                            foreach (var c in chunks) w.Line($"a{Int(v)}_{Int(c)} = {d.Fma($"v{Int(c)}", $"weight{Int(v)}", $"a{Int(v)}_{Int(c)}")};");
                        }
                    }
                    foreach (var v in all)
                        foreach (var c in chunks) w.Line(d.Store($"a{Int(v)}_{Int(c)}", Element(v, c)));
                }
            }
            if (headDim % d.Lanes == 0) return;
            using (w.Block("for (int t = 0; t < count; t++)"))
            {
                foreach (var v in all)
                    w.Line($"for (int i = {Int(Chunks * d.Lanes)}; i < HeadDim; i++) acc[{Int(v)} * HeadDim + i] = MathF.FusedMultiplyAdd(cacheRows[t][i], weights[{Int(v)} * Block + t], acc[{Int(v)} * HeadDim + i]);");
            }
        }
    }

    private string Element(int vector, int chunk) => $"acc + {Int(vector)} * HeadDim + {Int(chunk * D.Lanes)}";
}
