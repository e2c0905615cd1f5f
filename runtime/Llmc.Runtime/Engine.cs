using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Llmc.Runtime.Devices;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Runtime.Devices.Vulkan;
using Llmc.Runtime.Format;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Plan;
using Llmc.Runtime.Scheduling;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime;

/// <summary>
/// A loaded engine file, ready to generate: <c>using var engine = Engine.Load(path);
/// await foreach (var piece in engine.GenerateAsync(prompt, options, ct)) ...</c>.
/// Concurrent calls are batched: every running request's rows share each forward step (<see cref="BatchScheduler"/>),
/// over a paged KV cache with prefix reuse.
/// </summary>
public sealed class Engine : IDisposable
{
    private readonly EngineFile _file;
    private readonly IModelExecutor _executor;
    private readonly BatchScheduler _scheduler;

    private Engine(string path, EngineFile file, IModelExecutor executor, EngineOptions options)
    {
        Path = path;
        _file = file;
        _executor = executor;
        Tokenizer = new Tokenizer(file.ReadTokenizer());
        var gen = file.Manifest.Generation;
        MaxSequences = options.KvPool.MaxSequences;
        _scheduler = new BatchScheduler(executor, Tokenizer, gen.EosIds, gen.StopStrings, MaxSequences, options.Scheduler);
    }

    public string Path { get; }

    public EngineManifest Manifest => _file.Manifest;

    public Tokenizer Tokenizer { get; }

    public int Context => _executor.Context;

    /// <summary>The most sequences that run at once; more wait in the scheduler's queue.</summary>
    public int MaxSequences { get; }

    /// <summary>The KV pool this engine was loaded with.</summary>
    public KvPoolSize KvPool => _executor.Pool;

    /// <summary>Running and waiting sequences, KV blocks and prefix-cache counts, now.</summary>
    public SchedulerSnapshot Scheduler => _scheduler.Snapshot();

    /// <summary>Whether new requests reuse and fill the prefix cache (on unless the engine was loaded without it).</summary>
    public bool PrefixCaching
    {
        get => _scheduler.PrefixCaching;
        set => _scheduler.PrefixCaching = value;
    }

    /// <summary>Starts <see cref="SchedulerSnapshot.PeakBlocksInUse"/> again from the blocks held now (benchmarks report a peak per run).</summary>
    public void ResetPeakKvBlocks() => _scheduler.ResetPeak();

    /// <summary>Per-step device timing, where the executor offers it (GPU timestamps).</summary>
    public IStepProfiler? StepProfiler => _executor as IStepProfiler;

    /// <summary>A probe of the device memory the weights live in, where the executor runs on a GPU; null for the CPU (host DRAM).</summary>
    public IDeviceBandwidthProbe? BandwidthProbe => _executor as IDeviceBandwidthProbe;

    /// <summary>Opens, checks and prepares an engine for this machine.</summary>
    /// <param name="threads">CPU worker threads; defaults to all cores.</param>
    /// <param name="device">GPU index (as <c>llmc devices</c> lists them) for GPU engines; defaults to the best one.</param>
    public static Engine Load(string path, int? threads = null, int? device = null) =>
        Load(path, new EngineOptions { Threads = threads, Device = device });

