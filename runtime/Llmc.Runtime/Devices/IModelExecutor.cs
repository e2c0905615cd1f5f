using Llmc.Runtime.Plan;

namespace Llmc.Runtime.Devices;

/// <summary>
/// Runs an engine's plan on one device: one forward step over up to <see cref="MaxSeq"/> token rows of any sequences,
/// whose keys and values live in a pool of <see cref="Pool"/> blocks (sized when the engine was loaded).
/// </summary>
public interface IModelExecutor : IDisposable
{
    int MaxSeq { get; }

    /// <summary>The longest sequence: positions must stay below it.</summary>
    int Context { get; }

    int VocabSize { get; }

    /// <summary>The KV block pool every attention layer's caches hold.</summary>
    KvPoolSize Pool { get; }

    /// <summary>
    /// Writes the rows' keys and values into their sequences' KV blocks and returns the logits of the step's logit rows,
    /// row-major [rows, vocab]. The span is valid until the next call.
    /// </summary>
    ReadOnlySpan<float> Forward(StepBatch step);
}
