using System.Text.RegularExpressions;

namespace Llmc.Targets.Vulkan.ShaderCompilers;

/// <summary>Turns shaderc's diagnostics into one message naming the kernel, the generated GLSL line and the error.</summary>
public static partial class ShaderErrors
{
    /// <summary>The <see cref="Targets.TargetException"/> for <paramref name="shader"/> whose compiler printed <paramref name="log"/>.</summary>
    public static TargetException For(ShaderSource shader, string log)
    {
        var lines = shader.Glsl.Split('\n');
        var error = ErrorLine().Matches(log).FirstOrDefault();
        if (error is null)
            return new TargetException($"vulkan: kernel {shader.Kernel} does not compile: {log.Trim()}");
        var number = int.Parse(error.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var text = number >= 1 && number <= lines.Length ? lines[number - 1].Trim() : "?";
        return new TargetException($"vulkan: kernel {shader.Kernel} does not compile: line {number} `{text}`: {error.Groups["message"].Value.Trim()}");
    }

    // glslc and libshaderc both print "<file>:<line>: error: <message>".
    [GeneratedRegex(@"^[^\n:]*:(?<line>\d+): error: (?<message>[^\n]*)", RegexOptions.Multiline)]
    private static partial Regex ErrorLine();
}
