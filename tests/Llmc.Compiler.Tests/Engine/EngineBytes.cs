using System.Buffers.Binary;

namespace Llmc.Compiler.Tests.Engine;

/// <summary>Reads header fields straight from an engine's bytes, so corruption tests can aim at a known place.</summary>
internal static class EngineBytes
{
    public static long ManifestOffset(byte[] engine) => BinaryPrimitives.ReadInt64LittleEndian(engine.AsSpan(16));

    public static long ManifestLength(byte[] engine) => BinaryPrimitives.ReadInt64LittleEndian(engine.AsSpan(24));

    public static ReadOnlySpan<byte> Manifest(byte[] engine) =>
        engine.AsSpan((int)ManifestOffset(engine), (int)ManifestLength(engine));
}
