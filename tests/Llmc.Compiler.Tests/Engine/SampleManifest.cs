using System.Text.Json.Nodes;
using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;

namespace Llmc.Compiler.Tests.Engine;

/// <summary>A small but complete manifest for container tests; the container does not interpret it.</summary>
internal static class SampleManifest
{
    public static EngineManifest Create() => new()
    {
        Model = new ModelInfo
        {
            Architecture = "LlamaForCausalLM",
            Name = "sample",
            VocabSize = 512,
            HiddenSize = 64,
            Layers = 5,
            WeightDType = "f32",
            Config = new JsonObject { ["hidden_size"] = 64 },
        },
        Build = new BuildInfo
        {
            LlmcVersion = "0.1.0",
            CreatedUtc = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero),
            Sources = [new SourceFile("model.safetensors", 1234, "ab")],
            Options = new Dictionary<string, string> { ["target"] = "cpu" },
        },
        Target = "cpu-avx2",
        TokenizerSection = "tokenizer",
        Generation = new GenerationDefaults { BosId = 1, EosIds = [2] },
        Tensors = [new TensorEntry { Name = "w", DType = "f32", Shape = [2, 3], Section = "tensor.w" }],
        Kernels = [],
        Plan = new ExecutionPlan
        {
            MaxSeq = 16,
            Context = 512,
            Buffers = [new PlanBuffer { Id = 0, Name = "w", Kind = BufferKind.Weight, DType = "f32", Shape = ["2", "3"], Tensor = "w" }],
            Steps = [],
            Inputs = new Dictionary<string, int> { ["tokens"] = 0 },
            Outputs = new Dictionary<string, int> { ["logits"] = 0 },
        },
        Sections = [],
    };
}
