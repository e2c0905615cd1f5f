using Llmc.Compiler.Frontends.HfConfig;
using Llmc.Compiler.Weights;
using Llmc.Runtime.Tokenization;

namespace Llmc.Compiler.Frontends;

/// <summary>
/// What a build reads from a model, whatever holds it (a Hugging Face folder or a GGUF file): the config in Hugging
/// Face terms, the weights under their Hugging Face names and layouts, the tokenizer and chat template.
/// </summary>
public interface IModelSource : IDisposable
{
    /// <summary>The folder or file the model was read from.</summary>
    string Path { get; }

    /// <summary>Where the weights are, for messages about them.</summary>
    string WeightsPath { get; }

    DecoderConfig Config { get; }

    TokenizerModel Tokenizer { get; }

    string? ChatTemplate { get; }

    /// <summary>End-of-generation ids beyond the config's and the tokenizer's (generation_config.json).</summary>
    IReadOnlyList<int> GenerationEosIds { get; }

    /// <summary>Adds every weight, read lazily, under its Hugging Face name.</summary>
    void AddWeights(WeightStore store);

    /// <summary>Opens a Hugging Face model folder, or a .gguf file.</summary>
    static IModelSource Open(string path) =>
        File.Exists(path) && path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase) ? Gguf.GgufModel.Open(path) : HfModelFolder.Open(path);
}
