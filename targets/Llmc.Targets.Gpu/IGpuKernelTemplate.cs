namespace Llmc.Targets.Gpu;

/// <summary>
/// One op's SIMT kernel, written once for every <see cref="GpuDialect"/>: the launch shape it wants for an instance,
/// and the body of its entry point.
/// </summary>
public interface IGpuKernelTemplate
{
    GpuKernelShape Shape(KernelInstance instance);

    void Render(GpuKernelSource kernel);
}
