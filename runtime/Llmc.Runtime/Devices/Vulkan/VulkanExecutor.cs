using Llmc.Runtime.Benchmarking;
using Llmc.Runtime.Format;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>
/// Executes a plan with an engine's SPIR-V kernels on a Vulkan device. At load: weights are uploaded once into device-local
/// buffers, the activation arena, inputs and KV caches are allocated on the device, one pipeline is built per kernel and one
/// descriptor set per step. Per forward: one command buffer copies the inputs in, dispatches every step with barriers only
/// where steps depend on each other, copies the logits out; one submission, one fence wait. With the engine's sampling kernel
/// (<see cref="IDeviceSampler"/>), the same submission samples every logit row instead and only the token ids come back.
/// </summary>
public sealed unsafe class VulkanExecutor : IModelExecutor, IStepProfiler, IDeviceBandwidthProbe, IDeviceSampler
{
    /// <summary>The target name engines for this executor carry.</summary>
    public const string Target = "vulkan";

    /// <summary>The kernel code format in the kernel table.</summary>
    public const string CodeFormat = "spirv";

    private readonly Stack<IDisposable> _owned = new();
    private readonly VulkanDevice _device;
    private readonly VulkanBinding[] _bindings;
    private readonly (StepCode<VulkanKernel> Kernel, ulong Set)[] _steps;
    private readonly bool[] _barrierBefore;
    private readonly VulkanCommandBuffer _commands;
    private readonly (int Buffer, long StagingOffset)[] _inputs;
    private readonly VulkanBuffer _inputStaging;
    private readonly VulkanBuffer _readback;
    private readonly VulkanBinding _logits;
    private readonly VulkanTimestamps? _timestamps;
    private readonly double[] _stepMilliseconds;
    private readonly (VulkanKernel Kernel, ulong Set)? _sampling;
    private readonly VulkanBuffer? _samplingParameters;
    private readonly VulkanBuffer? _sampledTokens;
    private readonly SamplingParameterBlock _parameterBlock;
    private readonly SymbolBounds _bounds;
    private readonly StepInputs _stepInputs;
    private readonly int[] _dims = new int[PlanSymbols.Count];

