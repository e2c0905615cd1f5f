using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Llmc.Targets.Cpu;

/// <summary>Compiles a rendered <see cref="CpuSource"/> into a kernel assembly with Roslyn.</summary>
internal static class RoslynCompiler
{
    private const string AssemblyName = "Llmc.Kernels.Cpu";

    // Errors quoted in a failure message; the rest usually follow from the first ones.
    private const int ReportedErrors = 5;

    // The kernels use only the core library, Span and the intrinsics; a short reference list keeps compiles fast.
    private static readonly string[] ReferencedAssemblies = ["System.Private.CoreLib", "System.Runtime", "System.Runtime.Intrinsics", "System.Memory"];

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    public static byte[] Compile(string target, CpuSource source)
    {
        var tree = CSharpSyntaxTree.ParseText(source.Text, new CSharpParseOptions(LanguageVersion.Latest), path: target + ".cs");
        var options = new CSharpCompilationOptions(
            OutputKind.DynamicallyLinkedLibrary,
            optimizationLevel: OptimizationLevel.Release,
            allowUnsafe: true,
            deterministic: true,
            nullableContextOptions: NullableContextOptions.Disable);
        var compilation = CSharpCompilation.Create(AssemblyName, [tree], References.Value, options);
        using var image = new MemoryStream();
        var result = compilation.Emit(image);
        if (!result.Success) throw Failure(target, source, result.Diagnostics);
        return image.ToArray();
    }

    private static TargetException Failure(string target, CpuSource source, ImmutableArray<Diagnostic> diagnostics)
    {
        var lines = source.Text.Split('\n');
        var errors = diagnostics.Where(e => e.Severity == DiagnosticSeverity.Error).ToList();
        var reports = errors.Take(ReportedErrors).Select(error =>
        {
            var line = error.Location.GetLineSpan().StartLinePosition.Line + 1;
            var kernel = source.KernelAt(line) is { } name ? "kernel " + name : "the shared prelude";
            var text = line <= lines.Length ? lines[line - 1].Trim() : "";
            return $"{kernel}, generated line {line}: {text}\n    {error.Id}: {error.GetMessage(System.Globalization.CultureInfo.InvariantCulture)}";
        });
        var more = errors.Count > ReportedErrors ? $"\n  ... and {errors.Count - ReportedErrors} more errors" : "";
        return new TargetException($"{target}: the generated kernels do not compile:\n  {string.Join("\n  ", reports)}{more}");
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        var trusted = (AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES") as string
            ?? throw new TargetException("the host lists no trusted platform assemblies to compile CPU kernels against"))
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            // A host may list an assembly twice (e.g. from two probing folders); the first one is the one it loaded.
            .DistinctBy(Path.GetFileNameWithoutExtension, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(p => Path.GetFileNameWithoutExtension(p), StringComparer.OrdinalIgnoreCase);
        return [.. ReferencedAssemblies.Select(name => trusted.TryGetValue(name, out var path)
            ? MetadataReference.CreateFromFile(path)
            : throw new TargetException($"the framework assembly {name} needed to compile CPU kernels is not among the trusted platform assemblies"))];
    }
}
