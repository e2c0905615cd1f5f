using System.Text.Json.Nodes;
using Llmc.Compiler.Frontends.HfConfig;
using Llmc.Compiler.Frontends.Safetensors;
using Llmc.Compiler.Models;
using Llmc.Compiler.Weights;
using Llmc.Runtime;
using Llmc.Runtime.Tokenization;

namespace Llmc.Compiler.Frontends;

/// <summary>A HuggingFace model folder opened for building: config, weights (mapped, read lazily), tokenizer and chat template.</summary>
public sealed class HfModelFolder : IModelSource
{
    private HfModelFolder(string path, DecoderConfig config, SafetensorsModel weights, TokenizerModel tokenizer, string? chatTemplate, List<int> generationEos)
    {
        Path = path;
        Config = config;
        Weights = weights;
        Tokenizer = tokenizer;
        ChatTemplate = chatTemplate;
        GenerationEosIds = generationEos;
    }

    public string Path { get; }

    public DecoderConfig Config { get; }

    public SafetensorsModel Weights { get; }

    public TokenizerModel Tokenizer { get; }

    public string? ChatTemplate { get; }

    /// <summary>EOS ids from generation_config.json, when it has any.</summary>
    public IReadOnlyList<int> GenerationEosIds { get; }

    public string WeightsPath => Weights.Files.Count == 1 ? Weights.Files[0].Path : Path;

    public void AddWeights(WeightStore store)
    {
        foreach (var t in Weights.Tensors.Values) store.Add(t.Name, new SafetensorsWeight(t));
        if (Config.Family.OffsetNorms) OffsetNormWeights.Apply(store);
    }

    public static HfModelFolder Open(string path)
    {
        if (File.Exists(path))
            throw new ModelFileException(path, "not a model: expected a HuggingFace folder with config.json and *.safetensors, or a .gguf file");
        if (!Directory.Exists(path)) throw new ModelFileException(path, "no such file or folder");
        var config = DecoderConfig.Load(path);
        var weights = SafetensorsModel.Open(path);
        try
        {
            var tokenizer = HfTokenizerImport.Load(path);
            return new HfModelFolder(path, config, weights, tokenizer, HfTokenizerImport.ReadChatTemplate(path), ReadGenerationEos(path));
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public void Dispose() => Weights.Dispose();

    private static List<int> ReadGenerationEos(string folder)
    {
        var file = System.IO.Path.Combine(folder, "generation_config.json");
        if (!File.Exists(file)) return [];
        try
        {
            return JsonNode.Parse(File.ReadAllText(file))?["eos_token_id"] switch
            {
                JsonArray a => a.Select(n => n!.GetValue<int>()).ToList(),
                JsonValue v => [v.GetValue<int>()],
                _ => [],
            };
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            throw new ModelFileException(file, "eos_token_id is not an id or a list of ids: " + e.Message);
        }
    }
}
