using Llmc.Targets.Vulkan.ShaderCompilers;

namespace Llmc.Targets.Conformance;

/// <summary>Whether GLSL compiles here at all, told apart from a kernel of ours that fails to compile.</summary>
public static class ShaderCompilerProbe
{
    private static readonly ShaderSource Empty = new("probe", "#version 450\nlayout(local_size_x = 1) in;\nvoid main() {}\n");

    /// <summary>Why <paramref name="compiler"/> cannot compile an empty compute shader, or null when it can.</summary>
    public static string? Problem(IShaderCompiler compiler)
    {
        try
        {
            compiler.Compile([Empty]);
            return null;
        }
        catch (TargetException e)
        {
            return e.Message;
        }
    }
}
