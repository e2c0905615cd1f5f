using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Llmc.Runtime.Benchmarking;

/// <summary>What a compute peak counts: the instruction the engine's linear kernels multiply with.</summary>
public enum PeakKind
{
    /// <summary>f32 fused multiply-adds (f32, f16 and bf16 weights): 2 operations per lane.</summary>
    FusedMultiplyAdd,

    /// <summary>pmaddwd multiply-adds of i16 pairs into i32 (the quantized weights' integer dot products): 2 operations per pair.</summary>
    IntegerMultiplyAdd,
}

/// <summary>The best operations per second a compute loop reached on the CPU's cores, for one <see cref="PeakKind"/> and vector width.</summary>
public sealed record ComputePeak(PeakKind Kind, int VectorBits, int Threads, double GigaOpsPerSecond);

/// <summary>
/// Measures the CPU's attainable arithmetic peak, the ceiling of prefill: every thread (one per core) runs a loop of
/// independent multiply-adds on registers alone (ten dependency chains, more than a multiply-add's latency times the pipes
/// that run them), with the widest vectors the engine's kernels use. The best of several trials is the peak; like the
/// bandwidth probe, it shows what the machine gives now, neighbours included.
/// </summary>
public static class ComputePeakProbe
{
    private const int Trials = 5;

    // Iterations per thread and trial: ten multiply-adds each, a few milliseconds on a core.
    private const int Iterations = 1 << 20;

    private const int ChainCount = 10; // the chains Chains runs

    /// <summary>The peak of the instruction and vector width the CPU engine <paramref name="manifest"/>'s linear kernels use.</summary>
    public static ComputePeak MeasureFor(Format.EngineManifest manifest, int? threads = null) =>
        Measure(LinearWork.Of(manifest).IntegerWeights ? PeakKind.IntegerMultiplyAdd : PeakKind.FusedMultiplyAdd,
            Devices.Cpu.CpuIsa.VectorBits(manifest.Target), threads);

    public static ComputePeak Measure(PeakKind kind, int vectorBits, int? threads = null)
    {
        var workers = threads ?? Environment.ProcessorCount;
        if (workers < 1) throw new LlmcException($"threads must be at least 1, got {workers}");
        var wide = vectorBits >= 512 && Avx512BW.IsSupported;
        if (!wide && !(Avx2.IsSupported && Fma.IsSupported)) throw new LlmcException("the compute peak probe needs AVX2 and FMA");
        Action loop = (kind, wide) switch
        {
            (PeakKind.FusedMultiplyAdd, true) => () => Chains<Vector512<float>, FusedMultiplyAdd512>(Iterations),
            (PeakKind.FusedMultiplyAdd, false) => () => Chains<Vector256<float>, FusedMultiplyAdd256>(Iterations),
            (PeakKind.IntegerMultiplyAdd, true) => () => Chains<Vector512<int>, IntegerMultiplyAdd512>(Iterations),
            _ => () => Chains<Vector256<int>, IntegerMultiplyAdd256>(Iterations),
        };
        var bits = wide ? 512 : 256;
        // Operations per instruction: f32 lanes × 2, or i16 pairs (f32 lanes) × 2 multiplies and 2 adds.
        var opsPerInstruction = kind == PeakKind.FusedMultiplyAdd ? bits / 32 * 2 : bits / 32 * 4;
        var ops = (double)workers * Iterations * ChainCount * opsPerInstruction;
        var best = 0.0;
        for (var trial = 0; trial <= Trials; trial++)
        {
            var seconds = RunOnThreads(workers, loop);
            if (trial > 0) best = Math.Max(best, ops / seconds / 1e9); // the first starts the threads and compiles the loop
        }
        return new ComputePeak(kind, bits, workers, best);
    }

