using System.Runtime.InteropServices;
using System.Text;

namespace Llmc.Targets.Vulkan.ShaderCompilers;

/// <summary>libshaderc in process, one compilation per shader with a shared compiler and options.</summary>
public sealed class LibShadercCompiler : IShaderCompiler
{
    private LibShadercCompiler()
    {
    }

    public string Description => "libshaderc";

    /// <summary>The in-process compiler, or null (with the reason) where no complete libshaderc loads.</summary>
    public static LibShadercCompiler? TryCreate(out string problem) =>
        ShadercNative.TryLoad(out problem) ? new LibShadercCompiler() : null;

    public IReadOnlyList<byte[]> Compile(IReadOnlyList<ShaderSource> shaders)
    {
        var compiler = ShadercNative.CompilerInitialize();
        var options = ShadercNative.OptionsInitialize();
        try
        {
            ShadercNative.OptionsSetTargetEnv(options, ShadercNative.TargetEnvVulkan, ShadercNative.Vulkan11);
            ShadercNative.OptionsSetOptimizationLevel(options, ShadercNative.OptimizePerformance);
            return [.. shaders.Select(s => CompileOne(compiler, options, s))];
        }
        finally
        {
            ShadercNative.OptionsRelease(options);
            ShadercNative.CompilerRelease(compiler);
        }
    }

    private static byte[] CompileOne(nint compiler, nint options, ShaderSource shader)
    {
        var text = Encoding.UTF8.GetBytes(shader.Glsl);
        var result = ShadercNative.CompileIntoSpv(compiler, text, (nuint)text.Length, ShadercNative.ComputeShader, shader.Kernel + ".comp", "main", options);
        try
        {
            if (ShadercNative.ResultStatus(result) != ShadercNative.StatusSuccess)
                throw ShaderErrors.For(shader, Marshal.PtrToStringUTF8(ShadercNative.ResultErrorMessage(result)) ?? "");
            var spirv = new byte[(int)ShadercNative.ResultLength(result)];
            Marshal.Copy(ShadercNative.ResultBytes(result), spirv, 0, spirv.Length);
            return spirv;
        }
        finally
        {
            ShadercNative.ResultRelease(result);
        }
    }
}
