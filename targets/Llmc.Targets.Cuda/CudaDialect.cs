using System.Globalization;
using Llmc.Runtime.Plan;
using Llmc.Targets.Emit;
using Llmc.Targets.Gpu;

namespace Llmc.Targets.Cuda;

/// <summary>
/// CUDA C for NVRTC, with no CUDA headers: buffers are <c>unsigned int</c> arrays, f16/bf16 conversions and
/// the byte dot product are inline PTX (<see cref="CudaPrelude"/>). Read-only buffers are <c>const __restrict__</c>
/// so loads go through the read-only data path (<c>ld.global.nc</c>); the ABI guarantees a step's buffers are distinct.
/// Reductions use warp shuffles (<see cref="ShuffleXor"/>), shared memory only across warps.
/// </summary>
public sealed record CudaDialect(string Target) : GpuDialect(Target)
{
    public override string LocalId => "(int)threadIdx.x";

    public override string GroupX => "(int)blockIdx.x";

    public override string GroupY => "(int)blockIdx.y";

    public override string GroupCountX => "(int)gridDim.x";

    public override string LocalCount => "(int)blockDim.x";

    public override string Barrier => "__syncthreads();";

    public override string? UnrollHint => "#pragma unroll";

    public override string Uint => "unsigned int";

    public override string Word(int argument, string index) => $"a{argument}[{index}]";

    /// <summary>The plan symbols are the kernel's int parameters of the same names (<see cref="WriteKernel"/>).</summary>
    public override string Symbol(string name) => PlanSymbols.Names.Contains(name)
        ? name
        : throw new TargetException($"unknown plan symbol '{name}'");

    public override string Cast(string type, string value) => $"(({type})({value}))";

    public override string BitsToFloat(string bits) => $"__uint_as_float({bits})";

    public override string FloatToBits(string value) => $"__float_as_uint({value})";

    public override string HalfToFloat(string bits) => $"{CudaPrelude.HalfToFloat}({bits})";

    public override string Fma(string a, string b, string c) => $"fmaf({a}, {b}, {c})";

    public override string Max(string a, string b) => $"max({a}, {b})";

    public override string Min(string a, string b) => $"min({a}, {b})";

    public override string Abs(string value) => $"abs({value})";

    public override string RoundEven(string value) => $"rintf({value})";

    public override string DotBytes(string unsigned, string signed) => $"{CudaPrelude.DotBytes}({unsigned}, {Cast(Uint, signed)})";

    /// <summary>Threads 32w..32w+31 of a block are warp w, so reductions shuffle within warps (every CUDA block is whole warps).</summary>
    public override int? WarpSize => 32;

    public override string ShuffleXor(string value, string laneMask) => $"__shfl_xor_sync(0xffffffffu, {value}, {laneMask})";

    public override string AtomicOr(string word, string value) => $"atomicOr(&{word}, {value});";

    public override string AtomicAnd(string word, string value) => $"atomicAnd(&{word}, {value});";

    public override string Call(MathFunction function, string argument) => function switch
    {
        MathFunction.Exp => $"expf({argument})",
        MathFunction.Sqrt => $"sqrtf({argument})",
        MathFunction.Sin => $"sinf({argument})",
        MathFunction.Cos => $"cosf({argument})",
        MathFunction.Tanh => $"tanhf({argument})",
        _ => throw new ArgumentOutOfRangeException(nameof(function)),
    };

    /// <summary>
    /// <c>extern "C" __global__ void entry(args..., int seq, int out, int kv_table, int kv_blocks, int kv_block)</c> (the
    /// <see cref="PlanSymbols"/>, in order) with the block size as its launch bound and
    /// the shared arrays declared first in the body.
    /// </summary>
    public override void WriteKernel(SourceWriter writer, GpuKernelSignature signature, Action body)
    {
        var args = signature.Writes.Select((writes, i) => $"{(writes ? "" : "const ")}unsigned int* __restrict__ a{i}")
            .Concat(PlanSymbols.Names.Select(n => $"int {n}"));
        var localSize = signature.Shape.LocalSize.ToString(CultureInfo.InvariantCulture);
        using (writer.Block($"extern \"C\" __global__ void __launch_bounds__({localSize}) {signature.Entry}({string.Join(", ", args)})"))
        {
            foreach (var array in signature.Shape.Shared)
                writer.Line($"__shared__ {(array.Type == "uint" ? Uint : array.Type)} {array.Name}[{array.Count.ToString(CultureInfo.InvariantCulture)}];");
            body();
        }
    }
}
