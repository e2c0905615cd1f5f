using System.Runtime.InteropServices;
using Llmc.Runtime.Benchmarking;
using Llmc.Runtime.Format;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Devices.Cuda;

/// <summary>
/// Executes a plan on a GPU through the CUDA driver. Weights are uploaded once; activations share one arena;
/// inputs, KV caches and logits have their own buffers. A step is a sequence of kernel launches on one stream
/// between an upload of the step's inputs and a download of its logits through page-locked host memory.
/// Decode steps (a token and a logit row per sequence) are captured into a CUDA graph per batch size on first use
/// and replayed, so a step costs one graph launch instead of one launch per kernel. With the engine's sampling kernel (<see cref="IDeviceSampler"/>)
/// the step ends with it on the same stream (in its own decode graph) and only the token ids, one per logit row, come down.
/// </summary>
public sealed unsafe class CudaExecutor : IModelExecutor, IDeviceBandwidthProbe, IDeviceSampler, IStepProfiler
{
    private const uint NonBlockingStream = 1;
    private const int CaptureThreadLocal = 1;

    private readonly CudaDevice _device;
    private readonly CudaModule _module;
    private readonly List<ulong> _allocations = [];
    private readonly nint _stream;
    private readonly ulong[] _buffers;
    private readonly StepCode<CudaStepLaunch>[] _steps;
    private readonly byte* _launchStorage;
    private readonly int* _hostInputs;
    private readonly float* _hostLogits;
    private readonly int _logits;
    // Each step input's buffer and its page-locked staging, in PlanRoles.StepInputs order.
    private readonly (int Buffer, nint Host)[] _inputs;
    // The plan symbol (PlanSymbols index) that counts each step input's values.
    private readonly int[] _inputCounts;
    private readonly SymbolBounds _bounds;
    private readonly StepInputs _stepInputs;
    // The decode graphs per batch size: for steps whose every row is a logit row (a decode step, a row per sequence) of
    // that many rows, ending with the logits copy or with the sampling kernel and the tokens' copy; captured on first use.
    private readonly Dictionary<(int Rows, bool Sample), (nint Graph, nint Exec)> _decodeGraphs = [];
    private readonly CudaStepLaunch? _sampling;
    private readonly ulong _samplingParameters, _sampledTokens;
    // Page-locked: the sampling parameter words of MaxSampledRows rows, then as many sampled tokens.
    private readonly uint* _hostSampling;
    private readonly SamplingParameterBlock _parameterBlock;
    private readonly double[] _stepMilliseconds;
    private CudaStepTimer? _timer;
    private bool _disposed;

