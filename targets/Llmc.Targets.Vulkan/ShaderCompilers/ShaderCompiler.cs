namespace Llmc.Targets.Vulkan.ShaderCompilers;

/// <summary>Picks the shader compiler: libshaderc in process where a complete one loads, else <c>glslc</c>.</summary>
public static class ShaderCompiler
{
    /// <summary>Set to a glslc executable to use instead of the one on PATH.</summary>
    public const string GlslcVariable = "LLMC_GLSLC";

    public static IShaderCompiler Default() =>
        (IShaderCompiler?)LibShadercCompiler.TryCreate(out _)
        ?? new GlslcCompiler(Environment.GetEnvironmentVariable(GlslcVariable) is { Length: > 0 } path ? path : "glslc");
}
