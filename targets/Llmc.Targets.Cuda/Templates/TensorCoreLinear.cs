using Llmc.Ir;
using Llmc.Ir.Ops;
using Llmc.Targets.Emit;
using Llmc.Targets.Gpu;
using Llmc.Targets.Gpu.Templates;

namespace Llmc.Targets.Cuda.Templates;

/// <summary>
/// Prefill for the linear family (<c>linear</c> and its fused members) with f16 or bf16 weights on tensor cores
/// (<c>mma.sync.m16n8k16</c>, sm_80+): the product x·wᵀ in tiles of 64 rows × 64 weight rows, K in steps of 16. Each
/// step the workgroup rounds a 64×16 slice of x to the weights' type and copies the matching 64×16 slice of w into
/// shared memory (two 16-bit values per word, rows padded to 12 words so a warp's fragment loads hit 32 different
/// banks), then each warp multiplies its share of the tile's 32 16×8 fragments, accumulating in f32. The grid has a
/// workgroup per tile (weight-row tiles × ceil(seq/64)); workgroups stride over the tiles, so any grid works. The fused parts: an RMSNorm prologue scales each activation by its row's
/// 1/rms (computed per tile with warp sums) and norm weight before rounding; a residual epilogue adds the residual; a
/// SwiGLU epilogue finds gate and up (interleaved weight rows) as the two adjacent columns every thread of an mma
/// fragment holds. Rounding x to 16 bits costs accuracy (relative error ~1e-3 for f16, more for bf16): that is the
/// price of tensor cores, and why f32 weights never take this path.
/// </summary>
public sealed class TensorCoreLinear(OpDef op) : IManyRowsTemplate
{
    private readonly LinearFusion _fusion = LinearFusion.Of(op);

    private const int Threads = 256;
    private const int TileRows = 64;
    private const int TileColumns = 64;
    private const int TileK = 16;
    private const int RowWords = TileK / 2 + 4;
    private const int Fragments = TileRows / 16 * (TileColumns / 8);

    public bool AppliesTo(KernelInstance instance) => instance.Operands[FusedLinearOp.WeightOperand].DType is DType.F16 or DType.BF16;

    /// <summary>Every prefill step: tensor cores pay off from two rows on.</summary>
    public int MinRows(KernelInstance instance) => 2;

    // Activations are rounded to the weights' 16-bit type and summed in the tensor cores' order.
    public bool SameRounding => false;

