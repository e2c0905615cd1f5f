using System.Globalization;
using Llmc.Ir;
using Llmc.Ir.Quantization;

namespace Llmc.Targets.Cpu.Templates;

/// <summary>
/// <c>linear(x[r, K], w[N, K])</c> with w in a <see cref="QuantFormat"/> (docs/quantization.md). Each activation row
/// is rounded to int8 per weight group exactly as <see cref="ActivationQuantization"/> defines, once per row and task;
/// then every output is, per group, an integer dot product of the weight codes (bytes, or nibbles unpacked in
/// registers) with the activation codes, scaled in f32, plus the group's offset times the activation code sum.
/// All schemes share this: their codes are unsigned (w = scale·code + offset), so the u8·s8 dot (VNNI where .NET
/// has it for the width, else widening to i16 and pmaddwd) covers q8, q4 and q4a alike. Tasks split (column block,
/// row) units, rows fastest, so decode splits the columns and each weight byte is read once. A <see cref="LinearFusion"/>
/// adds a fused linear's prologue (the row that is rounded) and epilogue (how products are stored).
/// </summary>
public sealed class QuantizedLinearTemplate(LinearFusion? fusion = null) : ICpuKernelTemplate
{
    private readonly LinearFusion _fusion = fusion ?? LinearFusion.Plain;

    // About this many bytes of codes per column block: a tile that stays in cache while the rows stream past it.
    private const int ColumnBlockBytes = 32 * 1024;

    public void Render(KernelSource kernel)
    {
        var w = kernel.Writer;
        var (x, weights) = (kernel.Instance.Operands[0], kernel.Instance.Operands[1]);
        var format = QuantFormat.Of(weights.DType);
        int k = weights[1].Size, n = weights[0].Size, g = format.GroupSize;
        // A 512-bit chunk would straddle two 32-wide groups; such groups take the 256-bit spelling.
        var lane = kernel.Dialect.ByteLanes <= g ? kernel.Dialect : CpuDialect.Avx2;
        kernel.Operand("x", 0);
        w.Line("byte* w = (byte*)args[1];");
        kernel.Result("y");
        kernel.Constant("K", k);
        kernel.Constant("N", n);
        kernel.Constant("G", format.Groups(k));
        kernel.Constant("GroupSize", g);
        kernel.Constant("RowBytes", format.CodeRowBytes(k));
        kernel.Constant("ColumnBlock", _fusion.RoundColumns(Math.Clamp(ColumnBlockBytes / format.CodeRowBytes(k), 4, 256)));
        _fusion.Declare(kernel);
        w.Line("float* scales = (float*)w;");
        if (format.HasOffsets) w.Line("float* offsets = scales + (long)N * G;");
        w.Line($"byte* codes = w + {format.CodesOffset(n, k).ToString(CultureInfo.InvariantCulture)}L;");
        w.Line($"int rows = {KernelSource.Size(x[0])};");
        w.Line("sbyte* xq = stackalloc sbyte[G * GroupSize];");
        w.Line("float* xs = stackalloc float[G];");
        w.Line("float* xsum = stackalloc float[G];");
        _fusion.DeclareQuantizedState(kernel);
        kernel.Share("rows * ((N + ColumnBlock - 1) / ColumnBlock)", "first", "last");
        w.Line("int quantized = -1;");
        using (w.Block("for (int unit = first; unit < last; unit++)"))
        {
            w.Line("int c0 = unit / rows * ColumnBlock, c1 = Math.Min(c0 + ColumnBlock, N), r = unit % rows;");
            using (w.Block("if (r != quantized)"))
            {
                w.Line($"QuantizeRow({_fusion.QuantizedRow("r")}, xq, xs, xsum);");
                w.Line("quantized = r;");
            }
            var group = _fusion.ColumnMultiple;
            string DotOf(string c) =>
                $"Dot(codes + (long)({c}) * RowBytes, scales + (long)({c}) * G, {(format.HasOffsets ? $"offsets + (long)({c}) * G, " : "")}xq, xs, xsum)";
            using (w.Block($"for (int c = c0; c < c1; c += {group})"))
                _fusion.Store(w, "r", "c", [.. Enumerable.Range(0, group).Select(j => DotOf(j == 0 ? "c" : $"c + {j}"))], rowScale: null);
        }
        RenderQuantizeRow(w);
        RenderDot(kernel, format, lane);
        RenderByteDot(w, lane, format.Bits);
        if (format.Bits == 4) RenderNibbles(w);
        _fusion.RenderHelpers(kernel, quantized: true);
    }

