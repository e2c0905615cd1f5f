using System.CommandLine;
using System.Text.Json;
using Llmc.Runtime.Devices.Vulkan;

namespace Llmc.Cli.Commands;

/// <summary><c>llmc devices</c>: the Vulkan devices this machine offers, with the index <c>--device</c> takes.</summary>
public static class DevicesCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table" };
        var command = new Command("devices", "List the GPUs (Vulkan devices) engines can run on") { json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            using var instance = VulkanInstance.Create();
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(new { vulkan = instance.Devices.Select(Json) }, CliJson.Options));
            else Print(instance.Devices);
            return 0;
        }));
        return command;
    }

    private static void Print(IReadOnlyList<VulkanPhysicalDevice> devices)
    {
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