    /// <summary>Opens, checks and prepares an engine for this machine with a KV pool and scheduling of <paramref name="options"/>.</summary>
    public static Engine Load(string path, EngineOptions options)
    {
        var file = EngineFile.Open(path);
        IModelExecutor? executor = null;
        try
        {
            TensorSectionCheck.Verify(file);
            executor = CreateExecutor(path, file, options);
            return new Engine(path, file, executor, options);
        }
        catch
        {
            executor?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>Default sampling for this engine, from its generation defaults.</summary>
    public SamplingOptions DefaultSampling => new()
    {
        Temperature = Manifest.Generation.Temperature,
        TopP = Manifest.Generation.TopP,
        TopK = Manifest.Generation.TopK,
    };

    public int[] Encode(string prompt, bool? addBos = null) => Tokenizer.Encode(prompt, addBos ?? Manifest.Generation.AddBos);

    /// <summary>
    /// Generates from token ids, calling <paramref name="onPiece"/> with text as it is produced (on the scheduler's
    /// thread: keep it short, every running request waits for it).
    /// </summary>
    public GenerationResult Generate(int[] prompt, GenerationOptions options, Action<string>? onPiece = null, CancellationToken cancel = default) =>
        GenerateTokensAsync(prompt, options, onPiece, cancel).GetAwaiter().GetResult();

    public GenerationResult Generate(string prompt, GenerationOptions options, Action<string>? onPiece = null, CancellationToken cancel = default) =>
        Generate(Encode(prompt, options.AddBos), options, onPiece, cancel);

    /// <summary>Queues a generation from token ids with the other running requests; the task ends with its result.</summary>
    public Task<GenerationResult> GenerateTokensAsync(int[] prompt, GenerationOptions options, Action<string>? onPiece = null, CancellationToken cancel = default) =>
        Submit(prompt, options, onPiece is null ? null : update => onPiece(update.Piece!), cancel);

    /// <summary>
    /// Queues a generation from token ids, calling <paramref name="onUpdate"/> with each piece of text and its tokens'
    /// log-probabilities (when the options ask for them) on the scheduler's thread. A request the engine cannot run
    /// (an empty or too long prompt, ids outside the vocabulary) throws <see cref="LlmcException"/> here, before it queues.
    /// </summary>
    public Task<GenerationResult> Submit(int[] prompt, GenerationOptions options, Action<GenerationUpdate>? onUpdate, CancellationToken cancel = default) =>
        _scheduler.Submit(prompt, options, onUpdate, cancel);

    /// <summary>Streams the generated text piece by piece.</summary>
    public async IAsyncEnumerable<string> GenerateAsync(string prompt, GenerationOptions? options = null, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        options ??= new GenerationOptions();
        await foreach (var update in StreamAsync(Encode(prompt, options.AddBos), options, cancel).ConfigureAwait(false))
            if (update.Piece is { } piece) yield return piece;
    }

    /// <summary>
    /// Generates from token ids with the other running requests, streaming each piece of text (with its tokens'
    /// log-probabilities when the options ask for them) as it is produced and, last, the result (finish reason, token
    /// counts, timings).
    /// </summary>
    public async IAsyncEnumerable<GenerationUpdate> StreamAsync(int[] prompt, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        var channel = Channel.CreateUnbounded<GenerationUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var run = Submit(prompt, options, update => channel.Writer.TryWrite(update), cancel);
        _ = run.ContinueWith(t => channel.Writer.Complete(t.Exception?.InnerException), TaskScheduler.Default);
        await foreach (var update in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            yield return update;
        yield return new GenerationUpdate(null, await run.ConfigureAwait(false));
    }

    /// <summary>Logits for every position of <paramref name="tokens"/> fed from position 0, row-major [tokens, vocab].</summary>
    public float[] Logits(ReadOnlySpan<int> tokens) => _scheduler.Logits(tokens.ToArray()).GetAwaiter().GetResult();

    public void Dispose()
    {
        _scheduler.Dispose();
        _executor.Dispose();
        _file.Dispose();
    }

    private static IModelExecutor CreateExecutor(string path, EngineFile file, EngineOptions options)
    {
        var target = file.Manifest.Target;
        if (CudaKernelAbi.IsCudaTarget(target)) return new CudaExecutor(file, options.KvPool, options.BatchInvariant);
        if (target == VulkanExecutor.Target) return new VulkanExecutor(file, options.Device, kvPool: options.KvPool, batchInvariant: options.BatchInvariant);
        if (!target.StartsWith("cpu-", StringComparison.Ordinal))
            throw new ModelFileException(path, $"engine is for target '{target}', which this runtime cannot run (it runs cpu-avx2, cpu-avx512, cuda-sm*, vulkan)");
        if (CpuIsa.Missing(target) is string missing) throw new ModelFileException(path, missing);
        return new CpuExecutor(file, options.Threads ?? Environment.ProcessorCount, options.KvPool);
    }
}
