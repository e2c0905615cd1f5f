using System.Globalization;
using Llmc.Runtime.Format;
using Llmc.Runtime.Plan;

namespace Llmc.Cli.Commands;

/// <summary>The facts <c>llmc inspect</c> shows, gathered from an engine's manifest.</summary>
public sealed record EngineReport(
    string Model,
    string Architecture,
    string Target,
    string WeightDType,
    int TensorCount,
    long TensorBytes,
    long WeightBytes,
    long PeakActivationBytes,
    long KvBytesPerToken,
    string KvCache,
    int DecodeLaunchesPerToken,
    long? DecodeWorkgroupsPerToken,
    int PrefillRows,
    long? PrefillWorkgroups,
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
    /// <summary>
    /// One entry of the kernel table: a kernel appears once per code it is compiled to (a fat CUDA engine lists each
    /// kernel as PTX and as one cubin per architecture). <see cref="SectionBytes"/> is its code section's size, which
    /// several kernels share when the section holds a whole module or assembly. A GPU kernel's many-rows code is an entry
    /// of its own, with <see cref="MinRows"/> the fewest step rows it runs for (0 for the code of any step) and
    /// <see cref="SameRounding"/> whether it gives a row the same bits as the code of any step
    /// (<see cref="KernelLaunch.SameRounding"/>).
    /// </summary>
    public sealed record Kernel(string Name, string Template, string Format, string Section, long SectionBytes, int Launches, int MinRows, bool SameRounding);

    /// <summary>A code section: its size, the code format(s) it holds and how many kernels it serves.</summary>
    public sealed record Section(string Name, string Format, int Kernels, long Bytes);

    /// <summary>The rows of the prefill step whose workgroups are counted: a 512-token chunk, or the engine's step limit if smaller.</summary>
    public const int PrefillRowsShown = 512;

    public static EngineReport Of(EngineFile file)
    {
        var m = file.Manifest;
        var prefillRows = Math.Min(PrefillRowsShown, m.Plan.MaxSeq);
        var sectionBytes = m.Sections.ToDictionary(s => s.Name, s => s.Length, StringComparer.Ordinal);
        var weightBytes = m.Tensors.Select(t => t.Section).Distinct().Sum(s => sectionBytes.GetValueOrDefault(s));
        var launches = m.Plan.Steps.GroupBy(s => s.Kernel).ToDictionary(g => g.Key, g => g.Count());
        var codeSections = m.Kernels.GroupBy(k => k.Section)
            .Select(g => new Section(g.Key, string.Join(", ", g.Select(k => k.Format).Distinct()), g.Select(k => k.Name).Distinct().Count(),
                sectionBytes.GetValueOrDefault(g.Key)))
            .ToList();
        return new EngineReport(
            m.Model.Name,
            m.Model.Architecture,
            m.Target,
            m.Model.WeightDType,
            m.Tensors.Count,
            weightBytes,
            weightBytes,
            m.Plan.ActivationBytes,
            PlanShapes.KvBytesPerPosition(m.Plan),
            // Engines from before --kv-cache existed stored f32.
            m.Build.Options.GetValueOrDefault("kv_cache", "f32"),
            // A decode step runs the whole plan once with one row: every step is one launch.
            m.Plan.Steps.Count,
            Workgroups(m, 1),
            prefillRows,
            Workgroups(m, prefillRows),
            m.Plan.Context,
            m.Plan.MaxSeq,
            m.Plan.Steps.Count,
            m.Kernels.Select(k => new Kernel(k.Name, k.Template, k.Format, k.Section, sectionBytes.GetValueOrDefault(k.Section), launches.GetValueOrDefault(k.Name), k.Launch?.MinRows ?? 0, k.Launch?.SameRounding ?? false)).ToList(),
            codeSections,
            m.Build.LlmcVersion,
            m.Build.GitSha,
            m.Build.CreatedUtc,
            m.Build.Sources);
    }

    /// <summary>
    /// GPU workgroups (CUDA blocks) one run of the plan launches for a step of <paramref name="rows"/> rows of one
    /// sequence, logits for its last row, each kernel running the code the executor chooses for that many rows
    /// (<see cref="StepCode{T}"/>); null for engines without launch geometry (CPU).
    /// </summary>
    private static long? Workgroups(EngineManifest m, int rows)
    {
        var launches = m.Kernels.Where(k => k.Launch is not null).GroupBy(k => k.Name, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => StepCode.Of([.. g], entries => entries[0]).For(rows).Launch!, StringComparer.Ordinal);
        if (launches.Count == 0) return null;
        Span<int> dims = stackalloc int[PlanSymbols.Count];
        dims[PlanSymbols.Seq] = rows;
        dims[PlanSymbols.Out] = 1;
        dims[PlanSymbols.KvTable] = 1;
        dims[PlanSymbols.KvBlocks] = 1;
        dims[PlanSymbols.KvBlock] = 1;
        long total = 0;
        foreach (var step in m.Plan.Steps)
        {
            var launch = launches[step.Kernel];
            total += (long)launch.GroupsX * LaunchExtent.Parse(step.Kernel, launch.GroupsY).Of(dims);
        }
        return total;
    }

}
