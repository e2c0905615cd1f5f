using Llmc.Runtime.Devices.Vulkan;
using Llmc.Runtime.Format;
using Llmc.Targets.Vulkan.ShaderCompilers;

namespace Llmc.EndToEnd.Tests.Vulkan;

/// <summary>
/// Vulkan engines that cannot run here end with one line on stderr naming what is missing, a non-zero exit code and no
/// output: no loader, no driver, no such device, no Vulkan code in the engine, a kernel needing a feature the device lacks,
/// more memory than the device has.
/// </summary>
[Collection(StoriesCollection.Name)]
public sealed class VulkanBadInputTests(StoriesEngines engines) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llmc-vk-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [VulkanFact]
    public void No_vulkan_loader()
    {
        var missing = Path.Combine(_dir, "libvulkan.so.1");
        var env = new Dictionary<string, string> { ["LLMC_VULKAN_LOADER"] = missing };
        AssertOneLineError(LlmcCli.RunWith(env, "run", engines.For("vulkan"), "--prompt", "hi"), "no Vulkan loader", missing);

        // devices still lists the other API's GPUs: the missing loader is its Vulkan line, not a failure.
        var devices = LlmcCli.RunWith(env, "devices");
        Assert.Equal(0, devices.ExitCode);
        Assert.Contains($"vulkan: no Vulkan loader", Assert.Single(devices.Stdout.Split('\n'), l => l.StartsWith("vulkan", StringComparison.Ordinal)));
        Assert.Contains(missing, devices.Stdout);

        var selftest = LlmcCli.RunWith(env, "selftest", "--target", "vulkan");
        Assert.Equal(2, selftest.ExitCode);
        Assert.Contains("no Vulkan loader", Assert.Single(selftest.StderrLines));
    }

    [VulkanFact]
    public void No_vulkan_driver()
    {
        // The loader reads its driver list from these variables; pointing them at nothing leaves it without a device.
        var none = Path.Combine(_dir, "none.json");
        var env = new Dictionary<string, string> { ["VK_ICD_FILENAMES"] = none, ["VK_DRIVER_FILES"] = none };
        AssertOneLineError(LlmcCli.RunWith(env, "run", engines.For("vulkan"), "--prompt", "hi"), "no Vulkan device");
    }

    [VulkanFact]
    public void Device_index_beyond_the_devices_present()
    {
        AssertOneLineError(LlmcCli.Run("run", engines.For("vulkan"), "--prompt", "hi", "--device", "99"), "no Vulkan device 99");
        var env = new Dictionary<string, string> { ["LLMC_VULKAN_DEVICE"] = "99" };
        AssertOneLineError(LlmcCli.RunWith(env, "run", engines.For("vulkan"), "--prompt", "hi"), "no Vulkan device 99");
    }

    [VulkanFact]
    public void Engine_without_its_vulkan_sections()
    {
        var engine = Rewrite("no-spirv.llmc", engines.For("vulkan"), skip: name => name.StartsWith("kernels.vulkan.", StringComparison.Ordinal));
        AssertOneLineError(LlmcCli.Run("run", engine, "--prompt", "hi"), engine, "no Vulkan code");
    }

    [VulkanFact]
    public void Cpu_engine_relabelled_as_vulkan()
    {
        var engine = Rewrite("cpu-as-vulkan.llmc", engines.For("cpu-avx2"), manifest: m => m with { Target = "vulkan" });
        AssertOneLineError(LlmcCli.Run("run", engine, "--prompt", "hi"), engine, "no Vulkan code");
    }

    [VulkanFact]
    public void Kernel_needing_a_feature_the_device_lacks()
    {
        // Clustered subgroup operations: lavapipe does not offer them.
        const string clustered = """
            #version 450
            #extension GL_KHR_shader_subgroup_clustered : require
            layout(local_size_x = 32) in;
            layout(std430, binding = 0) buffer A { float a[]; };
            void main() { a[gl_GlobalInvocationID.x] = subgroupClusteredAdd(a[gl_GlobalInvocationID.x], 4); }
            """;
        var spirv = new GlslcCompiler().Compile([new ShaderSource("clustered", clustered)])[0];
        var source = engines.For("vulkan");
        string kernel;
        using (var file = EngineFile.Open(source)) kernel = file.Manifest.Kernels[0].Name;
        // The subgroup variant: the one lavapipe runs by default (it reports subgroup arithmetic).
        var engine = Rewrite("lacking-feature.llmc", source, replace: (VulkanKernelVariants.Section(kernel, subgroups: true), spirv));
        AssertOneLineError(LlmcCli.Run("run", engine, "--prompt", "hi"), "subgroup clustered ops", kernel);
    }

    [VulkanFact]
    public void Engine_needing_more_memory_than_the_device_has()
    {
        var engine = Rewrite("huge.llmc", engines.For("vulkan"), manifest: m => m with { Plan = m.Plan with { ActivationBytes = 1L << 50 } });
        AssertOneLineError(LlmcCli.Run("run", engine, "--prompt", "hi"), "out of device memory", engine);
    }

    /// <summary>A copy of an engine with sections left out or replaced and the manifest changed.</summary>
    private string Rewrite(string name, string source, Func<string, bool>? skip = null, (string Section, byte[] Bytes)? replace = null,
        Func<EngineManifest, EngineManifest>? manifest = null)
    {
        var path = Path.Combine(_dir, name);
        using var file = EngineFile.Open(source);
        using var writer = EngineWriter.Create(path);
        foreach (var s in file.Manifest.Sections)
        {
            if (skip?.Invoke(s.Name) == true) continue;
            writer.AddSection(s.Name, replace is { } r && r.Section == s.Name ? r.Bytes : file.Section(s.Name));
        }
        writer.Commit(manifest?.Invoke(file.Manifest) ?? file.Manifest);
        return path;
    }

    private static void AssertOneLineError(LlmcCli.Result result, string mentioned, string? alsoMentioned = null)
    {
        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(mentioned, line);
        if (alsoMentioned is not null) Assert.Contains(alsoMentioned, line);
        Assert.DoesNotContain("   at ", result.Stderr);
        Assert.Equal("", result.Stdout);
    }
}
