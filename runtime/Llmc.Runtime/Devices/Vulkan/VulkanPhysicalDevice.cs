using Llmc.Runtime.Devices.Vulkan.Interop;

namespace Llmc.Runtime.Devices.Vulkan;

/// <summary>One device the Vulkan loader reports: what <c>llmc devices</c> lists and what the runtime checks kernels against.</summary>
public sealed unsafe class VulkanPhysicalDevice
{
    private readonly VkPhysicalDeviceMemoryProperties _memory;

    internal VulkanPhysicalDevice(VkInstanceApi api, nint handle, int index, uint instanceApiVersion)
    {
        Api = api;
        Handle = handle;
        Index = index;
        VkPhysicalDeviceProperties properties;
        api.GetPhysicalDeviceProperties(handle, &properties);
        Name = VkStrings.FromFixed(properties.DeviceName, 256);
        Type = properties.DeviceType switch { 1 => "integrated GPU", 2 => "discrete GPU", 3 => "virtual GPU", 4 => "CPU", _ => "other" };
        TypeRank = properties.DeviceType switch { 2 => 0, 1 => 1, 3 => 2, 4 => 3, _ => 4 };
        ReportedApiVersion = properties.ApiVersion;
        ApiVersion = Math.Min(properties.ApiVersion, instanceApiVersion);
        var limits = properties.Limits;
        MinStorageBufferOffsetAlignment = limits.MinStorageBufferOffsetAlignment;
        MaxStorageBufferRange = limits.MaxStorageBufferRange;
        MaxPushConstantsSize = limits.MaxPushConstantsSize;
        MaxWorkGroupInvocations = limits.MaxComputeWorkGroupInvocations;
        MaxWorkGroupSizeX = limits.MaxComputeWorkGroupSize[0];
        MaxWorkGroupCountX = limits.MaxComputeWorkGroupCount[0];
        MaxWorkGroupCountY = limits.MaxComputeWorkGroupCount[1];
        TimestampPeriodNs = limits.TimestampPeriod;

        VkPhysicalDeviceMemoryProperties memory;
        api.GetPhysicalDeviceMemoryProperties(handle, &memory);
        _memory = memory;
        for (var i = 0; i < memory.MemoryHeapCount; i++)
            if ((memory.MemoryHeaps[i].Flags & Vk.MemoryHeap.DeviceLocal) != 0) DeviceLocalBytes += (long)memory.MemoryHeaps[i].Size;

        (ComputeQueueFamily, TimestampValidBits) = FindComputeQueue(api, handle);
        Extensions = ReadExtensions(api, handle);
        (Features, SubgroupSize) = ReadFeatures(api, handle);
        if (Extensions.Contains("VK_KHR_cooperative_matrix") || Extensions.Contains("VK_NV_cooperative_matrix"))
            Features |= ShaderFeatures.CooperativeMatrix;
    }

    /// <summary>The position in the loader's list: what <c>--device</c> and <c>LLMC_VULKAN_DEVICE</c> take.</summary>
    public int Index { get; }

    public string Name { get; }

    /// <summary><c>discrete GPU</c>, <c>integrated GPU</c>, <c>virtual GPU</c>, <c>CPU</c> or <c>other</c>.</summary>
    public string Type { get; }

    /// <summary>The Vulkan version usable with this device: the lower of the device's and the instance's.</summary>
    public uint ApiVersion { get; }

    /// <summary>The Vulkan version the driver reports, e.g. 1.3.230.</summary>
    public uint ReportedApiVersion { get; }

    public string ApiVersionText => $"{Vk.ApiMajor(ReportedApiVersion)}.{Vk.ApiMinor(ReportedApiVersion)}.{Vk.ApiPatch(ReportedApiVersion)}";

    /// <summary>Total size of the device-local memory heaps.</summary>
    public long DeviceLocalBytes { get; }

    /// <summary>Optional shader features the device offers.</summary>
    public ShaderFeatures Features { get; }

