namespace Llmc.Targets.Cuda;

/// <summary>The environment variable naming a folder where targets write the kernel source they render.</summary>
public static class KernelDump
{
    public const string Variable = "LLMC_DUMP_KERNELS";
}