    /// <summary>The activation rounding of <see cref="ActivationQuantization"/>, term for term, zero past K.</summary>
    private static void RenderQuantizeRow(Emit.SourceWriter w)
    {
        using (w.Block("static void QuantizeRow(float* x, sbyte* xq, float* xs, float* xsum)"))
        using (w.Block("for (int g = 0; g < G; g++)"))
        {
            w.Line("int start = g * GroupSize, end = Math.Min(K, start + GroupSize);");
            w.Line("float max = 0f;");
            w.Line("for (int i = start; i < end; i++) max = MathF.Max(max, MathF.Abs(x[i]));");
            w.Line("float inverse = max == 0f ? 0f : 127f / max;");
            w.Line("int sum = 0;");
            using (w.Block("for (int i = start; i < end; i++)"))
            {
                w.Line("int q = (int)MathF.Round(x[i] * inverse);");
                w.Line("xq[i] = (sbyte)q;");
                w.Line("sum += q;");
            }
            w.Line("for (int i = end; i < start + GroupSize; i++) xq[i] = 0;");
            w.Line("xs[g] = max / 127f;");
            w.Line("xsum[g] = xs[g] * sum;");
        }
    }

    private static void RenderDot(KernelSource kernel, QuantFormat format, CpuDialect v)
    {
        var w = kernel.Writer;
        var offsetParameter = format.HasOffsets ? "float* offsets, " : "";
        var offset = format.HasOffsets
            ? "offsets[g]"
            : $"scales[g] * {(-format.ZeroCode).ToString(CultureInfo.InvariantCulture)}f";
        var load = format.Bits == 8
            ? $"{v.VectorClass}.Load(codes + j)"
            : v.ByteLanes == 32 ? "Nibbles(codes + j / 2)" : $"{v.VectorClass}.Create(Nibbles(codes + j / 2), Nibbles(codes + j / 2 + 16))";
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"static float Dot(byte* codes, float* scales, {offsetParameter}sbyte* xq, float* xs, float* xsum)"))
        {
            w.Line($"{v.Vector} acc = {v.Zero};");
            w.Line("float bias = 0f;");
            using (w.Block("for (int g = 0; g < G; g++)"))
            {
                w.Line($"{v.VectorClass}<int> p = {v.VectorClass}<int>.Zero;");
                w.Line($"for (int j = g * GroupSize; j < g * GroupSize + GroupSize; j += {v.ByteLanes}) p = ByteDot(p, {load}, {v.VectorClass}.Load(xq + j));");
                w.Line($"acc = {v.Fma($"{v.VectorClass}.ConvertToSingle(p)", v.Splat("scales[g] * xs[g]"), "acc")};");
                w.Line($"bias = MathF.FusedMultiplyAdd({offset}, xsum[g], bias);");
            }
            w.Line($"return {v.Sum("acc")} + bias;");
        }
    }

    /// <summary>
    /// acc + Σ u·s over each four bytes, exact in i32. 4-bit codes (u ≤ 15, |s| ≤ 127) take pmaddubsw, whose i16 pair
    /// sums (≤ 3810) cannot saturate, then pmaddwd by ones: two instructions per vector. 8-bit codes (u ≤ 255) could
    /// saturate pmaddubsw, so they widen to i16 first and take two pmaddwd.
    /// </summary>
    private static void RenderByteDot(Emit.SourceWriter w, CpuDialect v, int bits)
    {
        var c = v.VectorClass;
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block($"static {c}<int> ByteDot({c}<int> acc, {c}<byte> u, {c}<sbyte> s)"))
        {
            // The guard is a JIT-time constant: the branch not taken is never compiled.
            if (v.ByteDotClass is { } vnni) w.Line($"if ({vnni}.IsSupported) return {vnni}.MultiplyWideningAndAdd(acc, u, s);");
            if (bits == 4)
            {
                w.Line($"return acc + {v.MultiplyAddAdjacent}({v.MultiplyAddAdjacent}(u, s), {c}.Create((short)1));");
                return;
            }
            w.Line($"return acc + {v.MultiplyAddAdjacent}({c}.WidenLower(u).AsInt16(), {c}.WidenLower(s))");
            w.Line($"    + {v.MultiplyAddAdjacent}({c}.WidenUpper(u).AsInt16(), {c}.WidenUpper(s));");
        }
    }

    /// <summary>32 nibble codes from 16 bytes: low nibbles are codes 0..15, high nibbles codes 16..31.</summary>
    private static void RenderNibbles(Emit.SourceWriter w)
    {
        w.Line("[MethodImpl(MethodImplOptions.AggressiveInlining)]");
        using (w.Block("static Vector256<byte> Nibbles(byte* p)"))
        {
            w.Line("Vector128<byte> b = Vector128.Load(p);");
            w.Line("return Vector256.Create(b & Vector128.Create((byte)0xF), Vector128.ShiftRightLogical(b, 4));");
        }
    }
}
