using System.Text.Json;
using System.Text.Json.Nodes;
using Llmc.Compiler.Frontends.HfConfig;
using Llmc.Compiler.Frontends.Safetensors;
using Llmc.Ir;
using Llmc.Runtime;
using Llmc.Runtime.Tokenization;

namespace Llmc.Compiler.Synth;

/// <summary>
/// Writes a HuggingFace Llama folder with random weights for a config: the shapes, sizes and file layout of a real
/// checkpoint, initialised like transformers does (normal with std initializer_range, RMSNorm scales 1), deterministic
/// per seed. Weights are generated block by block and streamed to disk, so models larger than memory can be written.
/// </summary>
public static class RandomModelWriter
{
    private const double DefaultInitializerRange = 0.02;

    /// <summary>Elements per independently seeded block: the unit of parallel generation.</summary>
    private const int BlockElements = 1 << 20;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(SynthOptions options, IProgress<string>? progress = null)
    {
        if (options.DType is not (DType.F32 or DType.F16 or DType.BF16))
            throw new LlmcException($"weights can be f32, f16 or bf16, not {options.DType}");
        var (config, json) = ReadConfig(options.ConfigPath);
        var std = InitializerRange(config);
        // Leftover weights (a stale index beside a new single file, say) would be read as part of the new model.
        if (Directory.Exists(options.Output) && Directory.EnumerateFileSystemEntries(options.Output).Any())
            throw new LlmcException($"{options.Output}: the output folder is not empty");
        Directory.CreateDirectory(options.Output);

        json["torch_dtype"] = options.DType switch { DType.F32 => "float32", DType.F16 => "float16", _ => "bfloat16" };
        WriteJson(Path.Combine(options.Output, DecoderConfig.FileName), json);
        progress?.Report("writing the tokenizer");
        WriteTokenizer(options, config);

        var weights = DecoderWeightLayout.For(config).ToDictionary(w => w.Name, StringComparer.Ordinal);
        // A norm that scales by 1: Gemma stores w and scales by 1 + w, so its neutral weight is 0.
        var normScale = config.Family.OffsetNorms ? 0f : 1f;
        var entries = weights.Values.Select(w => new SafetensorsEntry(w.Name, options.DType, w.Shape)).ToList();
        var shards = Shard(entries, options.MaxShardBytes);
        for (var s = 0; s < shards.Count; s++)
        {
            var fileName = shards.Count == 1 ? SafetensorsModel.SingleFileName : ShardFileName(s, shards.Count);
            SafetensorsWriter.Write(Path.Combine(options.Output, fileName), shards[s], (entry, stream) =>
            {
                progress?.Report($"writing {entry.Name}");
                WriteRandom(stream, entry, weights[entry.Name].IsNormScale ? null : std, normScale, options.Seed);
            });
        }
        if (shards.Count > 1) WriteIndex(options.Output, shards);
    }

