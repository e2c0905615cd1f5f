namespace Llmc.Targets.Cuda;

/// <summary>
/// What the kernels need that a CUDA header would otherwise provide, written first in the translation unit:
/// f16/bf16 conversions and the unsigned·signed byte dot product as inline PTX (<c>cvt</c>, <c>dp4a</c>), so
/// NVRTC compiles with no include path.
/// </summary>
public static class CudaPrelude
{
    public const string HalfToFloat = "llmc_half_to_float";
    public const string FloatToHalf = "llmc_float_to_half";
    public const string FloatToBfloat = "llmc_float_to_bf16";
    public const string DotBytes = "llmc_dot_bytes";

    /// <summary>A warp's tensor-core product: <c>c += a·b</c> for a 16×16 f16 (or bf16) tile a, 16×8 tile b, 16×8 f32 tile c.</summary>
    public static string MatrixMultiplyAdd(bool bfloat) => bfloat ? "llmc_mma_bf16" : "llmc_mma_f16";

    public static string Text { get; } = $$"""
        // llmc CUDA kernels: every buffer is an array of 32-bit words (docs/gpu-kernels.md).
        typedef unsigned int uint;

        // The f16 in the low 16 bits of `bits`, as a float.
        __device__ __forceinline__ float {{HalfToFloat}}(unsigned int bits)
        {
            float f;
            asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"((unsigned short)(bits & 0xffffu)));
            return f;
        }

        // The f16 nearest to `v` (ties to even), in the low 16 bits.
        __device__ __forceinline__ unsigned int {{FloatToHalf}}(float v)
        {
            unsigned short h;
            asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(v));
            return h;
        }

        // The bf16 nearest to `v` (ties to even), in the low 16 bits (sm_80+).
        __device__ __forceinline__ unsigned int {{FloatToBfloat}}(float v)
        {
            unsigned short h;
            asm("cvt.rn.bf16.f32 %0, %1;" : "=h"(h) : "f"(v));
            return h;
        }

        // Σ of the four bytes of `u` (0..255) times those of `s` (-128..127).
        __device__ __forceinline__ int {{DotBytes}}(unsigned int u, unsigned int s)
        {
            int d;
            asm("dp4a.u32.s32 %0, %1, %2, %3;" : "=r"(d) : "r"(u), "r"(s), "r"(0));
            return d;
        }

        // Tensor cores (sm_80+): c[4] += a·b for one warp, a a 16x16 row-major tile in four registers of two 16-bit
        // values, b a 16x8 column-major tile in two, c 16x8 f32 (fragment layouts of PTX's mma.m16n8k16).
        __device__ __forceinline__ void {{MatrixMultiplyAdd(false)}}(float* c, unsigned int a0, unsigned int a1, unsigned int a2, unsigned int a3, unsigned int b0, unsigned int b1)
        {
            asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3]) : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
        }

        __device__ __forceinline__ void {{MatrixMultiplyAdd(true)}}(float* c, unsigned int a0, unsigned int a1, unsigned int a2, unsigned int a3, unsigned int b0, unsigned int b1)
        {
            asm volatile("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};"
                : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3]) : "r"(a0), "r"(a1), "r"(a2), "r"(a3), "r"(b0), "r"(b1));
        }

        """;
}