    /// <summary>Threads per subgroup; 0 when the device has no subgroup support (Vulkan 1.0).</summary>
    public uint SubgroupSize { get; }

    /// <summary>A queue family that can run compute work, or -1 if there is none.</summary>
    public int ComputeQueueFamily { get; }

    /// <summary>Valid bits of that queue's timestamps; 0 when it cannot write them.</summary>
    public uint TimestampValidBits { get; }

    public float TimestampPeriodNs { get; }

    public ulong MinStorageBufferOffsetAlignment { get; }

    public uint MaxStorageBufferRange { get; }

    public uint MaxPushConstantsSize { get; }

    public uint MaxWorkGroupInvocations { get; }

    public uint MaxWorkGroupSizeX { get; }

    public uint MaxWorkGroupCountX { get; }

    public uint MaxWorkGroupCountY { get; }

    public IReadOnlySet<string> Extensions { get; }

    internal VkInstanceApi Api { get; }

    internal nint Handle { get; }

    /// <summary>Lower is preferred when no device is chosen: discrete, integrated, virtual, CPU, other.</summary>
    internal int TypeRank { get; }

    public override string ToString() => $"device {Index} ({Name})";

    /// <summary>Why this device cannot run kernels with these requirements, or null if it can.</summary>
    public string? Lacks(SpirvRequirements needs, string kernel)
    {
        if (ComputeQueueFamily < 0) return $"Vulkan device {Index} ({Name}) has no compute queue";
        if (needs.MinApiVersion > ApiVersion)
            return $"kernel '{kernel}' needs Vulkan {Vk.ApiMajor(needs.MinApiVersion)}.{Vk.ApiMinor(needs.MinApiVersion)}; Vulkan device {Index} ({Name}) offers {Vk.ApiMajor(ApiVersion)}.{Vk.ApiMinor(ApiVersion)}";
        var missing = needs.Features & ~Features;
        return missing == ShaderFeatures.None ? null
            : $"Vulkan device {Index} ({Name}) lacks {missing.Describe()}, required by kernel '{kernel}'";
    }

    /// <summary>
    /// The index of a memory type allowed by <paramref name="allowedTypes"/> having all <paramref name="required"/> flags,
    /// preferring one that also has <paramref name="preferred"/>; -1 if none.
    /// </summary>
    internal int MemoryType(uint allowedTypes, uint required, uint preferred)
    {
        var fallback = -1;
        for (var i = 0; i < _memory.MemoryTypeCount; i++)
        {
            var flags = _memory.MemoryTypes[i].PropertyFlags;
            if ((allowedTypes & (1u << i)) == 0 || (flags & required) != required) continue;
            if ((flags & preferred) == preferred) return i;
            if (fallback < 0) fallback = i;
        }
        return fallback;
    }

    private static (int Family, uint TimestampBits) FindComputeQueue(VkInstanceApi api, nint handle)
    {
        uint count = 0;
        api.GetPhysicalDeviceQueueFamilyProperties(handle, &count, null);
        var families = new VkQueueFamilyProperties[count];
        fixed (VkQueueFamilyProperties* p = families) api.GetPhysicalDeviceQueueFamilyProperties(handle, &count, p);
        for (var i = 0; i < count; i++)
            if ((families[i].QueueFlags & Vk.QueueFlags.Compute) != 0) return (i, families[i].TimestampValidBits);
        return (-1, 0);
    }

