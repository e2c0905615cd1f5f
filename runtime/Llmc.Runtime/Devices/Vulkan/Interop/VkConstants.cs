namespace Llmc.Runtime.Devices.Vulkan.Interop;

/// <summary>The <c>VkStructureType</c> values of the structures this binding passes.</summary>
internal enum VkStructureType
{
    ApplicationInfo = 0,
    InstanceCreateInfo = 1,
    DeviceQueueCreateInfo = 2,
    DeviceCreateInfo = 3,
    SubmitInfo = 4,
    MemoryAllocateInfo = 5,
    FenceCreateInfo = 8,
    QueryPoolCreateInfo = 11,
    BufferCreateInfo = 12,
    ShaderModuleCreateInfo = 16,
    PipelineShaderStageCreateInfo = 18,
    ComputePipelineCreateInfo = 29,
    PipelineLayoutCreateInfo = 30,
    DescriptorSetLayoutCreateInfo = 32,
    DescriptorPoolCreateInfo = 33,
    DescriptorSetAllocateInfo = 34,
    WriteDescriptorSet = 35,
    CommandPoolCreateInfo = 39,
    CommandBufferAllocateInfo = 40,
    CommandBufferBeginInfo = 42,
    MemoryBarrier = 46,
    PhysicalDeviceFeatures2 = 1000059000,
    PhysicalDeviceProperties2 = 1000059001,
    PhysicalDeviceShaderFloat16Int8Features = 1000082000,
    PhysicalDevice16BitStorageFeatures = 1000083000,
    PhysicalDeviceSubgroupProperties = 1000094000,
    PhysicalDevice8BitStorageFeatures = 1000177000,
}

/// <summary>Flag bits and enum values, grouped by the Vulkan type they belong to.</summary>
internal static class Vk
{
    public const uint ApiVersion10 = 1u << 22;
    public const uint ApiVersion11 = (1u << 22) | (1u << 12);
    public const uint ApiVersion12 = (1u << 22) | (2u << 12);
    public const uint ApiVersion13 = (1u << 22) | (3u << 12);
    public const ulong WholeSize = ulong.MaxValue;

    public static uint ApiMajor(uint version) => (version >> 22) & 0x7f;

    public static uint ApiMinor(uint version) => (version >> 12) & 0x3ff;

    public static uint ApiPatch(uint version) => version & 0xfff;

    public static class QueueFlags
    {
        public const uint Compute = 0x2;
    }

    public static class BufferUsage
    {
        public const uint TransferSrc = 0x1;
        public const uint TransferDst = 0x2;
        public const uint StorageBuffer = 0x20;
    }

    public static class MemoryProperty
    {
        public const uint DeviceLocal = 0x1;
        public const uint HostVisible = 0x2;
        public const uint HostCoherent = 0x4;
        public const uint HostCached = 0x8;
    }

    public static class MemoryHeap
    {
        public const uint DeviceLocal = 0x1;
    }

    public static class ShaderStage
    {
        public const uint Compute = 0x20;
    }

    public static class Access
    {
        public const uint ShaderRead = 0x20;
        public const uint ShaderWrite = 0x40;
        public const uint TransferRead = 0x800;
        public const uint TransferWrite = 0x1000;
        public const uint HostRead = 0x2000;
    }

    public static class PipelineStage
    {
        public const uint TopOfPipe = 0x1;
        public const uint ComputeShader = 0x800;
        public const uint Transfer = 0x1000;
        public const uint BottomOfPipe = 0x2000;
        public const uint Host = 0x4000;
    }

    public static class SubgroupOps
    {
        public const uint Basic = 0x1;
        public const uint Vote = 0x2;
        public const uint Arithmetic = 0x4;
        public const uint Ballot = 0x8;
        public const uint Shuffle = 0x10;
        public const uint ShuffleRelative = 0x20;
        public const uint Clustered = 0x40;
        public const uint Quad = 0x80;
    }

    public const int DescriptorTypeStorageBuffer = 7;
    public const int PipelineBindPointCompute = 1;
    public const int SharingModeExclusive = 0;
    public const int CommandBufferLevelPrimary = 0;
    public const uint CommandPoolResetCommandBuffer = 0x2;
    public const uint CommandBufferOneTimeSubmit = 0x1;
    public const int QueryTypeTimestamp = 2;
    public const uint QueryResult64Bit = 0x1;
    public const uint QueryResultWait = 0x2;
}