    /// <param name="pool">The KV pool's size; null for the default (<see cref="KvPoolOptions"/>).</param>
    public CudaExecutor(EngineFile file, KvPoolOptions? pool = null, bool batchInvariant = false)
    {
        var manifest = file.Manifest;
        var plan = manifest.Plan;
        MaxSeq = plan.MaxSeq;
        Context = plan.Context;
        VocabSize = manifest.Model.VocabSize;
        _bounds = (pool ?? new KvPoolOptions()).Resolve(plan);
        _stepInputs = new StepInputs(_bounds, Context, VocabSize);
        _device = CudaDevice.Open();
        try
        {
            var code = CudaCodeChoice.Pick(CudaCodeChoice.Available(manifest.Kernels), _device.Architecture, _device.Name);
            _module = CudaModule.Load(file.Section(code.Section), code.Format, code.Section);
            CudaResult.Check(CudaNative.cuStreamCreate(out _stream, NonBlockingStream), "cuStreamCreate");

            _buffers = AllocateBuffers(file, plan);
            var kernels = manifest.Kernels.Where(k => k.Section == code.Section).GroupBy(k => k.Name, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => StepCode.Of([.. g], entries => entries[0], batchInvariant), StringComparer.Ordinal);
            // Each step may launch either of two codes: parameter storage for both.
            _launchStorage = (byte*)NativeMemory.AllocZeroed((nuint)(2 * plan.Steps.Sum(s => CudaStepLaunch.StorageBytes(s.Args.Count)) + CudaStepLaunch.StorageBytes(SamplingKernelAbi.Arguments)));
            _steps = new StepCode<CudaStepLaunch>[plan.Steps.Count];
            _stepMilliseconds = new double[plan.Steps.Count];
            var storage = _launchStorage;
            for (var i = 0; i < _steps.Length; i++)
            {
                var step = plan.Steps[i];
                var kernel = kernels.TryGetValue(step.Kernel, out var k) ? k : throw new LlmcException($"the engine has no CUDA kernel '{step.Kernel}' in section '{code.Section}'");
                _steps[i] = kernel.Select(entry =>
                {
                    var launch = entry.Launch ?? throw new LlmcException($"CUDA kernel '{entry.Name}' has no launch geometry");
                    var stepLaunch = new CudaStepLaunch(entry.Name, _module.Function(entry.Entry), launch, [.. step.Args.Select(a => _buffers[a])], storage);
                    storage += CudaStepLaunch.StorageBytes(step.Args.Count);
                    return stepLaunch;
                });
            }

            _logits = plan.Outputs[PlanRoles.Logits];
            var capacities = PlanRoles.StepInputs.Select(role => PlanShapes.Bytes(plan.Buffers[plan.Inputs[role]], _bounds) / sizeof(int)).ToArray();
            _hostInputs = (int*)_device.AllocateHost(capacities.Sum() * sizeof(int), "the step inputs");
            var at = _hostInputs;
            _inputCounts = [.. PlanRoles.StepInputs.Select(role => PlanSymbols.IndexOf(plan.Buffers[plan.Inputs[role]].Shape.Single()))];
            _inputs = new (int, nint)[capacities.Length];
            for (var i = 0; i < capacities.Length; i++)
            {
                _inputs[i] = (plan.Inputs[PlanRoles.StepInputs[i]], (nint)at);
                at += capacities[i];
            }
            _hostLogits = (float*)_device.AllocateHost((long)MaxSeq * VocabSize * sizeof(float), "the logits");
            _parameterBlock = new SamplingParameterBlock(VocabSize);
            if (kernels.Values.Select(k => k.Any).FirstOrDefault(k => k.Template == SamplingKernelAbi.Template && k.Launch is not null) is { } sampler)
            {
                MaxSampledRows = SamplingKernelAbi.SampledRows(sampler.Launch!, MaxSeq);
                _samplingParameters = Allocate((long)MaxSampledRows * SamplingKernelAbi.ParameterWords * sizeof(uint), "the sampling parameters");
                _sampledTokens = Allocate(MaxSampledRows * sizeof(int), "the sampled tokens");
                _hostSampling = (uint*)_device.AllocateHost((long)MaxSampledRows * (SamplingKernelAbi.ParameterWords + 1) * sizeof(uint), "the sampling parameters");
                _sampling = new CudaStepLaunch(sampler.Name, _module.Function(sampler.Entry), sampler.Launch!, [_buffers[_logits], _samplingParameters, _sampledTokens], storage);
            }
            Synchronize();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int MaxSeq { get; }

    public int Context { get; }

    public int VocabSize { get; }

    public KvPoolSize Pool => _bounds.Pool;

    /// <summary>The memory bandwidth of the GPU the plan runs on (<see cref="CudaBandwidthProbe"/>).</summary>
    public BandwidthMeasurement MeasureDeviceBandwidth(int trials) => CudaBandwidthProbe.Measure(_device, trials);

    public bool CanProfileSteps => true;

    /// <summary>Whether forward runs time each plan step with events (bypassing the decode graphs, so each launch is seen).</summary>
    public bool ProfileSteps { get; set; }

    public ReadOnlySpan<double> StepMilliseconds => _stepMilliseconds;

    public ReadOnlySpan<float> Forward(StepBatch step)
    {
        Run(step, sample: false);
        return new ReadOnlySpan<float>(_hostLogits, step.LogitRows.Length * VocabSize);
    }

    /// <summary>Whether the engine has a sampling kernel and it can follow <paramref name="options"/>.</summary>
    public bool CanSample(SamplingOptions options) => _sampling is not null && SamplingParameterBlock.Fits(options);

    public int MaxSampledRows { get; }

    public void ForwardAndSample(StepBatch step, ReadOnlySpan<DeviceSampling> rows, Span<int> tokens)
    {
        if (_sampling is null)
            throw new LlmcException(SamplingKernelAbi.MissingKernel);
        DeviceSampling.Check(step, rows.Length, tokens.Length, MaxSampledRows);
        _parameterBlock.Write(new Span<uint>(_hostSampling, rows.Length * SamplingKernelAbi.ParameterWords), rows);
        Run(step, sample: true);
        new ReadOnlySpan<int>(SampledTokens, rows.Length).CopyTo(tokens);
    }

    /// <summary>Where the sampled tokens come back in the page-locked sampling memory, after every row's parameter words.</summary>
    private int* SampledTokens => (int*)(_hostSampling + (long)MaxSampledRows * SamplingKernelAbi.ParameterWords);

    /// <summary>One step on the stream, from the decode graph of its size where one fits (<see cref="FitsDecodeGraph"/>); waits for it.</summary>
    private void Run(StepBatch step, bool sample)
    {
        _stepInputs.Check(step);
        _device.MakeCurrent();
        for (var i = 0; i < _inputs.Length; i++)
        {
            var values = step.Input(PlanRoles.StepInputs[i]);
            values.CopyTo(new Span<int>((int*)_inputs[i].Host, values.Length));
        }
        if (FitsDecodeGraph(step))
            CudaResult.Check(CudaNative.cuGraphLaunch(DecodeGraph(step.Rows, sample), _stream), "cuGraphLaunch");
        else
            Enqueue(step.Rows, step.LogitRows.Length, step.BlockTables.Length, sample);
        Synchronize();
        if (ProfileSteps) _timer!.Read(_stepMilliseconds);
    }

    /// <summary>Block table entries of one sequence of the whole context.</summary>
    private int SequenceTable => Context / _bounds.Pool.BlockSize;

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        // Freeing acts on the current context, and the engine may be disposed from another thread than it ran on.
        CudaNative.cuCtxSetCurrent(_device.Context);
        foreach (var (graph, exec) in _decodeGraphs.Values)
        {
            CudaNative.cuGraphExecDestroy(exec);
            CudaNative.cuGraphDestroy(graph);
        }
        _decodeGraphs.Clear();
        _timer?.Dispose();
        if (_stream != 0) CudaNative.cuStreamDestroy(_stream);
        foreach (var pointer in _allocations) CudaNative.cuMemFree(pointer);
        _allocations.Clear();
        if (_hostInputs != null) CudaNative.cuMemFreeHost(_hostInputs);
        if (_hostLogits != null) CudaNative.cuMemFreeHost(_hostLogits);
        if (_hostSampling != null) CudaNative.cuMemFreeHost(_hostSampling);
        _module?.Dispose();
        if (_launchStorage != null) NativeMemory.Free(_launchStorage);
        _device.Dispose();
    }

    // One step: inputs up, every kernel, then logits down or the sampling parameters up, the sampling kernel and the tokens
    // down, all on the stream; the same calls are what the decode graphs record.
    private void Enqueue(int seq, int outRows, int tableEntries, bool sample)
    {
        Span<int> dims = stackalloc int[PlanSymbols.Count];
        _bounds.Write(dims, seq, outRows, tableEntries);
        // Each input's count is the symbol its shape is sized by: seq, out or kv_table.
        for (var i = 0; i < _inputs.Length; i++) Upload(i, dims[_inputCounts[i]]);
        if (ProfileSteps)
        {
            _timer ??= new CudaStepTimer(_steps.Length);
            for (var i = 0; i < _steps.Length; i++)
            {
                _timer.Mark(i, _stream);
                _steps[i].For(seq).Enqueue(_stream, dims);
            }
            _timer.Mark(_steps.Length, _stream);
        }
        else
            foreach (var step in _steps) step.For(seq).Enqueue(_stream, dims);
        if (sample)
        {
            CudaResult.Check(CudaNative.cuMemcpyHtoDAsync(_samplingParameters, _hostSampling, (nuint)(outRows * SamplingKernelAbi.ParameterWords * sizeof(uint)), _stream), "cuMemcpyHtoDAsync");
            _sampling!.Enqueue(_stream, dims);
            CudaResult.Check(CudaNative.cuMemcpyDtoHAsync(SampledTokens, _sampledTokens, (nuint)(outRows * sizeof(int)), _stream), "cuMemcpyDtoHAsync");
        }
        else if (outRows > 0)
            CudaResult.Check(CudaNative.cuMemcpyDtoHAsync(_hostLogits, _buffers[_logits], (nuint)((long)outRows * VocabSize * sizeof(float)), _stream), "cuMemcpyDtoHAsync");
    }

    /// <summary>Copies the first <paramref name="count"/> ints of step input <paramref name="input"/> (in PlanRoles.StepInputs order) up.</summary>
    private void Upload(int input, int count)
    {
        var (buffer, host) = _inputs[input];
        if (count > 0) CudaResult.Check(CudaNative.cuMemcpyHtoDAsync(_buffers[buffer], (void*)host, (nuint)(count * sizeof(int)), _stream), "cuMemcpyHtoDAsync");
    }

    /// <summary>
    /// Whether a decode graph serves <paramref name="step"/>: every row a logit row (so at most one row per sequence of a
    /// generation), at most one whole sequence's table per row, and no per-launch timing wanted.
    /// </summary>
    private bool FitsDecodeGraph(StepBatch step) =>
        !ProfileSteps && step.Rows == step.LogitRows.Length && step.Rows <= _bounds.TableEntries / SequenceTable
        && step.BlockTables.Length <= step.Rows * SequenceTable;

    /// <summary>
    /// The executable graph of decode steps of <paramref name="rows"/> rows, captured on first use. It uploads
    /// <paramref name="rows"/> whole sequences' tables from the staging memory, so it serves every step that fits
    /// (<see cref="FitsDecodeGraph"/>), whatever its positions; its copies read the staging memory when replayed.
    /// </summary>
    private nint DecodeGraph(int rows, bool sample)
    {
        if (_decodeGraphs.TryGetValue((rows, sample), out var captured)) return captured.Exec;
        CudaResult.Check(CudaNative.cuStreamBeginCapture(_stream, CaptureThreadLocal), "cuStreamBeginCapture");
        nint graph;
        try
        {
            Enqueue(rows, rows, rows * SequenceTable, sample);
        }
        finally
        {
            CudaResult.Check(CudaNative.cuStreamEndCapture(_stream, out graph), "cuStreamEndCapture");
        }
        CudaResult.Check(CudaNative.cuGraphInstantiateWithFlags(out var exec, graph, 0), "cuGraphInstantiate");
        _decodeGraphs[(rows, sample)] = (graph, exec);
        return exec;
    }

    private void Synchronize() => CudaResult.Check(CudaNative.cuStreamSynchronize(_stream), "cuStreamSynchronize");

    private ulong[] AllocateBuffers(EngineFile file, ExecutionPlan plan)
    {
        var arena = Allocate(plan.ActivationBytes, "the activation arena");
        return PlanBufferPlacement.Place(file, _bounds,
            b => arena + (ulong)b.Offset,
            (section, b) => Upload(file.Section(section), $"weight {b.Tensor}"),
            (b, bytes) =>
            {
                var own = Allocate(bytes, $"{b.Kind.ToString().ToLowerInvariant()} {b.Name}");
                // The KV caches start as zeros, like the CPU's; inputs are overwritten before every step.
                CudaResult.Check(CudaNative.cuMemsetD32Async(own, 0, (nuint)((bytes + 3) / 4), _stream), "cuMemsetD32Async");
                return own;
            });
    }

    private ulong Upload(ReadOnlySpan<byte> bytes, string what)
    {
        var pointer = Allocate(bytes.Length, what);
        fixed (byte* source = bytes) CudaResult.Check(CudaNative.cuMemcpyHtoD(pointer, source, (nuint)bytes.Length), "cuMemcpyHtoD");
        return pointer;
    }

    private ulong Allocate(long bytes, string what)
    {
        var pointer = _device.Allocate(bytes, what);
        _allocations.Add(pointer);
        return pointer;
    }
}
