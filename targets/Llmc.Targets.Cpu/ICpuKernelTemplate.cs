namespace Llmc.Targets.Cpu;

/// <summary>Renders the body of one op's CPU kernel; the target writes the method around it.</summary>
public interface ICpuKernelTemplate
{
    void Render(KernelSource kernel);
}
