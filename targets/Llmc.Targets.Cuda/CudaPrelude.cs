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

        """;
}
