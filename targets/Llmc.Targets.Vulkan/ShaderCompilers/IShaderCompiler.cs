namespace Llmc.Targets.Vulkan.ShaderCompilers;

/// <summary>A GLSL compute shader to compile: the kernel it implements and its source.</summary>
public sealed record ShaderSource(string Kernel, string Glsl);

/// <summary>
/// Compiles GLSL compute shaders to SPIR-V for Vulkan 1.1. Errors throw <see cref="Targets.TargetException"/>
/// naming the kernel, the generated line and the compiler's message (<see cref="ShaderErrors"/>).
/// </summary>
public interface IShaderCompiler
{
    /// <summary>What runs the compilation, for messages and build info.</summary>
    string Description { get; }

    /// <summary>The SPIR-V of each shader, in order.</summary>
    IReadOnlyList<byte[]> Compile(IReadOnlyList<ShaderSource> shaders);
}
