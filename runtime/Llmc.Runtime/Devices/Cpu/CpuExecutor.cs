using System.Runtime.InteropServices;
using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Devices.Cpu;

/// <summary>
/// Executes a plan with the engine's compiled CPU kernels: weights are used in place from the mapped file,
/// activations share one arena, inputs and the KV pool are allocated once, and each step is a kernel launch on the worker pool.
/// The KV pool is not cleared: attention reads only positions a step has written, and the operating system commits its
/// pages as they are first written (a pool for several sequences on huge pages where it can: <see cref="HugePageMemory"/>),
/// so resident memory grows with the blocks written rather than the pool's size.
/// </summary>
public sealed unsafe class CpuExecutor : IModelExecutor, IStepProfiler
{
    private const int Alignment = ActivationArena.Alignment;

    private readonly ExecutionPlan _plan;
    private readonly CpuKernelLibrary _library;
    private readonly WorkerPool _pool;
    private readonly nint[] _buffers;
    private readonly List<nint> _owned = [];
    private readonly nint[] _stepKernels;
    private readonly int[] _stepArgOffsets;
    private readonly nint* _args;
    private readonly int* _dims;
    private readonly int _logits;
    // The buffer of each step input, in PlanRoles.StepInputs order.
    private readonly int[] _inputs;
    private readonly SymbolBounds _bounds;
    private readonly StepInputs _stepInputs;
    private readonly double[] _stepMilliseconds;

    public CpuExecutor(EngineFile file, int threads, KvPoolOptions pool)
    {
        var manifest = file.Manifest;
        _plan = manifest.Plan;
        MaxSeq = _plan.MaxSeq;
        Context = _plan.Context;
        VocabSize = manifest.Model.VocabSize;
        _bounds = pool.Resolve(_plan);
        _stepInputs = new StepInputs(_bounds, Context, VocabSize);

        _library = CpuKernelLibrary.Load(file.Section(CpuKernelAbi.Section), manifest.Kernels.Select(k => (k.Name, k.Entry)));
        _pool = new WorkerPool(threads);

        var tensors = manifest.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        _buffers = new nint[_plan.Buffers.Count];
        // Not cleared: every kernel writes its activations before they are read, and after the first step the arena
        // holds the last step's values anyway. Untouched pages stay out of the resident set until a step uses them:
        // the logits rows alone are max_batch_tokens × vocab floats (262 MB at a 128K vocabulary), of which decode
        // writes one row. Clearing them cost the Llama-3.2-1B config 260 MB of RSS and 0.7 s before its first token.
        var arena = Allocate(_plan.ActivationBytes, clear: false);
        foreach (var b in _plan.Buffers)
        {
            _buffers[b.Id] = b.Kind switch
            {
                BufferKind.Weight => (nint)file.SectionPointer(tensors[b.Tensor!].Section),
                BufferKind.Activation => arena + (nint)b.Offset,
                // A pool for several sequences (a server's) on huge pages; one sequence's (run, chat, eval) in small
                // pages, so its resident memory follows its tokens rather than 2 MB steps of every cache buffer.
                BufferKind.State => pool.MaxSequences > 1
                    ? Own((nint)HugePageMemory.Allocate(PlanShapes.Bytes(b, _bounds)))
                    : Allocate(PlanShapes.Bytes(b, _bounds), clear: false),
                _ => Allocate(PlanShapes.Bytes(b, _bounds)),
            };
        }

        _stepKernels = _plan.Steps.Select(s => _library[s.Kernel]).ToArray();
        _stepArgOffsets = new int[_plan.Steps.Count];
        var total = _plan.Steps.Sum(s => s.Args.Count);
        _args = (nint*)Allocate(Math.Max(1, total) * sizeof(nint));
        var offset = 0;
        for (var i = 0; i < _plan.Steps.Count; i++)
        {
            _stepArgOffsets[i] = offset;
            foreach (var a in _plan.Steps[i].Args) _args[offset++] = _buffers[a];
        }
        _dims = (int*)Allocate(PlanSymbols.Count * sizeof(int));
        _inputs = [.. PlanRoles.StepInputs.Select(role => _plan.Inputs[role])];
        _logits = _plan.Outputs[PlanRoles.Logits];
        _stepMilliseconds = new double[_plan.Steps.Count];
    }

    public int MaxSeq { get; }

    public int Context { get; }

    public int VocabSize { get; }

    public KvPoolSize Pool => _bounds.Pool;

    public bool CanProfileSteps => true;

    public bool ProfileSteps { get; set; }

    public ReadOnlySpan<double> StepMilliseconds => _stepMilliseconds;

    public ReadOnlySpan<float> Forward(StepBatch step)
    {
        _stepInputs.Check(step);
        for (var i = 0; i < _inputs.Length; i++)
        {
            var values = step.Input(PlanRoles.StepInputs[i]);
            values.CopyTo(new Span<int>((void*)_buffers[_inputs[i]], values.Length));
        }
        _bounds.Write(new Span<int>(_dims, PlanSymbols.Count), step.Rows, step.LogitRows.Length, step.BlockTables.Length);
        if (ProfileSteps) RunTimed();
        else
            for (var i = 0; i < _stepKernels.Length; i++) _pool.Run(_stepKernels[i], _args + _stepArgOffsets[i], _dims);
        return new ReadOnlySpan<float>((void*)_buffers[_logits], step.LogitRows.Length * VocabSize);
    }

    // Each launch returns when all workers are done, so wall time per launch is the step's time.
    private void RunTimed()
    {
        for (var i = 0; i < _stepKernels.Length; i++)
        {
            var start = System.Diagnostics.Stopwatch.GetTimestamp();
            _pool.Run(_stepKernels[i], _args + _stepArgOffsets[i], _dims);
            _stepMilliseconds[i] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
    }

    public void Dispose()
    {
        _pool.Dispose();
        foreach (var p in _owned) NativeMemory.AlignedFree((void*)p);
        _owned.Clear();
    }

    private nint Allocate(long bytes, bool clear = true)
    {
        var p = (nint)NativeMemory.AlignedAlloc((nuint)Math.Max(bytes, 1), Alignment);
        if (clear) NativeMemory.Clear((void*)p, (nuint)Math.Max(bytes, 1));
        return Own(p);
    }

    private nint Own(nint memory)
    {
        _owned.Add(memory);
        return memory;
    }
}
