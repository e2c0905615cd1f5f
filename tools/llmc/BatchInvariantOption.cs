using System.CommandLine;
using Llmc.Runtime;

namespace Llmc.Cli;

/// <summary><c>--batch-invariant</c> for the commands that batch requests (<c>serve</c>, <c>bench</c>): <see cref="EngineOptions.BatchInvariant"/>.</summary>
public static class BatchInvariantOption
{
    public static Option<bool> Create() => new("--batch-invariant")
    {
        Description = "Give every request the tokens it gets alone on every target: CUDA engines with f16/bf16 weights then prefill without tensor cores (slower); other engines are batch-invariant already",
    };
}
