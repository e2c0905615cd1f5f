using System.Text;

namespace Llmc.Runtime.Devices.Vulkan.Interop;

/// <summary>Conversions between .NET strings and the NUL-terminated UTF-8 strings Vulkan takes and returns.</summary>
internal static unsafe class VkStrings
{
    public static byte[] ToNulTerminated(string s) => Encoding.UTF8.GetBytes(s + "\0");

    /// <summary>The string in a fixed-size <c>char[max]</c> member, up to its NUL.</summary>
    public static string FromFixed(byte* chars, int max)
    {
        var span = new ReadOnlySpan<byte>(chars, max);
        var end = span.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? span : span[..end]);
    }
}