    /// <summary>
    /// Runs <paramref name="loop"/> on <paramref name="workers"/> threads released together; the seconds from the first
    /// start to the last end, as the threads themselves clock them (the releasing thread may not run again until they
    /// are done, on a machine with no core to spare).
    /// </summary>
    private static double RunOnThreads(int workers, Action loop)
    {
        using var start = new Barrier(workers);
        var (starts, ends) = (new long[workers], new long[workers]);
        var threads = Enumerable.Range(0, workers).Select(i => new Thread(() =>
        {
            start.SignalAndWait();
            starts[i] = Stopwatch.GetTimestamp();
            loop();
            ends[i] = Stopwatch.GetTimestamp();
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        return Stopwatch.GetElapsedTime(starts.Min(), ends.Max()).TotalSeconds;
    }

    /// <summary>One step of a dependency chain of the measured instruction, on vectors of <typeparamref name="TVector"/>.</summary>
    private interface IChainStep<TVector>
    {
        /// <summary>Chain <paramref name="chain"/>'s first value: each its own, so no two chains compute the same and fold into one.</summary>
        static abstract TVector Seed(int chain);

        static abstract TVector Next(TVector value);

        /// <summary>Joins two chains' ends, so every chain's result is used and none is dead code.</summary>
        static abstract TVector Join(TVector a, TVector b);
    }

    /// <summary>
    /// Ten independent chains of <typeparamref name="TStep"/>, <paramref name="iterations"/> steps each (a struct type
    /// argument, so the JIT compiles the step inline for each instruction).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static TVector Chains<TVector, TStep>(int iterations) where TStep : struct, IChainStep<TVector>
    {
        TVector a0 = TStep.Seed(0), a1 = TStep.Seed(1), a2 = TStep.Seed(2), a3 = TStep.Seed(3), a4 = TStep.Seed(4);
        TVector a5 = TStep.Seed(5), a6 = TStep.Seed(6), a7 = TStep.Seed(7), a8 = TStep.Seed(8), a9 = TStep.Seed(9);
        for (var i = 0; i < iterations; i++)
        {
            a0 = TStep.Next(a0); a1 = TStep.Next(a1); a2 = TStep.Next(a2); a3 = TStep.Next(a3); a4 = TStep.Next(a4);
            a5 = TStep.Next(a5); a6 = TStep.Next(a6); a7 = TStep.Next(a7); a8 = TStep.Next(a8); a9 = TStep.Next(a9);
        }
        return TStep.Join(TStep.Join(TStep.Join(TStep.Join(a0, a1), TStep.Join(a2, a3)), TStep.Join(TStep.Join(a4, a5), TStep.Join(a6, a7))), TStep.Join(a8, a9));
    }

    // The float chains stay finite and normal (times about 1, plus a little); the integer ones wrap, harmlessly.
    private struct FusedMultiplyAdd512 : IChainStep<Vector512<float>>
    {
        public static Vector512<float> Seed(int chain) => Vector512.Create(1f + chain);

        public static Vector512<float> Next(Vector512<float> value) => Avx512F.FusedMultiplyAdd(value, Vector512.Create(0.999999f), Vector512.Create(1e-6f));

        public static Vector512<float> Join(Vector512<float> a, Vector512<float> b) => a + b;
    }

    private struct FusedMultiplyAdd256 : IChainStep<Vector256<float>>
    {
        public static Vector256<float> Seed(int chain) => Vector256.Create(1f + chain);

        public static Vector256<float> Next(Vector256<float> value) => Fma.MultiplyAdd(value, Vector256.Create(0.999999f), Vector256.Create(1e-6f));

        public static Vector256<float> Join(Vector256<float> a, Vector256<float> b) => a + b;
    }

    // The kernels' pair: pmaddwd of the value's i16 pairs, added back.
    private struct IntegerMultiplyAdd512 : IChainStep<Vector512<int>>
    {
        public static Vector512<int> Seed(int chain) => Vector512.Create(1 + chain);

        public static Vector512<int> Next(Vector512<int> value) => value + Avx512BW.MultiplyAddAdjacent(value.AsInt16(), Vector512.Create((short)3));

        public static Vector512<int> Join(Vector512<int> a, Vector512<int> b) => a + b;
    }

    private struct IntegerMultiplyAdd256 : IChainStep<Vector256<int>>
    {
        public static Vector256<int> Seed(int chain) => Vector256.Create(1 + chain);

        public static Vector256<int> Next(Vector256<int> value) => value + Avx2.MultiplyAddAdjacent(value.AsInt16(), Vector256.Create((short)3));

        public static Vector256<int> Join(Vector256<int> a, Vector256<int> b) => a + b;
    }
}
