using Llmc.Ir;
using Llmc.Ir.Quantization;
using Llmc.Runtime;

namespace Llmc.Compiler.Build;

/// <summary>The <c>--kv-cache</c> option of a build, checked: how attention stores its keys and values.</summary>
public static class KvCacheStorage
{
    public const string Default = "f32";

    public static IReadOnlyList<string> Names { get; } = [.. KvCacheFormat.Storages.Keys];

    /// <returns>The cache dtype: f32, or kv8 for int8.</returns>
    public static DType Parse(string name) =>
        KvCacheFormat.Storages.TryGetValue(name, out var dtype)
            ? dtype
            : throw new LlmcException($"unknown --kv-cache '{name}' (choose one of {string.Join(", ", Names)})");
}