    private static HashSet<string> ReadExtensions(VkInstanceApi api, nint handle)
    {
        uint count = 0;
        VkCheck.Ok(api.EnumerateDeviceExtensionProperties(handle, null, &count, null), "listing device extensions");
        var properties = new VkExtensionProperties[count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        fixed (VkExtensionProperties* p = properties)
        {
            VkCheck.Ok(api.EnumerateDeviceExtensionProperties(handle, null, &count, p), "listing device extensions");
            for (var i = 0; i < count; i++) names.Add(VkStrings.FromFixed(p[i].ExtensionName, 256));
        }
        return names;
    }

    private (ShaderFeatures, uint SubgroupSize) ReadFeatures(VkInstanceApi api, nint handle)
    {
        // Optional features are queried through Vulkan 1.1's feature chain; a 1.0 device gets the plain path only.
        if (ApiVersion < Vk.ApiVersion11 || api.GetPhysicalDeviceFeatures2 == null) return (ShaderFeatures.None, 0);

        var features = ShaderFeatures.None;

        var storage16 = new VkPhysicalDevice16BitStorageFeatures { SType = VkStructureType.PhysicalDevice16BitStorageFeatures };
        var storage8 = new VkPhysicalDevice8BitStorageFeatures { SType = VkStructureType.PhysicalDevice8BitStorageFeatures };
        var float16Int8 = new VkPhysicalDeviceShaderFloat16Int8Features { SType = VkStructureType.PhysicalDeviceShaderFloat16Int8Features };
        var query = new VkPhysicalDeviceFeatures2 { SType = VkStructureType.PhysicalDeviceFeatures2, PNext = (nint)(&storage16) };
        // The 1.2 feature structures may only be chained where the device speaks 1.2.
        if (ApiVersion >= Vk.ApiVersion12)
        {
            storage16.PNext = (nint)(&storage8);
            storage8.PNext = (nint)(&float16Int8);
        }
        api.GetPhysicalDeviceFeatures2(handle, &query);
        var core = query.Features;
        if (core.Flags[VkPhysicalDeviceFeatures.ShaderInt16] != 0) features |= ShaderFeatures.Int16;
        if (core.Flags[VkPhysicalDeviceFeatures.ShaderInt64] != 0) features |= ShaderFeatures.Int64;
        if (core.Flags[VkPhysicalDeviceFeatures.ShaderFloat64] != 0) features |= ShaderFeatures.Float64;
        if (storage16.StorageBuffer16BitAccess != 0) features |= ShaderFeatures.Storage16Bit;
        if (storage8.StorageBuffer8BitAccess != 0) features |= ShaderFeatures.Storage8Bit;
        if (float16Int8.ShaderFloat16 != 0) features |= ShaderFeatures.Float16;
        if (float16Int8.ShaderInt8 != 0) features |= ShaderFeatures.Int8;

        var subgroup = new VkPhysicalDeviceSubgroupProperties { SType = VkStructureType.PhysicalDeviceSubgroupProperties };
        var properties = new VkPhysicalDeviceProperties2 { SType = VkStructureType.PhysicalDeviceProperties2, PNext = (nint)(&subgroup) };
        api.GetPhysicalDeviceProperties2(handle, &properties);
        if ((subgroup.SupportedStages & Vk.ShaderStage.Compute) != 0)
            features |= SubgroupFeatures(subgroup.SupportedOperations);
        return (features, subgroup.SubgroupSize);
    }

    private static ShaderFeatures SubgroupFeatures(uint operations)
    {
        var features = ShaderFeatures.None;
        if ((operations & Vk.SubgroupOps.Basic) != 0) features |= ShaderFeatures.SubgroupBasic;
        if ((operations & Vk.SubgroupOps.Vote) != 0) features |= ShaderFeatures.SubgroupVote;
        if ((operations & Vk.SubgroupOps.Arithmetic) != 0) features |= ShaderFeatures.SubgroupArithmetic;
        if ((operations & Vk.SubgroupOps.Ballot) != 0) features |= ShaderFeatures.SubgroupBallot;
        if ((operations & Vk.SubgroupOps.Shuffle) != 0) features |= ShaderFeatures.SubgroupShuffle;
        if ((operations & Vk.SubgroupOps.ShuffleRelative) != 0) features |= ShaderFeatures.SubgroupShuffleRelative;
        if ((operations & Vk.SubgroupOps.Clustered) != 0) features |= ShaderFeatures.SubgroupClustered;
        if ((operations & Vk.SubgroupOps.Quad) != 0) features |= ShaderFeatures.SubgroupQuad;
        return features;
    }
}