    /// <param name="deviceIndex">The device's index in <c>llmc devices</c>; null chooses as <see cref="VulkanInstance.Select"/> does.</param>
    /// <param name="plainOnly">Whether every kernel runs its plain variant; null reads <see cref="VulkanKernelVariants.PlainVariable"/>.</param>
    /// <param name="kvPool">The KV pool's size; null for the default (<see cref="KvPoolOptions"/>).</param>
    public VulkanExecutor(EngineFile file, int? deviceIndex = null, bool? plainOnly = null, KvPoolOptions? kvPool = null, bool batchInvariant = false)
    {
        var manifest = file.Manifest;
        var plan = manifest.Plan;
        MaxSeq = plan.MaxSeq;
        Context = plan.Context;
        VocabSize = manifest.Model.VocabSize;
        _bounds = (kvPool ?? new KvPoolOptions()).Resolve(plan);
        _stepInputs = new StepInputs(_bounds, Context, VocabSize);
        try
        {
            var instance = Own(VulkanInstance.Create());
            var physical = instance.Select(deviceIndex);
            var kernels = KernelsOf(file, physical, plainOnly ?? VulkanKernelVariants.PlainForced, batchInvariant);
            SubgroupKernels = kernels.Values.Count(k => VulkanKernelVariants.IsSubgroup(k.Any.Section));
            var sampling = SamplingKernelOf(file, physical, plainOnly ?? VulkanKernelVariants.PlainForced);
            var entries = kernels.Values.SelectMany(k => k.All).ToList();
            var features = CheckDevice(file, sampling is null ? entries : [.. entries, sampling], physical);
            _device = Own(VulkanDevice.Create(physical, features));
            CheckMemory(file, physical, _bounds);

            _bindings = AllocateAndUpload(file);
            var pipelines = CreatePipelines(file, entries);
            var pool = Own(new VulkanDescriptorPool(_device, plan.Steps.Count + 1, plan.Steps.Sum(s => s.Args.Count) + SamplingKernelAbi.Arguments));
            // One descriptor set serves both codes of a step: their set layouts are defined alike (one storage buffer per argument).
            _steps = [.. plan.Steps.Select(s => kernels[s.Kernel].Select(k => pipelines[k]))
                .Select((code, i) => (code, pool.Allocate(code.Any, [.. plan.Steps[i].Args.Select(a => _bindings[a])])))];
            _barrierBefore = StepBarriers.Plan(plan, manifest.Kernels.DistinctBy(k => k.Name).ToDictionary(k => k.Name, k => k.Template));

            var staged = 0L;
            _inputs = [.. PlanRoles.StepInputs.Select(role =>
            {
                var at = staged;
                staged += ActivationArena.AlignUp(PlanShapes.Bytes(plan.Buffers[plan.Inputs[role]], _bounds));
                return (plan.Inputs[role], at);
            })];
            _inputStaging = Own(VulkanBuffer.Create(_device, staged, BufferPlacement.Upload, "the input staging buffer"));
            _logits = _bindings[plan.Outputs[PlanRoles.Logits]];
            _readback = Own(VulkanBuffer.Create(_device, (long)MaxSeq * VocabSize * sizeof(float), BufferPlacement.Readback, "the logits readback buffer"));
            _parameterBlock = new SamplingParameterBlock(VocabSize);
            if (sampling is not null)
            {
                // The kernel reads its parameters from and writes the token into host-visible memory: a few words per token.
                var kernel = Own(VulkanKernel.Create(_device, sampling.Name, file.Section(sampling.Section), sampling.Launch!, SamplingKernelAbi.Arguments, sampling.Entry));
                MaxSampledRows = SamplingKernelAbi.SampledRows(sampling.Launch!, MaxSeq);
                _samplingParameters = Own(VulkanBuffer.Create(_device, (long)MaxSampledRows * SamplingKernelAbi.ParameterWords * sizeof(uint), BufferPlacement.Upload, "the sampling parameters"));
                _sampledTokens = Own(VulkanBuffer.Create(_device, MaxSampledRows * sizeof(int), BufferPlacement.Readback, "the sampled tokens"));
                _sampling = (kernel, pool.Allocate(kernel, [_logits, new VulkanBinding(_samplingParameters, 0, _samplingParameters.Bytes), new VulkanBinding(_sampledTokens, 0, _sampledTokens.Bytes)]));
            }
            _commands = Own(_device.CreateCommandBuffer());
            if (VulkanTimestamps.IsSupported(physical)) _timestamps = Own(new VulkanTimestamps(_device, plan.Steps.Count));
            _stepMilliseconds = new double[plan.Steps.Count];
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

    /// <summary>The device the plan runs on.</summary>
    public VulkanPhysicalDevice Device => _device.Physical;

    /// <summary>How many of the plan's kernels run their subgroup variant (<see cref="VulkanKernelVariants"/>).</summary>
    public int SubgroupKernels { get; }

    /// <summary>Whether forward steps record GPU timestamps per plan step (only where the queue supports them).</summary>
    public bool ProfileSteps { get; set; }

    public bool CanProfileSteps => _timestamps is not null;

    /// <summary>GPU milliseconds of each plan step in the last forward run with <see cref="ProfileSteps"/> on.</summary>
    public ReadOnlySpan<double> StepMilliseconds => _stepMilliseconds;

    /// <summary>The device-local memory bandwidth of the device the plan runs on (<see cref="VulkanBandwidthProbe"/>).</summary>
    public BandwidthMeasurement MeasureDeviceBandwidth(int trials) => VulkanBandwidthProbe.Measure(_device, trials);

    public ReadOnlySpan<float> Forward(StepBatch step)
    {
        var rows = step.LogitRows.Length;
        RecordSteps(step);
        _commands.KernelsToCopies();
        _commands.Copy(_logits.Buffer, _logits.Offset, _readback, 0, (long)rows * VocabSize * sizeof(float));
        Submit();
        return new ReadOnlySpan<float>(_readback.Mapped, rows * VocabSize);
    }

    /// <summary>Whether the engine has a sampling kernel and it can follow <paramref name="options"/>.</summary>
    public bool CanSample(SamplingOptions options) => _sampling is not null && SamplingParameterBlock.Fits(options);

    public int MaxSampledRows { get; }

    public void ForwardAndSample(StepBatch step, ReadOnlySpan<DeviceSampling> rows, Span<int> tokens)
    {
        if (_sampling is not { } sampling)
            throw new LlmcException(SamplingKernelAbi.MissingKernel);
        DeviceSampling.Check(step, rows.Length, tokens.Length, MaxSampledRows);
        _parameterBlock.Write(new Span<uint>(_samplingParameters!.Mapped, rows.Length * SamplingKernelAbi.ParameterWords), rows);
        RecordSteps(step);
        _commands.BetweenKernels();
        _commands.Dispatch(sampling.Kernel, sampling.Set, _dims);
        Submit();
        new ReadOnlySpan<int>(_sampledTokens!.Mapped, rows.Length).CopyTo(tokens);
    }

    /// <summary>Starts the command buffer: the inputs' copies, then every plan step with the barriers the plan needs.</summary>
    private void RecordSteps(StepBatch step)
    {
        _stepInputs.Check(step);
        _bounds.Write(_dims, step.Rows, step.LogitRows.Length, step.BlockTables.Length);
        var profile = ProfileSteps && _timestamps is not null;

        _commands.Begin();
        for (var i = 0; i < _inputs.Length; i++) StageInput(i, step.Input(PlanRoles.StepInputs[i]));
        _commands.BeforeKernels();
        if (profile) _timestamps!.Start(_commands);
        for (var i = 0; i < _steps.Length; i++)
        {
            if (_barrierBefore[i]) _commands.BetweenKernels();
            _commands.Dispatch(_steps[i].Kernel.For(step.Rows), _steps[i].Set, _dims);
            if (profile) _timestamps!.AfterStep(_commands, i);
        }
    }

    /// <summary>Ends the command buffer with the barrier to the host, submits it and waits; reads the step times when profiling.</summary>
    private void Submit()
    {
        _commands.ToHost();
        _commands.End();
        _device.SubmitAndWait(_commands, "a forward step");
        if (ProfileSteps && _timestamps is not null) _timestamps.Read(_stepMilliseconds);
    }

    public void Dispose()
    {
        // Owned objects go in reverse order of creation: pipelines and buffers before the device, the device before the instance.
        while (_owned.TryPop(out var owned)) owned.Dispose();
    }

    /// <summary>Writes an input into its staging slot and records its copy into the input's device buffer.</summary>
    private void StageInput(int input, ReadOnlySpan<int> values)
    {
        var (buffer, stagingOffset) = _inputs[input];
        if (values.IsEmpty) return;
        values.CopyTo(new Span<int>(_inputStaging.Mapped + stagingOffset, values.Length));
        _commands.Copy(_inputStaging, stagingOffset, _bindings[buffer].Buffer, _bindings[buffer].Offset, values.Length * sizeof(int));
    }

    private T Own<T>(T disposable) where T : IDisposable
    {
        _owned.Push(disposable);
        return disposable;
    }

    /// <summary>
    /// The kernel table entries each kernel the plan runs uses on this device, for any step and for many rows where the
    /// kernel has a many-rows variant (each chosen by <see cref="VulkanKernelVariants"/>); an engine without SPIR-V for
    /// one is refused by name.
    /// </summary>
    private static Dictionary<string, StepCode<KernelEntry>> KernelsOf(EngineFile file, VulkanPhysicalDevice device, bool plainOnly, bool batchInvariant)
    {
        var table = file.Manifest.Kernels.GroupBy(k => k.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
        var used = new Dictionary<string, StepCode<KernelEntry>>(StringComparer.Ordinal);
        foreach (var step in file.Manifest.Plan.Steps)
        {
            if (used.ContainsKey(step.Kernel)) continue;
            if (!table.TryGetValue(step.Kernel, out var entries))
                throw new ModelFileException(file.Path, $"plan step '{step.Node}' runs kernel '{step.Kernel}', which the kernel table lacks");
            var vulkan = entries.Where(k => IsRunnable(file, k)).ToList();
            if (vulkan.Count == 0)
            {
                var k = entries[0];
                throw new ModelFileException(file.Path, $"kernel '{k.Name}' has no Vulkan code (format '{k.Format}', section '{k.Section}'{(file.HasSection(k.Section) ? "" : " missing")}{(k.Launch is null ? ", no launch geometry" : "")})");
            }
            used[step.Kernel] = StepCode.Of(vulkan, variants => VulkanKernelVariants.Choose(variants, device.Features, device.SubgroupSize, plainOnly), batchInvariant);
        }
        return used;
    }

    /// <summary>Whether this executor can load <paramref name="k"/>: SPIR-V with launch geometry, its section in the file.</summary>
    private static bool IsRunnable(EngineFile file, KernelEntry k) => k.Format == CodeFormat && k.Launch is not null && file.HasSection(k.Section);

    /// <summary>
    /// The engine's sampling kernel entry for this device (its variant chosen like the plan's kernels), or null for an engine
    /// built without one: such engines sample on the host.
    /// </summary>
    private static KernelEntry? SamplingKernelOf(EngineFile file, VulkanPhysicalDevice device, bool plainOnly)
    {
        var entries = file.Manifest.Kernels.Where(k => k.Template == SamplingKernelAbi.Template && IsRunnable(file, k)).ToList();
        return entries.Count == 0 ? null : VulkanKernelVariants.Choose(entries, device.Features, device.SubgroupSize, plainOnly);
    }

    /// <summary>The features the kernels need, checked against the device; a lacking device is refused naming feature and kernel.</summary>
    private static ShaderFeatures CheckDevice(EngineFile file, IEnumerable<KernelEntry> kernels, VulkanPhysicalDevice device)
    {
        var features = ShaderFeatures.None;
        foreach (var k in kernels)
        {
            var needs = SpirvRequirements.Of(file.Section(k.Section), k.Name);
            if (device.Lacks(needs, k.Name) is { } reason) throw new LlmcException($"{file.Path}: {reason}");
            features |= needs.Features;
        }
        // Subgroup operations need no enabling; only the feature bits a device must switch on are requested.
        return features & ~(ShaderFeatures.SubgroupBasic | ShaderFeatures.SubgroupVote | ShaderFeatures.SubgroupArithmetic | ShaderFeatures.SubgroupBallot
            | ShaderFeatures.SubgroupShuffle | ShaderFeatures.SubgroupShuffleRelative | ShaderFeatures.SubgroupClustered | ShaderFeatures.SubgroupQuad);
    }

    private static void CheckMemory(EngineFile file, VulkanPhysicalDevice device, SymbolBounds bounds)
    {
        var plan = file.Manifest.Plan;
        var sections = plan.Buffers.Where(b => b.Kind == BufferKind.Weight).Select(b => b.Tensor!).Distinct()
            .Sum(t => file.SectionLength(file.Manifest.Tensors.Single(e => e.Name == t).Section));
        var needed = sections + plan.ActivationBytes + plan.Buffers.Where(b => b.Kind is BufferKind.State or BufferKind.Input).Sum(b => PlanShapes.Bytes(b, bounds));
        if (device.DeviceLocalBytes > 0 && needed > device.DeviceLocalBytes)
            throw new LlmcException($"{file.Path}: out of device memory: the engine needs {needed >> 20} MiB on the device; Vulkan {device} has {device.DeviceLocalBytes >> 20} MiB");
    }

    private VulkanBinding[] AllocateAndUpload(EngineFile file)
    {
        var plan = file.Manifest.Plan;
        var tensors = file.Manifest.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        using var uploader = new VulkanUploader(_device, plan.Buffers.Where(b => b.Kind == BufferKind.Weight).Select(b => file.SectionLength(tensors[b.Tensor!].Section)).DefaultIfEmpty(4).Max());
        var arena = Own(VulkanBuffer.Create(_device, plan.ActivationBytes, BufferPlacement.Device, "the activation arena"));
        uploader.Zero(arena);
        var bindings = PlanBufferPlacement.Place(file, _bounds,
            b => new VulkanBinding(arena, b.Offset, PlanShapes.Bytes(b, MaxSeq)),
            (section, b) =>
            {
                var bytes = file.SectionLength(section);
                var weight = Own(VulkanBuffer.Create(_device, bytes, BufferPlacement.Device, $"weight '{b.Tensor}'"));
                uploader.Upload(file.SectionPointer(section), bytes, weight);
                return new VulkanBinding(weight, 0, bytes);
            },
            (b, bytes) =>
            {
                // Inputs and KV caches: their own device buffers, zeroed like the CPU's.
                var own = Own(VulkanBuffer.Create(_device, bytes, BufferPlacement.Device, $"{b.Kind.ToString().ToLowerInvariant()} '{b.Name}'"));
                uploader.Zero(own);
                return new VulkanBinding(own, 0, bytes);
            });
        uploader.Flush();
        return bindings;
    }

    /// <summary>One pipeline per kernel-table entry, checked against the device's workgroup-count limit at the plan's largest step.</summary>
    private Dictionary<KernelEntry, VulkanKernel> CreatePipelines(EngineFile file, IEnumerable<KernelEntry> kernels)
    {
        var physical = _device.Physical;
        var pipelines = new Dictionary<KernelEntry, VulkanKernel>(ReferenceEqualityComparer.Instance);
        Span<int> largest = stackalloc int[PlanSymbols.Count];
        _bounds.Write(largest, MaxSeq, MaxSeq, _bounds.TableEntries);
        foreach (var k in kernels)
        {
            var kernel = pipelines[k] = Own(VulkanKernel.Create(_device, k.Name, file.Section(k.Section), k.Launch!, ArgumentCount(file.Manifest.Plan, k.Name), k.Entry));
            if (kernel.GroupsY(largest) > physical.MaxWorkGroupCountY)
                throw new LlmcException($"kernel '{k.Name}' launches up to {kernel.GroupsY(largest)} workgroups along y; Vulkan {physical} allows at most {physical.MaxWorkGroupCountY}");
        }
        return pipelines;
    }

    private static int ArgumentCount(ExecutionPlan plan, string kernel)
    {
        var counts = plan.Steps.Where(s => s.Kernel == kernel).Select(s => s.Args.Count).Distinct().ToList();
        return counts.Count == 1 ? counts[0] : throw new LlmcException($"kernel '{kernel}' is called with {string.Join(" and ", counts)} arguments");
    }
}
