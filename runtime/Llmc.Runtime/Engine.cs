using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Llmc.Runtime.Devices;
using Llmc.Runtime.Devices.Cpu;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Runtime.Devices.Vulkan;
using Llmc.Runtime.Format;
using Llmc.Runtime.Generation;
using Llmc.Runtime.Plan;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime;

/// <summary>
/// A loaded engine file, ready to generate: <c>using var engine = Engine.Load(path);
/// await foreach (var piece in engine.GenerateAsync(prompt, options, ct)) ...</c>.
/// One generation runs at a time; concurrent calls wait their turn.
/// </summary>
public sealed class Engine : IDisposable
{
    private readonly EngineFile _file;
    private readonly IModelExecutor _executor;
    private readonly TokenGenerator _generator;
    private readonly SemaphoreSlim _turn = new(1, 1);

    private Engine(string path, EngineFile file, IModelExecutor executor)
    {
        Path = path;
        _file = file;
        _executor = executor;
        Tokenizer = new Tokenizer(file.ReadTokenizer());
        var gen = file.Manifest.Generation;
        _generator = new TokenGenerator(executor, Tokenizer, gen.EosIds, gen.StopStrings);
    }

    public string Path { get; }

    public EngineManifest Manifest => _file.Manifest;

    public Tokenizer Tokenizer { get; }

    public int Context => _executor.Context;

    /// <summary>Per-step device timing, where the executor offers it (GPU timestamps).</summary>
    public IStepProfiler? StepProfiler => _executor as IStepProfiler;

    /// <summary>A probe of the device memory the weights live in, where the executor runs on a GPU; null for the CPU (host DRAM).</summary>
    public IDeviceBandwidthProbe? BandwidthProbe => _executor as IDeviceBandwidthProbe;

    /// <summary>Opens, checks and prepares an engine for this machine.</summary>
    /// <param name="threads">CPU worker threads; defaults to all cores.</param>
    /// <param name="device">GPU index (as <c>llmc devices</c> lists them) for GPU engines; defaults to the best one.</param>
    public static Engine Load(string path, int? threads = null, int? device = null)
    {
        var file = EngineFile.Open(path);
        try
        {
            TensorSectionCheck.Verify(file);
            return new Engine(path, file, CreateExecutor(path, file, threads ?? Environment.ProcessorCount, device));
        }
        catch
        {
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

    /// <summary>Generates from token ids, calling <paramref name="onPiece"/> with text as it is produced.</summary>
    public GenerationResult Generate(int[] prompt, GenerationOptions options, Action<string>? onPiece = null, CancellationToken cancel = default)
    {
        _turn.Wait(cancel);
        try
        {
            return _generator.Generate(prompt, options, onPiece, cancel);
        }
        finally
        {
            _turn.Release();
        }
    }

    public GenerationResult Generate(string prompt, GenerationOptions options, Action<string>? onPiece = null, CancellationToken cancel = default) =>
        Generate(Encode(prompt, options.AddBos), options, onPiece, cancel);

    /// <summary>Streams the generated text piece by piece; the model runs on a worker thread.</summary>
    public async IAsyncEnumerable<string> GenerateAsync(string prompt, GenerationOptions? options = null, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        var channel = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var run = Task.Run(() =>
        {
            try
            {
                Generate(prompt, options ?? new GenerationOptions(), piece => channel.Writer.TryWrite(piece), cancel);
                channel.Writer.Complete();
            }
            catch (Exception e)
            {
                channel.Writer.Complete(e);
            }
        }, CancellationToken.None);
        await foreach (var piece in channel.Reader.ReadAllAsync(CancellationToken.None).ConfigureAwait(false))
            yield return piece;
        await run.ConfigureAwait(false);
    }

    /// <summary>Logits for every position of <paramref name="tokens"/> fed from position 0, row-major [tokens, vocab].</summary>
    public float[] Logits(ReadOnlySpan<int> tokens)
    {
        var result = new float[tokens.Length * _executor.VocabSize];
        _turn.Wait();
        try
        {
            _generator.AllLogits(tokens, result);
            return result;
        }
        finally
        {
            _turn.Release();
        }
    }

    public void Dispose()
    {
        _executor.Dispose();
        _file.Dispose();
        _turn.Dispose();
    }

    private static IModelExecutor CreateExecutor(string path, EngineFile file, int threads, int? device)
    {
        var target = file.Manifest.Target;
        var pool = new KvPoolOptions();
        if (CudaKernelAbi.IsCudaTarget(target)) return new CudaExecutor(file, pool);
        if (target == VulkanExecutor.Target) return new VulkanExecutor(file, device, kvPool: pool);
        if (!target.StartsWith("cpu-", StringComparison.Ordinal))
            throw new ModelFileException(path, $"engine is for target '{target}', which this runtime cannot run (it runs cpu-avx2, cpu-avx512, cuda-sm*, vulkan)");
        if (CpuIsa.Missing(target) is string missing) throw new ModelFileException(path, missing);
        return new CpuExecutor(file, threads, pool);
    }
}
