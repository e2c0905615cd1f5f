using System.Security.Cryptography;
using Llmc.Runtime.Format;

namespace Llmc.Compiler.Build;

/// <summary>sha256 of the model files an engine was built from, recorded in its build info.</summary>
public static class SourceHashes
{
    private static readonly string[] Patterns = ["config.json", "*.safetensors", "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"];

    /// <param name="source">A model folder, or one model file (GGUF).</param>
    public static List<SourceFile> Of(string source) =>
        (File.Exists(source) ? [source] : Patterns.SelectMany(p => Directory.EnumerateFiles(source, p)))
            .Distinct()
            .Order(StringComparer.Ordinal)
            .Select(path =>
            {
                using var stream = File.OpenRead(path);
                return new SourceFile(Path.GetFileName(path), stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream)));
            })
            .ToList();
}
