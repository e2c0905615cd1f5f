using System.Text;
using Llmc.Compiler.Frontends;
using Llmc.Compiler.Lowering;
using Llmc.Compiler.Models;
using Llmc.Compiler.Passes;
using Llmc.Compiler.Weights;
using Llmc.Ir;
using Llmc.Runtime.Format;
using Llmc.Targets;

namespace Llmc.Compiler.Build;

/// <summary>
/// The build pipeline: model folder or GGUF file → IR graph → verified → lowered to a plan → kernels compiled for the target → one engine file.
/// </summary>
public static class EngineBuilder
{
    public const string TokenizerSection = "tokenizer";

    public static string TensorSection(string name) => "tensor/" + name;

    public static void Build(BuildOptions options, IProgress<string>? progress = null)
    {
        var target = TargetRegistry.Get(options.Target);
        var quantization = WeightQuantization.Parse(options.Quant, options.GroupSize);
        var kvCache = KvCacheStorage.Parse(options.KvCache);
        var halfWeights = WeightQuantization.HalfType(options.Quant);
        var chatTemplate = options.ChatTemplate is { } templatePath ? ReadChatTemplate(templatePath) : null;
        progress?.Report($"reading {options.Source}");
        using var model = IModelSource.Open(options.Source);
        // Hashing the sources reads every byte of them (2.5 GB for a 1B bf16 model) on one core: it runs beside the
        // build, whose import and kernel compilation leave a core idle much of the time.
        var sourceHashes = Task.Run(() => SourceHashes.Of(options.Source));
        var config = model.Config;
        var context = options.Context ?? Math.Min(config.MaxPositionEmbeddings, BuildOptions.DefaultContextCap);
        var maxSeq = options.MaxBatchTokens ?? Math.Min(context, 512);
        if (context < 1 || maxSeq < 1 || maxSeq > context)
            throw new Runtime.LlmcException($"context {context} and max batch tokens {maxSeq} must satisfy 1 <= batch <= context");

        progress?.Report("building the graph");
        var (graph, weights) = ModelImport.Import(model, context, kvCache);
        IrDump.MaybeWrite(graph, 0, "import");
        // The quantize pass runs for --quant, and to carry weights a quantized GGUF already holds in an llmc format.
        var carried = graph.Weights.Any(w => weights[w.Name].CarriedFormat is not null);
        var pipeline = quantization is null && halfWeights is null && !carried ? options.Pipeline : options.Pipeline.WithQuantization();
        progress?.Report($"running passes: {string.Join(", ", pipeline.Passes)}");
        PassManager.Run(graph, pipeline, new PassContext(weights, target, quantization) { BosToken = config.BosTokenId, HalfWeights = halfWeights }, PassManager.VerifyFromEnvironment);
        Verifier.Verify(graph);

        progress?.Report($"compiling kernels for {target.Name}");
        var lowered = PlanLowering.Lower(graph, target, maxSeq, context);
        // GPU targets also compile the engine's sampling kernel, which the runtime launches after a forward step (no plan step runs it).
        // The kernels compile while the weights are packed and written (they need none of them): the compilers use
        // about one core, and quantizing uses every core it is given.
        var compiling = Task.Run(() => target.Compile(target.Supports(Runtime.Devices.SamplingKernelAbi.Template)
            ? [.. lowered.Kernels, Targets.Gpu.Templates.SamplingTemplate.KernelFor(config.VocabSize)]
            : lowered.Kernels));

        progress?.Report($"writing {options.Output}");
        using var writer = EngineWriter.Create(options.Output);
        var tensors = WriteWeights(writer, graph, weights, compiling, progress);
        var compiled = compiling.GetAwaiter().GetResult();
        foreach (var (name, bytes) in compiled.Sections) writer.AddSection(name, bytes);
        writer.AddSection(TokenizerSection, Encoding.UTF8.GetBytes(model.Tokenizer.ToJson()));
        writer.Commit(new EngineManifest
        {
            Model = new ModelInfo
            {
                Architecture = config.Architecture,
                Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(options.Source))),
                VocabSize = config.VocabSize,
                HiddenSize = config.HiddenSize,
                Layers = config.NumHiddenLayers,
                WeightDType = quantization?.Name ?? options.Quant,
                Config = config.Raw,
            },
            Build = new BuildInfo
            {
                LlmcVersion = LlmcVersion.Version,
                GitSha = LlmcVersion.GitSha,
                CreatedUtc = DateTimeOffset.UtcNow,
                Sources = sourceHashes.GetAwaiter().GetResult(),
                Options = new Dictionary<string, string>
                {
                    ["target"] = options.Target,
                    ["context"] = context.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["max_batch_tokens"] = maxSeq.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["passes"] = string.Join(",", pipeline.Passes),
                    ["quant"] = quantization?.Name ?? options.Quant,
                    ["kv_cache"] = options.KvCache,
                },
            },
            Target = target.Name,
            TokenizerSection = TokenizerSection,
            ChatTemplate = chatTemplate ?? model.ChatTemplate,
            Generation = GenerationDefaultsFor(model),
            Tensors = tensors,
            Kernels = compiled.Kernels.Select(KernelEntryOf).ToList(),
            Plan = lowered.Plan,
            Sections = [],
        });
    }

    /// <summary>A chat template file's text, refused (naming the file) when it is missing or does not parse.</summary>
    private static string ReadChatTemplate(string path)
    {
        if (!File.Exists(path)) throw new Runtime.ModelFileException(path, "no such chat template file");
        var text = File.ReadAllText(path);
        try
        {
            Runtime.Templates.ChatTemplate.Parse(text);
        }
        catch (Runtime.Templates.TemplateException e)
        {
            throw new Runtime.ModelFileException(path, e.Message, e);
        }
        return text;
    }

    /// <param name="compiling">The kernel compilation running beside: its error (a missing compiler, a kernel that
    /// does not compile) ends the build before the next weight rather than after the last.</param>
    private static List<TensorEntry> WriteWeights(EngineWriter writer, Graph graph, WeightStore weights, Task compiling, IProgress<string>? progress)
    {
        var entries = new List<TensorEntry>();
        // A weight is written (copied into the file and checksummed, on one core) while the next is packed: writing
        // them in turn left a core idle for about a second of a 1B q4 build, two of a q8 one.
        var writing = Task.CompletedTask;
        try
        {
            foreach (var w in graph.Weights)
            {
                if (compiling.IsFaulted) compiling.GetAwaiter().GetResult();
                progress?.Report($"writing weight {w.Name}");
                // Taken out of the store as it is written: nothing reads a weight again, so its bytes (a quantized
                // weight keeps its packed copy) can be collected and their memory reused for the next weight's.
                var stored = weights.Remove(w.Name).ReadStored();
                writing.GetAwaiter().GetResult(); // sections go in the graph's order, and a failed write ends the build here
                var section = TensorSection(w.Name);
                writing = Task.Run(() => writer.AddSection(section, stored));
                entries.Add(new TensorEntry
                {
                    Name = w.Name,
                    DType = w.Type.DType.Name(),
                    Shape = w.Type.Shape.Select(d => (long)d.Size).ToList(),
                    Section = section,
                });
            }
        }
        catch
        {
            // A write in flight finishes before the writer is disposed (its file deleted); the error to report is this one.
            ((IAsyncResult)writing).AsyncWaitHandle.WaitOne();
            throw;
        }
        writing.GetAwaiter().GetResult();
        return entries;
    }

    private static GenerationDefaults GenerationDefaultsFor(IModelSource model)
    {
        var eos = model.Config.EosTokenIds.Concat(model.GenerationEosIds);
        if (model.Tokenizer.EosId is int tokEos) eos = eos.Append(tokEos);
        return new GenerationDefaults
        {
            BosId = model.Config.BosTokenId ?? model.Tokenizer.BosId,
            EosIds = eos.Distinct().ToList(),
            AddBos = model.Tokenizer.AddBos,
        };
    }

    private static KernelEntry KernelEntryOf(CompiledKernel k) => new()
    {
        Name = k.Instance.Name,
        Template = k.Instance.Template,
        Params = k.Instance.Operands.Select((t, i) => ($"operand{i}", t.ToString()))
            .Append(("result", k.Instance.Result.ToString()))
            .Concat(k.Instance.Attrs.Select(a => (a.Key, Attributes.Format(a.Value))))
            .ToDictionary(p => p.Item1, p => p.Item2),
        Section = k.Section,
        Entry = k.Entry,
        Format = k.Format,
        Launch = k.Launch,
    };
}
