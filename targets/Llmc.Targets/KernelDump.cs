namespace Llmc.Targets;

/// <summary>
/// <c>LLMC_DUMP_KERNELS=dir</c>: every target writes the kernel source it renders into that folder, so a kernel can be
/// read (or fed to its toolchain by hand) exactly as the build compiled it.
/// </summary>
public static class KernelDump
{
    public const string Variable = "LLMC_DUMP_KERNELS";

    /// <summary>Writes each (file name, source) pair into the dump folder when the variable names one.</summary>
    public static void Write(IEnumerable<(string FileName, string Source)> files)
    {
        if (Environment.GetEnvironmentVariable(Variable) is not { Length: > 0 } folder) return;
        Directory.CreateDirectory(folder);
        foreach (var (name, source) in files) File.WriteAllText(Path.Combine(folder, name), source);
    }
}
