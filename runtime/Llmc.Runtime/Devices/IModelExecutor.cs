namespace Llmc.Runtime.Devices;

/// <summary>Runs an engine's plan on one device: one forward step over up to <see cref="MaxSeq"/> tokens.</summary>
public interface IModelExecutor : IDisposable
{
    int MaxSeq { get; }

    /// <summary>KV cache length: positions must stay below it.</summary>
    int Context { get; }

    int VocabSize { get; }

    /// <summary>
    /// Writes the tokens' keys and values into the KV cache at their positions and returns the logits of
    /// <paramref name="logitRows"/> (row indices into this step), row-major [rows, vocab]. The span is valid until the next call.
    /// </summary>
    ReadOnlySpan<float> Forward(ReadOnlySpan<int> tokens, ReadOnlySpan<int> positions, ReadOnlySpan<int> logitRows);
}