    public GpuKernelShape Shape(KernelInstance instance)
    {
        SharedArray[] tiles = [new("uint", "tileX", TileRows * RowWords), new("uint", "tileW", TileColumns * RowWords)];
        return new GpuKernelShape(Threads, GpuKernels.GroupsFor(instance.Operands[FusedLinearOp.WeightOperand][0].Size, TileColumns), instance.Result[0],
            _fusion.Prologue == LinearPrologue.RmsNorm ? [.. tiles, new("float", "rowNorm", TileRows)] : tiles, TileRows);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var weights = kernel.Instance.Operands[FusedLinearOp.WeightOperand];
        var bfloat = weights.DType == DType.BF16;
        int k = weights[1].Size, rows = weights[0].Size, threads = kernel.Shape.LocalSize, perWarp = Fragments / (threads / 32);
        kernel.Constant("K", k);
        kernel.Constant("N", kernel.Instance.Result[1].Size);
        kernel.Constant("WeightRows", rows);
        kernel.Constant("TilesN", (rows + TileColumns - 1) / TileColumns);
        w.Line($"int lid = {d.LocalId}, warp = lid >> 5, lane = lid & 31, g = lane >> 2, t = lane & 3;");
        w.Line($"int tiles = (seq + {TileRows - 1}) / {TileRows} * TilesN;");
        using (w.Block($"for (int tile = {d.GroupY} * (int)gridDim.x + {d.GroupX}; tile < tiles; tile += (int)(gridDim.x * gridDim.y))"))
        {
            w.Line($"int m0 = tile / TilesN * {TileRows}, n0 = tile % TilesN * {TileColumns};");
            RenderRowNorms(kernel, threads / 32);
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
                // Each thread holds weight rows col and col + 1 (col even) of rows `row` and `row + 8`.
                w.Line($"int frag = warp * {perWarp} + f, row = m0 + frag / {TileColumns / 8} * 16 + g, col = n0 + frag % {TileColumns / 8} * 8 + 2 * t;");
                RenderStores(kernel, "row", "c[f][0]", "c[f][1]");
                RenderStores(kernel, "row + 8", "c[f][2]", "c[f][3]");
            }
        }
    }

    /// <summary>
    /// With the RMSNorm prologue: 1/rms of each of the tile's rows below seq into <c>rowNorm</c>, a warp per row (the
    /// loop's condition is the same for a whole warp, as its shuffles need).
    /// </summary>
    private void RenderRowNorms(GpuKernelSource kernel, int warps)
    {
        if (_fusion.Prologue != LinearPrologue.RmsNorm) return;
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line(d.Barrier);
        using (w.Block($"for (int m = warp; m < {TileRows} && m0 + m < seq; m += {warps})"))
        {
            w.Line($"float inverseRms = {RmsNormTemplate.InverseRms(kernel, "(m0 + m) * K", "K", lanes: 32)};");
            w.Line("if (lane == 0) rowNorm[m] = inverseRms;");
        }
    }

    /// <summary>x[m0.., k0..k0+16) (normalized with the prologue) rounded to 16 bits, zero past seq and K.</summary>
    private void RenderActivationSlice(GpuKernelSource kernel, bool bfloat, int threads)
    {
        var w = kernel.Writer;
        var round = bfloat ? CudaPrelude.FloatToBfloat : CudaPrelude.FloatToHalf;
        string Activation(string i) => _fusion.Activation(kernel, "row * K", "rowNorm[m]", i);
        using (w.Block($"for (int e = lid; e < {TileRows * TileK / 2}; e += {threads})"))
        {
            w.Line($"int m = e / {TileK / 2}, kw = e % {TileK / 2}, row = m0 + m, k = k0 + 2 * kw;");
            w.Line($"float low = row < seq && k < K ? {Activation("k")} : 0.0f;");
            w.Line($"float high = row < seq && k + 1 < K ? {Activation("k + 1")} : 0.0f;");
            w.Line($"tileX[m * {RowWords} + kw] = {round}(low) | ({round}(high) << 16);");
        }
    }

    /// <summary>w[n0.., k0..k0+16) as stored, zero past the weight rows and K; a word at a time when rows start on a word.</summary>
    private static void RenderWeightSlice(GpuKernelSource kernel, int k, int threads)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block($"for (int e = lid; e < {TileColumns * TileK / 2}; e += {threads})"))
        {
            w.Line($"int j = e / {TileK / 2}, kw = e % {TileK / 2}, col = n0 + j, k = k0 + 2 * kw;");
            w.Line($"{d.Uint} word = 0u;");
            if (k % 2 == 0)
            {
                w.Line($"if (col < WeightRows && k < K) word = {d.Word(1, "(col * K + k) >> 1")};");
            }
            else
            {
                w.Line("int at = col * K + k;");
                w.Line($"if (col < WeightRows && k < K) word = ({d.Word(1, "at >> 1")} >> ((at & 1) * 16)) & 0xffffu;");
                w.Line($"if (col < WeightRows && k + 1 < K) word |= (({d.Word(1, "(at + 1) >> 1")} >> (((at + 1) & 1) * 16)) & 0xffffu) << 16;");
            }
            w.Line($"tileW[j * {RowWords} + kw] = word;");
        }
    }

    /// <summary>
    /// Stores one row's pair of products through the shared epilogue (<see cref="LinearFusion.Store"/>): both columns,
    /// or with SwiGLU or GeGLU the one output the gate and up rows make.
    /// </summary>
    private void RenderStores(GpuKernelSource kernel, string row, string first, string second)
    {
        var w = kernel.Writer;
        if (_fusion.Rows.Count == 2)
        {
            w.Line($"if ({row} < seq && col + 1 < WeightRows) {_fusion.Store(kernel, row, "col / 2", [first, second])}");
            return;
        }
        foreach (var (column, value) in new[] { ("col", first), ("col + 1", second) })
            w.Line($"if ({row} < seq && {column} < N) {_fusion.Store(kernel, row, column, [value])}");
    }
}
