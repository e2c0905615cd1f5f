namespace Llmc.Targets.Emit;

/// <summary>
/// What a kernel template needs to know about the language it is rendered in, in the spirit of tinygrad's
/// <c>CStyleLanguage</c>: how a kernel names its own worker index and the worker count, and how it spells
/// scalar math. Each target language derives its record from this one and adds its vector or thread vocabulary.
/// </summary>
public abstract record Dialect(string Target)
{
    /// <summary>The expression for this worker's index among the kernel's parallel workers.</summary>
    public abstract string TaskIndex { get; }

    /// <summary>The expression for the number of parallel workers.</summary>
    public abstract string TaskCount { get; }

    /// <summary>A scalar call of <paramref name="function"/> on <paramref name="argument"/> (double on the CPU, f32 on the GPUs).</summary>
    public abstract string Call(MathFunction function, string argument);
}

/// <summary>Scalar math functions every dialect spells in its own way.</summary>
public enum MathFunction
{
    Exp,
    Sqrt,
    Sin,
    Cos,
    Tanh,
}
