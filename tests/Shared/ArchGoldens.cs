namespace Llmc.Tests;

/// <summary>The architectures of ../shared/models/arch-goldens that llmc builds, one folder each.</summary>
public static class ArchGoldens
{
    public static IReadOnlyList<string> Names { get; } = ["llama3", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3"];

    public static TheoryData<string> All => new(Names);
}
