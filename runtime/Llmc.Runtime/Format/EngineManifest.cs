using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Format;

/// <summary>The JSON manifest of an engine file: everything but the bulk bytes, which live in sections.</summary>
public sealed record EngineManifest
{
    public required ModelInfo Model { get; init; }

    public required BuildInfo Build { get; init; }

    /// <summary>The target the kernels were compiled for, e.g. <c>cpu-avx2</c>.</summary>
    public required string Target { get; init; }

    /// <summary>Name of the section holding the tokenizer (a <c>TokenizerModel</c> as JSON).</summary>
    public required string TokenizerSection { get; init; }

    /// <summary>Jinja chat template from tokenizer_config.json, if the model has one.</summary>
    public string? ChatTemplate { get; init; }

    public required GenerationDefaults Generation { get; init; }

    public required List<TensorEntry> Tensors { get; init; }

    public required List<KernelEntry> Kernels { get; init; }

    public required ExecutionPlan Plan { get; init; }

    /// <summary>Every byte range of the file after the header except the manifest itself.</summary>
    public required List<SectionEntry> Sections { get; init; }
}

public sealed record ModelInfo
{
    /// <summary>HF architecture name, e.g. <c>LlamaForCausalLM</c>.</summary>
    public required string Architecture { get; init; }

    public required string Name { get; init; }

    public required int VocabSize { get; init; }

    public required int HiddenSize { get; init; }

    public required int Layers { get; init; }

    /// <summary>Weight storage: <c>f32</c>, <c>f16</c>, <c>bf16</c>, or a quantization name.</summary>
    public required string WeightDType { get; init; }

    /// <summary>The source config.json, verbatim.</summary>
    public required JsonObject Config { get; init; }
}

public sealed record BuildInfo
{
    public required string LlmcVersion { get; init; }

    public string? GitSha { get; init; }

    public required DateTimeOffset CreatedUtc { get; init; }

    /// <summary>Source model files and their sha256, so an engine can be traced to its inputs.</summary>
    public required List<SourceFile> Sources { get; init; }

    /// <summary>The build command's options as given.</summary>
    public required Dictionary<string, string> Options { get; init; }
}

public sealed record SourceFile(string Name, long Bytes, string Sha256);

public sealed record GenerationDefaults
{
    public int? BosId { get; init; }

    public required List<int> EosIds { get; init; }

    public bool AddBos { get; init; }

    public List<string> StopStrings { get; init; } = [];

    public float Temperature { get; init; } = 0.8f;

    public float TopP { get; init; } = 0.95f;

    public int TopK { get; init; } = 40;
}

public sealed record TensorEntry
{
    public required string Name { get; init; }

    public required string DType { get; init; }

    public required List<long> Shape { get; init; }

    public required string Section { get; init; }
}

/// <summary>One compiled kernel: its name in the plan, the template it came from and its parameters, and where its code lives.</summary>
public sealed record KernelEntry
{
    public required string Name { get; init; }

    public required string Template { get; init; }

    /// <summary>Baked-in parameters (shapes, eps, ...), as printed values.</summary>
    public required Dictionary<string, string> Params { get; init; }

    /// <summary>The section holding the code (for CPU: one assembly shared by all kernels).</summary>
    public required string Section { get; init; }

    /// <summary>Entry point inside that section (for CPU: the static method name).</summary>
    public required string Entry { get; init; }

    /// <summary>Code format, e.g. <c>dotnet-il</c>, <c>ptx</c>, <c>cubin</c>, <c>spirv</c>.</summary>
    public required string Format { get; init; }

    /// <summary>Launch geometry of GPU kernels; absent for CPU kernels.</summary>
    public KernelLaunch? Launch { get; init; }
}

/// <summary>A byte range of the file with its CRC-32C, checked on load.</summary>
public sealed record SectionEntry
{
    public required string Name { get; init; }

    public required long Offset { get; init; }

    public required long Length { get; init; }

    // The naming policy would split this into "crc32_c"; the checksum's usual name reads better in the file.
    [JsonPropertyName("crc32c")]
    public required uint Crc32C { get; init; }
}
