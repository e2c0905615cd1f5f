using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Runtime.Plan;
using Llmc.Targets;
using Llmc.Targets.Conformance;
using Llmc.Targets.Cpu;

namespace Llmc.Benchmarks;

/// <summary>
/// One decode step's hot CPU kernels at Llama-3.2-1B sizes, compiled and launched as the runtime does (one assembly,
/// a worker pool over all cores): the FFN up-projection matrix-vector product (K 2048 → N 8192) with f32, f16, bf16,
/// q8 and q4 weights and those of GGUF's Q4_K and Q6_K (and, as "prefill", the same product for a chunk of <see cref="PrefillRows"/> prompt rows), attention over
/// 511 cached positions (32 heads, 8 KV heads, head_dim 64), and RMSNorm of one 2048-wide row.
/// <c>dotnet run -c Release --project tools/Llmc.Benchmarks -- --filter '*KernelBenchmarks*' --job short</c>
/// </summary>
public unsafe class KernelBenchmarks
{
    private const int Hidden = 2048, Ffn = 8192, Heads = 32, KvHeads = 8, HeadDim = 64, Context = 512, PrefillRows = 64, KvBlock = 16;

    private CpuKernelLibrary _library = null!;
    private WorkerPool _pool = null!;
    private nint _kernel;
    private nint[] _buffers = [];
    private int[] _dims = [];

    [Params("linear f32", "linear f16", "linear bf16", "linear q8g32", "linear q4g32", "linear q4ag32k", "linear q8g16k", "prefill f16", "prefill q8g32", "prefill q4g32", "prefill q4ag32k", "attention decode", "rms_norm")]
    public string Kernel { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var rows = Kernel.StartsWith("prefill", StringComparison.Ordinal) ? PrefillRows : 1;
        var (instance, operands) = Instance(Kernel, rows);
        var target = new CpuTarget(CpuIsa.Best ?? throw new PlatformNotSupportedException("no CPU target runs here"));
        var compiled = target.Compile([instance]);
        _library = CpuKernelLibrary.Load(compiled.Sections[CpuKernelAbi.Section], compiled.Kernels.Select(k => (k.Instance.Name, k.Entry)));
        _kernel = _library[instance.Name];
        _pool = new WorkerPool();
        var result = new byte[instance.Result.Shape.Aggregate(1, (n, d) => n * (d.IsSymbolic ? rows : d.Size)) * sizeof(float)];
        _buffers = [.. operands.Append(result).Select(Allocate)];
        // One row: a decode step; more: a prefill chunk. The KV pool holds one context in blocks of KvBlock positions.
        _dims = new int[PlanSymbols.Count];
        (_dims[PlanSymbols.Seq], _dims[PlanSymbols.Out]) = (rows, rows);
        (_dims[PlanSymbols.KvTable], _dims[PlanSymbols.KvBlocks], _dims[PlanSymbols.KvBlock]) = (Context / KvBlock, Context / KvBlock, KvBlock);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pool.Dispose();
        foreach (var buffer in _buffers) NativeMemory.AlignedFree((void*)buffer);
    }

    [Benchmark]
    public void Launch()
    {
        fixed (nint* args = _buffers)
        fixed (int* dims = _dims)
            _pool.Run(_kernel, args, dims);
    }

    private static (KernelInstance Instance, byte[][] Operands) Instance(string name, int rows)
    {
        var random = new Random(7);
        var row = new TensorType(DType.F32, Dim.Seq, Hidden);
        switch (name)
        {
            case "rms_norm":
                return (Make("rms_norm", [row, new TensorType(DType.F32, Hidden)], new Attributes().Set("eps", 1e-5)), [Floats(random, Hidden), Floats(random, Hidden)]);
            case "attention decode":
            {
                // One sequence at its last position, its keys and values in consecutive blocks of the pool.
                const int blocks = Context / KvBlock;
                var kv = new TensorType(DType.F32, Dim.Seq, KvHeads * HeadDim);
                var cache = new TensorType(DType.F32, blocks, KvBlock, KvHeads * HeadDim);
                var ids = new TensorType(DType.I32, Dim.Seq);
                var attrs = new Attributes().Set("n_heads", Heads).Set("n_kv_heads", KvHeads).Set("head_dim", HeadDim).Set("scale", 1 / Math.Sqrt(HeadDim))
                    .Set("context", Context);
                return (Make("attention", [new TensorType(DType.F32, Dim.Seq, Heads * HeadDim), kv, kv, ids, new TensorType(DType.I32, blocks), ids, cache, cache], attrs),
                    [Floats(random, Heads * HeadDim), Floats(random, KvHeads * HeadDim), Floats(random, KvHeads * HeadDim), Ints([Context - 1]),
                     Ints([.. Enumerable.Range(0, blocks)]), Ints([0]), Floats(random, Context * KvHeads * HeadDim), Floats(random, Context * KvHeads * HeadDim)]);
            }
            default:
            {
                var dtype = DTypes.Parse(name[(name.IndexOf(' ') + 1)..]);
                var weights = Floats(random, Ffn * Hidden);
                var values = MemoryMarshal.Cast<byte, float>(weights).ToArray();
                var stored = dtype switch
                {
                    DType.F32 => weights,
                    DType.F16 or DType.BF16 => MemoryMarshal.AsBytes<ushort>([.. values.Select(v => HalfFloats.Bits(dtype, HalfFloats.Representable(dtype, v)))]).ToArray(),
                    // The GGUF k-quant formats, which no quantizer writes: random super-block values, factors and codes.
                    _ when QuantFormat.Of(dtype).IsSuperBlocked => RandomPacked.Tensor(random, dtype, Ffn, Hidden).Packed,
                    _ => GroupQuantizer.Pack(values, Ffn, Hidden, QuantFormat.Of(dtype)),
                };
                return (Make("linear", [row, new TensorType(dtype, Ffn, Hidden)], new Attributes()), [Floats(random, rows * Hidden), stored]);
            }
        }
    }

    private static KernelInstance Make(string op, TensorType[] operands, Attributes attrs) =>
        new(op, operands, OpRegistry.Get(op).InferType(operands, attrs), attrs);

    private static byte[] Floats(Random random, int count) =>
        MemoryMarshal.AsBytes<float>([.. Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1))]).ToArray();

    private static byte[] Ints(int[] values) => MemoryMarshal.AsBytes<int>(values).ToArray();

    private static nint Allocate(byte[] bytes)
    {
        var buffer = NativeMemory.AlignedAlloc((nuint)Math.Max(64, bytes.Length), 64);
        bytes.CopyTo(new Span<byte>(buffer, bytes.Length));
        return (nint)buffer;
    }
}
