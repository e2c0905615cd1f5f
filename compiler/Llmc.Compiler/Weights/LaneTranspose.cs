using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llmc.Compiler.Weights;

/// <summary>8×8 transposes of vectors of eight floats (or of codes moved as their bits), for searches that keep one group per lane.</summary>
public static class LaneTranspose
{
    private const int Lanes = 8;

    /// <summary>
    /// Lane i of <paramref name="columns"/>[j] becomes lane j of <paramref name="rows"/>[i]. With AVX: pairs unpacked,
    /// then quadruples shuffled, then 128-bit halves swapped (24 shuffles); elsewhere (an Arm build host) one by one.
    /// </summary>
    // Compiled optimized at once, as the quantizers are (GroupQuantizer.PackRow says why): perf found it unoptimized for
    // a whole 1B q4 build, a tenth of the build's CPU.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Transpose(ReadOnlySpan<Vector256<float>> rows, Span<Vector256<float>> columns)
    {
        if (!Avx.IsSupported)
        {
            TransposeOneByOne(rows, columns);
            return;
        }
        var (t0, t1, t2, t3) = (Avx.UnpackLow(rows[0], rows[1]), Avx.UnpackHigh(rows[0], rows[1]), Avx.UnpackLow(rows[2], rows[3]), Avx.UnpackHigh(rows[2], rows[3]));
        var (t4, t5, t6, t7) = (Avx.UnpackLow(rows[4], rows[5]), Avx.UnpackHigh(rows[4], rows[5]), Avx.UnpackLow(rows[6], rows[7]), Avx.UnpackHigh(rows[6], rows[7]));
        var (u0, u1, u2, u3) = (Avx.Shuffle(t0, t2, 0x44), Avx.Shuffle(t0, t2, 0xEE), Avx.Shuffle(t1, t3, 0x44), Avx.Shuffle(t1, t3, 0xEE));
        var (u4, u5, u6, u7) = (Avx.Shuffle(t4, t6, 0x44), Avx.Shuffle(t4, t6, 0xEE), Avx.Shuffle(t5, t7, 0x44), Avx.Shuffle(t5, t7, 0xEE));
        (columns[0], columns[1], columns[2], columns[3]) = (Avx.Permute2x128(u0, u4, 0x20), Avx.Permute2x128(u1, u5, 0x20), Avx.Permute2x128(u2, u6, 0x20), Avx.Permute2x128(u3, u7, 0x20));
        (columns[4], columns[5], columns[6], columns[7]) = (Avx.Permute2x128(u0, u4, 0x31), Avx.Permute2x128(u1, u5, 0x31), Avx.Permute2x128(u2, u6, 0x31), Avx.Permute2x128(u3, u7, 0x31));
    }

    /// <summary>The same transpose one element at a time: the path without AVX, and the reference for the shuffles.</summary>
    public static void TransposeOneByOne(ReadOnlySpan<Vector256<float>> rows, Span<Vector256<float>> columns)
    {
        Span<float> transposed = stackalloc float[Lanes * Lanes];
        for (var i = 0; i < Lanes; i++)
            for (var j = 0; j < Lanes; j++) transposed[j * Lanes + i] = rows[i][j];
        MemoryMarshal.Cast<float, Vector256<float>>(transposed).CopyTo(columns);
    }
}
