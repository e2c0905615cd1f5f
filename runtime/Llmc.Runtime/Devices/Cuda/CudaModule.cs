using System.Text;

namespace Llmc.Runtime.Devices.Cuda;

/// <summary>
/// An engine's kernels loaded into the current context from one code section: a cubin as is, or PTX compiled by the
/// driver's JIT, whose error log becomes the message when it fails.
/// </summary>
public sealed unsafe class CudaModule : IDisposable
{
    private const int JitErrorLogBuffer = 5;
    private const int JitErrorLogBufferSize = 6;
    private const int LogBytes = 16 * 1024;

    private nint _module;

    private CudaModule(nint module) => _module = module;

    /// <summary>Loads <paramref name="code"/> (a cubin, or PTX text without its terminator) from section <paramref name="section"/>.</summary>
    public static CudaModule Load(ReadOnlySpan<byte> code, string format, string section)
    {
        // PTX goes to the driver as a NUL-terminated string; a cubin is an ELF image and is passed as is.
        var image = new byte[code.Length + (format == CudaKernelAbi.PtxFormat ? 1 : 0)];
        code.CopyTo(image);
        var log = new byte[LogBytes];
        int result;
        nint module;
        fixed (byte* imagePointer = image)
        fixed (byte* logPointer = log)
        {
            var options = stackalloc int[] { JitErrorLogBuffer, JitErrorLogBufferSize };
            var values = stackalloc void*[] { logPointer, (void*)LogBytes };
            result = CudaNative.cuModuleLoadDataEx(out module, imagePointer, 2, options, values);
        }
        if (result != CudaResult.Success)
        {
            var jitLog = Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
            throw new LlmcException($"loading the CUDA kernels of section '{section}' ({format}) failed: {CudaResult.Describe(result)}"
                + (jitLog.Length > 0 ? $"; JIT log: {jitLog}" : ""));
        }
        return new CudaModule(module);
    }

    /// <summary>The kernel function named <paramref name="entry"/>.</summary>
    public nint Function(string entry)
    {
        var result = CudaNative.cuModuleGetFunction(out var function, _module, entry);
        if (result != CudaResult.Success) throw new LlmcException($"the CUDA kernels have no entry point '{entry}': {CudaResult.Describe(result)}");
        return function;
    }

    public void Dispose()
    {
        if (_module == 0) return;
        CudaNative.cuModuleUnload(_module);
        _module = 0;
    }
}
