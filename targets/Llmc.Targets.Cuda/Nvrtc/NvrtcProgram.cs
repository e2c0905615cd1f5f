using System.Text;

namespace Llmc.Targets.Cuda.Nvrtc;

/// <summary>
/// One NVRTC compilation of a CUDA C translation unit for one GPU architecture: <c>compute_XX</c> yields PTX,
/// <c>sm_XX</c> yields a cubin. The program is destroyed when the compilation ends.
/// </summary>
public static unsafe class NvrtcProgram
{
    /// <summary>Compiled with a failure: NVRTC's log, whose <c>name(line)</c> positions refer to the source.</summary>
    public sealed class CompileFailure(string log) : Exception("NVRTC compilation failed")
    {
        public string Log { get; } = log;
    }

    /// <summary>Compiles <paramref name="source"/> for <paramref name="architecture"/> (<c>compute_80</c>, <c>sm_89</c>...).</summary>
    /// <exception cref="CompileFailure">The source has errors.</exception>
    public static byte[] Compile(string source, string name, string architecture, IEnumerable<string> options)
    {
        NvrtcLibrary.Require();
        NvrtcError.Check(NvrtcNative.nvrtcCreateProgram(out var program, source, name, 0, 0, 0), "nvrtcCreateProgram");
        try
        {
            string[] all = [$"--gpu-architecture={architecture}", .. options];
            var result = NvrtcNative.nvrtcCompileProgram(program, all.Length, all);
            if (result == NvrtcError.Compilation) throw new CompileFailure(Log(program));
            NvrtcError.Check(result, $"nvrtcCompileProgram for {architecture}");
            return architecture.StartsWith("sm_", StringComparison.Ordinal) ? Cubin(program) : Ptx(program);
        }
        finally
        {
            NvrtcNative.nvrtcDestroyProgram(ref program);
        }
    }

    private static string Log(nint program)
    {
        NvrtcError.Check(NvrtcNative.nvrtcGetProgramLogSize(program, out var size), "nvrtcGetProgramLogSize");
        var bytes = new byte[size];
        fixed (byte* p = bytes) NvrtcError.Check(NvrtcNative.nvrtcGetProgramLog(program, p), "nvrtcGetProgramLog");
        return Encoding.UTF8.GetString(bytes).TrimEnd('\0').Trim();
    }

    // The PTX is NUL-terminated text; the terminator is dropped so the section is exactly the PTX (the runtime
    // appends one when it hands the text to the driver).
    private static byte[] Ptx(nint program)
    {
        NvrtcError.Check(NvrtcNative.nvrtcGetPTXSize(program, out var size), "nvrtcGetPTXSize");
        var bytes = new byte[size];
        fixed (byte* p = bytes) NvrtcError.Check(NvrtcNative.nvrtcGetPTX(program, p), "nvrtcGetPTX");
        var end = Array.IndexOf(bytes, (byte)0);
        return end < 0 ? bytes : bytes[..end];
    }

    private static byte[] Cubin(nint program)
    {
        NvrtcError.Check(NvrtcNative.nvrtcGetCUBINSize(program, out var size), "nvrtcGetCUBINSize");
        var bytes = new byte[size];
        fixed (byte* p = bytes) NvrtcError.Check(NvrtcNative.nvrtcGetCUBIN(program, p), "nvrtcGetCUBIN");
        return bytes;
    }
}
