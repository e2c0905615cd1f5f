using System.Reflection;

namespace Llmc.Compiler.Build;

/// <summary>This compiler's version and the git commit it was built from (the SDK appends it to the informational version).</summary>
public static class LlmcVersion
{
    private static readonly string Informational =
        typeof(LlmcVersion).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";

    public static string Version => Informational.Split('+')[0];

    public static string? GitSha => Informational.Contains('+') ? Informational.Split('+')[1] : null;
}
