using Llmc.Ir;
using Llmc.Targets.Gpu;

namespace Llmc.Targets.Cuda.Templates;

/// <summary>
/// Prefill <c>linear</c> with f16 or bf16 weights on tensor cores (<c>mma.sync.m16n8k16</c>, sm_80+): y = x·wᵀ in tiles
/// of 64 rows × 64 columns, K in steps of 16. Each step the workgroup rounds a 64×16 slice of x to the weights' type
/// and copies the matching 64×16 slice of w into shared memory (two 16-bit values per word, rows padded to 12 words so
/// a warp's fragment loads hit 32 different banks), then each warp multiplies its share of the tile's 32 16×8
/// fragments, accumulating in f32. Workgroups stride over the tiles, so any grid works. Rounding x to 16 bits costs
/// accuracy (relative error ~1e-3 for f16 and ~1e-2 for bf16 per product): that is the price of tensor cores, and
/// why f32 weights never take this path.
/// </summary>
public sealed class TensorCoreLinear : ICudaVariant
{
    private const int TileRows = 64;
    private const int TileColumns = 64;
    private const int TileK = 16;
    private const int RowWords = TileK / 2 + 4;
    private const int Fragments = TileRows / 16 * (TileColumns / 8);

    public string Condition => "seq > 1";

    public bool AppliesTo(KernelInstance instance) => instance.Operands[1].DType is DType.F16 or DType.BF16;

    public (int GroupsX, IReadOnlyList<SharedArray> Shared) Shape(KernelInstance instance, int localSize)
    {
        var warps = localSize / 32;
        if (localSize % 32 != 0 || Fragments % warps != 0)
            throw new TargetException($"the tensor-core linear kernel needs a block of 32·2^i threads dividing {Fragments} warps' work, got {localSize}");
        return (GpuKernels.GroupsFor(instance.Operands[1][0].Size, TileColumns),
            [new SharedArray("uint", "tileX", TileRows * RowWords), new SharedArray("uint", "tileW", TileColumns * RowWords)]);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var weights = kernel.Instance.Operands[1];
        var bfloat = weights.DType == DType.BF16;
        int k = weights[1].Size, n = weights[0].Size, threads = kernel.Shape.LocalSize, perWarp = Fragments / (threads / 32);
        kernel.Constant("K", k);
        kernel.Constant("N", n);
        kernel.Constant("TilesN", (n + TileColumns - 1) / TileColumns);
        w.Line($"int lid = {d.LocalId}, warp = lid >> 5, g = (lid & 31) >> 2, t = lid & 3;");
        w.Line($"int tiles = (seq + {TileRows - 1}) / {TileRows} * TilesN;");
        using (w.Block($"for (int tile = {d.GroupY} * (int)gridDim.x + {d.GroupX}; tile < tiles; tile += (int)(gridDim.x * gridDim.y))"))
        {
            w.Line($"int m0 = tile / TilesN * {TileRows}, n0 = tile % TilesN * {TileColumns};");
            w.Line($"float c[{perWarp}][4];");
            w.Line($"for (int f = 0; f < {perWarp}; f++) c[f][0] = c[f][1] = c[f][2] = c[f][3] = 0.0f;");
            using (w.Block($"for (int k0 = 0; k0 < K; k0 += {TileK})"))
            {
                w.Line(d.Barrier);
                RenderActivationSlice(kernel, bfloat, threads);
                RenderWeightSlice(kernel, k, threads);
                w.Line(d.Barrier);
                using (w.Block($"for (int f = 0; f < {perWarp}; f++)"))
                {
                    w.Line($"int frag = warp * {perWarp} + f, row = frag / {TileColumns / 8} * 16 + g, col = frag % {TileColumns / 8} * 8 + g;");
                    w.Line($"{CudaPrelude.MatrixMultiplyAdd(bfloat)}(c[f], tileX[row * {RowWords} + t], tileX[(row + 8) * {RowWords} + t], " +
                           $"tileX[row * {RowWords} + t + 4], tileX[(row + 8) * {RowWords} + t + 4], tileW[col * {RowWords} + t], tileW[col * {RowWords} + t + 4]);");
                }
            }
            using (w.Block($"for (int f = 0; f < {perWarp}; f++)"))
            {
                w.Line($"int frag = warp * {perWarp} + f, row = m0 + frag / {TileColumns / 8} * 16 + g, col = n0 + frag % {TileColumns / 8} * 8 + 2 * t;");
                w.Line($"if (row < seq && col < N) {kernel.StoreResult("row * N + col", "c[f][0]")}");
                w.Line($"if (row < seq && col + 1 < N) {kernel.StoreResult("row * N + col + 1", "c[f][1]")}");
                w.Line($"if (row + 8 < seq && col < N) {kernel.StoreResult("(row + 8) * N + col", "c[f][2]")}");
                w.Line($"if (row + 8 < seq && col + 1 < N) {kernel.StoreResult("(row + 8) * N + col + 1", "c[f][3]")}");
            }
        }
    }

    /// <summary>x[m0.., k0..k0+16) rounded to 16 bits, zero past seq and K.</summary>
    private static void RenderActivationSlice(GpuKernelSource kernel, bool bfloat, int threads)
    {
        var w = kernel.Writer;
        var round = bfloat ? CudaPrelude.FloatToBfloat : CudaPrelude.FloatToHalf;
        using (w.Block($"for (int e = lid; e < {TileRows * TileK / 2}; e += {threads})"))
        {
            w.Line($"int m = e / {TileK / 2}, kw = e % {TileK / 2}, row = m0 + m, k = k0 + 2 * kw;");
            w.Line($"float low = row < seq && k < K ? {kernel.Load(0, "row * K + k")} : 0.0f;");
            w.Line($"float high = row < seq && k + 1 < K ? {kernel.Load(0, "row * K + k + 1")} : 0.0f;");
            w.Line($"tileX[m * {RowWords} + kw] = {round}(low) | ({round}(high) << 16);");
        }
    }

    /// <summary>w[n0.., k0..k0+16) as stored, zero past N and K; a word at a time when rows start on a word.</summary>
    private static void RenderWeightSlice(GpuKernelSource kernel, int k, int threads)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block($"for (int e = lid; e < {TileColumns * TileK / 2}; e += {threads})"))
        {
            w.Line($"int j = e / {TileK / 2}, kw = e % {TileK / 2}, col = n0 + j, k = k0 + 2 * kw;");
            w.Line($"{d.Uint} word = 0u;");
            if (k % 2 == 0)
            {
                w.Line($"if (col < N && k < K) word = {d.Word(1, "(col * K + k) >> 1")};");
            }
            else
            {
                w.Line("int at = col * K + k;");
                w.Line($"if (col < N && k < K) word = ({d.Word(1, "at >> 1")} >> ((at & 1) * 16)) & 0xffffu;");
                w.Line($"if (col < N && k + 1 < K) word |= (({d.Word(1, "(at + 1) >> 1")} >> (((at + 1) & 1) * 16)) & 0xffffu) << 16;");
            }
            w.Line($"tileW[j * {RowWords} + kw] = word;");
        }
    }
}
