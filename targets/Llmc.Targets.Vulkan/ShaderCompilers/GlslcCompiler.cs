using System.Diagnostics;

namespace Llmc.Targets.Vulkan.ShaderCompilers;

/// <summary>
/// shaderc's command-line front end: writes every shader into a temporary folder and compiles them all with one
/// <c>glslc -c</c> run per batch of <see cref="BatchSize"/>, each input producing <c>&lt;input&gt;.spv</c> beside it.
/// </summary>
public sealed class GlslcCompiler(string executable = "glslc") : IShaderCompiler
{
    /// <summary>Shaders per invocation: keeps the command line (names like <c>k123.comp</c>) well under any argument-length limit.</summary>
    public const int BatchSize = 1024;

    public string Description => executable;

    /// <summary>The glslc invocations the last <see cref="Compile"/> made.</summary>
    public int Invocations { get; private set; }

    public IReadOnlyList<byte[]> Compile(IReadOnlyList<ShaderSource> shaders)
    {
        var folder = Directory.CreateTempSubdirectory("llmc-glslc-");
        Invocations = 0;
        try
        {
            var files = shaders.Select((s, i) => $"k{i}.comp").ToList();
            for (var i = 0; i < shaders.Count; i++) File.WriteAllText(Path.Combine(folder.FullName, files[i]), shaders[i].Glsl);
            for (var first = 0; first < shaders.Count; first += BatchSize)
                RunBatch(folder.FullName, shaders, files, first, Math.Min(shaders.Count, first + BatchSize));
            return [.. files.Select(f => File.ReadAllBytes(Path.Combine(folder.FullName, f + ".spv")))];
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private void RunBatch(string folder, IReadOnlyList<ShaderSource> shaders, List<string> files, int first, int end)
    {
        var start = new ProcessStartInfo(executable)
        {
            WorkingDirectory = folder,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--target-env=vulkan1.1", "-O", "-c" }) start.ArgumentList.Add(argument);
        for (var i = first; i < end; i++) start.ArgumentList.Add(files[i]);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new TargetException($"vulkan: could not start {executable}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new TargetException($"vulkan: the shader compiler '{executable}' cannot be run ({e.Message}); install glslc (Debian package glslc) or a libshaderc");
        }
        using (process)
        {
            var errors = process.StandardError.ReadToEndAsync();
            var output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            Invocations++;
            if (process.ExitCode == 0) return;
            var log = errors.Result + output;
            // The first file the log names is the kernel to blame.
            for (var i = first; i < end; i++)
            {
                var prefix = files[i] + ":";
                var own = string.Join('\n', log.Split('\n').Where(l => l.StartsWith(prefix, StringComparison.Ordinal)));
                if (own.Length > 0) throw ShaderErrors.For(shaders[i], own);
            }
            throw new TargetException($"vulkan: {executable} failed: {log.Trim()}");
        }
    }
}