    private static (DecoderConfig Config, JsonObject Json) ReadConfig(string path)
    {
        if (!File.Exists(path)) throw new ModelFileException(path, "not found");
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ModelFileException(path, $"not valid JSON: {e.Message}", e);
        }
        if (root is not JsonObject json) throw new ModelFileException(path, "is not a JSON object");
        return (DecoderConfig.Parse(json, path), json);
    }

    private static double InitializerRange(DecoderConfig config) => config.Raw["initializer_range"] switch
    {
        null => DefaultInitializerRange,
        JsonValue v when v.TryGetValue<double>(out var range) && range > 0 => range,
        var other => throw new ModelFileException(config.Path, $"field 'initializer_range' must be a positive number, got {other.ToJsonString()}"),
    };

    private static void WriteTokenizer(SynthOptions options, DecoderConfig config)
    {
        var tokenizerPath = Path.Combine(options.Output, "tokenizer.json");
        var tokenizerConfigPath = Path.Combine(options.Output, "tokenizer_config.json");
        if (options.TokenizerPath is { } given)
        {
            if (!File.Exists(given)) throw new ModelFileException(given, "not found");
            File.Copy(given, tokenizerPath, overwrite: true);
            // The special tokens and BOS setting live beside the tokenizer; without that file the tokenizer's own defaults apply.
            var givenConfig = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(given))!, "tokenizer_config.json");
            if (File.Exists(givenConfig)) File.Copy(givenConfig, tokenizerConfigPath, overwrite: true);
            else File.Delete(tokenizerConfigPath);
            var model = HfTokenizerImport.Load(options.Output);
            if (model.Pieces.Length > config.VocabSize)
                throw new ModelFileException(given, $"has {model.Pieces.Length} tokens, more than the config's vocab_size {config.VocabSize}");
            return;
        }
        var (tokenizer, tokenizerConfig) = ByteLevelTokenizerGenerator.Generate(config);
        WriteJson(tokenizerPath, tokenizer);
        WriteJson(tokenizerConfigPath, tokenizerConfig);
    }

    /// <summary>Tensors in order, a new shard whenever the next one would push the current shard past the limit.</summary>
    private static List<List<SafetensorsEntry>> Shard(List<SafetensorsEntry> entries, long maxShardBytes)
    {
        var shards = new List<List<SafetensorsEntry>> { new() };
        long size = 0;
        foreach (var entry in entries)
        {
            if (size > 0 && size + entry.ByteLength > maxShardBytes)
            {
                shards.Add([]);
                size = 0;
            }
            shards[^1].Add(entry);
            size += entry.ByteLength;
        }
        return shards;
    }

    /// <param name="std">Standard deviation of the normal values, or null for a norm scale of ones.</param>
    /// <param name="std">The normal's standard deviation; null writes <paramref name="constant"/> everywhere.</param>
    private static void WriteRandom(Stream stream, SafetensorsEntry entry, double? std, float constant, ulong seed)
    {
        var elementSize = entry.DType.SizeOf();
        var blocks = (entry.ElementCount + BlockElements - 1) / BlockElements;
        // A few blocks per core at a time: enough to keep every core busy, little enough to keep memory flat.
        var batch = Math.Max(1, Environment.ProcessorCount * 2);
        var buffers = Enumerable.Range(0, batch).Select(_ => new byte[BlockElements * elementSize]).ToArray();
        for (long first = 0; first < blocks; first += batch)
        {
            var count = (int)Math.Min(batch, blocks - first);
            Parallel.For(0, count, i =>
            {
                var block = first + i;
                var elements = (int)Math.Min(BlockElements, entry.ElementCount - block * BlockElements);
                var normal = new NormalStream(NormalStream.SeedFor(seed, entry.Name, block));
                var bytes = buffers[i].AsSpan();
                for (var e = 0; e < elements; e++)
                    WeightEncoding.Write(entry.DType, std is { } s ? (float)(normal.Next() * s) : constant, bytes.Slice(e * elementSize, elementSize));
            });
            for (var i = 0; i < count; i++)
            {
                var elements = (int)Math.Min(BlockElements, entry.ElementCount - (first + i) * BlockElements);
                stream.Write(buffers[i], 0, elements * elementSize);
            }
        }
    }

    private static void WriteIndex(string folder, List<List<SafetensorsEntry>> shards)
    {
        var weightMap = new JsonObject();
        for (var s = 0; s < shards.Count; s++)
            foreach (var entry in shards[s])
                weightMap[entry.Name] = ShardFileName(s, shards.Count);
        WriteJson(Path.Combine(folder, SafetensorsModel.IndexFileName), new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = shards.Sum(shard => shard.Sum(e => e.ByteLength)) },
            ["weight_map"] = weightMap,
        });
    }

    /// <summary>transformers' shard naming, 1-based: model-00001-of-00002.safetensors.</summary>
    private static string ShardFileName(int index, int count) => $"model-{index + 1:D5}-of-{count:D5}.safetensors";

    private static void WriteJson(string path, JsonNode node) => File.WriteAllText(path, node.ToJsonString(Indented) + "\n");
}
