using System.CommandLine;
using System.Text.Json;
using Llmc.Runtime;
using Llmc.Runtime.Devices.Cuda;
using Llmc.Runtime.Devices.Vulkan;

namespace Llmc.Cli.Commands;

/// <summary>
/// <c>llmc devices</c>: the GPUs engines can run on, with the index <c>--device</c> takes: Vulkan devices (vulkan
/// engines) and CUDA devices (cuda-sm engines). Where either API is missing, the reason instead of a list.
/// </summary>
public static class DevicesCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var command = new Command("devices", "List the GPUs (Vulkan and CUDA devices) engines can run on") { json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var (vulkan, vulkanMissing) = VulkanDevices();
            var (cuda, cudaMissing) = CudaDevices();
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object?>
                {
                    ["vulkan"] = vulkan.Select(Json),
                    ["vulkan_missing"] = vulkanMissing,
                    ["cuda"] = cuda.Select((d, i) => new { index = i, name = d.Name, architecture = $"sm_{d.Architecture}", memory_bytes = d.TotalBytes }),
                    ["cuda_missing"] = cudaMissing,
                }, CliJson.Options));
                return 0;
            }
            Print(vulkan, vulkanMissing);
            if (cudaMissing is not null) Console.WriteLine($"cuda: {cudaMissing}");
            for (var i = 0; i < cuda.Count; i++)
                Console.WriteLine($"cuda {i}: {cuda[i].Name}, sm_{cuda[i].Architecture}, {cuda[i].TotalBytes / (1 << 20):N0} MiB");
            return 0;
        }));
        return command;
    }

    private static (IReadOnlyList<VulkanPhysicalDevice> Devices, string? Missing) VulkanDevices()
    {
        if (VulkanInstance.Unavailable() is { } missing) return ([], missing);
        using var instance = VulkanInstance.Create();
        return (instance.Devices, null);
    }

    /// <summary>Each GPU's name, architecture and memory (the devices are opened only to read them).</summary>
    private static (List<(string Name, int Architecture, long TotalBytes)> Devices, string? Missing) CudaDevices()
    {
        try
        {
            var devices = new List<(string, int, long)>();
            var count = CudaDevice.Count();
            for (var i = 0; i < count; i++)
            {
                using var device = CudaDevice.Open(i);
                devices.Add((device.Name, device.Architecture, device.TotalBytes));
            }
            return (devices, null);
        }
        catch (LlmcException e)
        {
            return ([], e.Message);
        }
    }

    private static void Print(IReadOnlyList<VulkanPhysicalDevice> devices, string? missing)
    {
        if (missing is not null)
        {
            Console.WriteLine($"vulkan: {missing}");
            return;
        }
        if (devices.Count == 0)
        {
            Console.WriteLine("no Vulkan devices");
            return;
        }
        foreach (var d in devices)
        {
            Console.WriteLine($"vulkan {d.Index}: {d.Name} ({d.Type}), Vulkan {d.ApiVersionText}, {d.DeviceLocalBytes / (1 << 20):N0} MiB device-local");
            Console.WriteLine($"  features: {d.Features.Describe()}{(d.SubgroupSize > 0 ? $"; subgroup size {d.SubgroupSize}" : "")}");
        }
    }

    private static Dictionary<string, object> Json(VulkanPhysicalDevice d) => new()
    {
        ["index"] = d.Index,
        ["name"] = d.Name,
        ["type"] = d.Type,
        ["api_version"] = d.ApiVersionText,
        ["device_local_bytes"] = d.DeviceLocalBytes,
        ["subgroup_size"] = d.SubgroupSize,
        ["storage_16bit"] = d.Features.HasFlag(ShaderFeatures.Storage16Bit),
        ["cooperative_matrix"] = d.Features.HasFlag(ShaderFeatures.CooperativeMatrix),
        ["features"] = d.Features.Describe(),
    };
}
