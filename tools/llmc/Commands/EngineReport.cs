using Llmc.Runtime.Format;

namespace Llmc.Cli.Commands;

/// <summary>The facts <c>llmc inspect</c> shows, gathered from an engine's manifest.</summary>
public sealed record EngineReport(
    string Model,
    string Architecture,
    string Target,
    string WeightDType,
    int TensorCount,
    long TensorBytes,
    int Context,
    int MaxBatchTokens,
    int PlanSteps,
    IReadOnlyList<EngineReport.Kernel> Kernels,
    IReadOnlyList<EngineReport.Section> CodeSections,
    string LlmcVersion,
    string? GitSha,
    DateTimeOffset CreatedUtc,
    IReadOnlyList<SourceFile> Sources)
{
    public sealed record Kernel(string Name, string Template, string Format, string Section, int Launches);

    public sealed record Section(string Name, long Bytes);

    public static EngineReport Of(EngineFile file)
    {
        var m = file.Manifest;
        var tensorSections = m.Tensors.Select(t => t.Section).ToHashSet();
        var launches = m.Plan.Steps.GroupBy(s => s.Kernel).ToDictionary(g => g.Key, g => g.Count());
        var codeSections = m.Kernels.Select(k => k.Section).Distinct().ToList();
        return new EngineReport(
            m.Model.Name,
            m.Model.Architecture,
            m.Target,
            m.Model.WeightDType,
            m.Tensors.Count,
            m.Sections.Where(s => tensorSections.Contains(s.Name)).Sum(s => s.Length),
            m.Plan.Context,
            m.Plan.MaxSeq,
            m.Plan.Steps.Count,
            m.Kernels.Select(k => new Kernel(k.Name, k.Template, k.Format, k.Section, launches.GetValueOrDefault(k.Name))).ToList(),
            m.Sections.Where(s => codeSections.Contains(s.Name)).Select(s => new Section(s.Name, s.Length)).ToList(),
            m.Build.LlmcVersion,
            m.Build.GitSha,
            m.Build.CreatedUtc,
            m.Build.Sources);
    }
}
