using System.CommandLine;

namespace Llmc.Cli.Commands;

/// <summary><c>llmc eval</c>: groups the ways of judging an engine's quality: perplexity, and KL divergence from another engine.</summary>
public static class EvalCommand
{
    public static Command Create() => new("eval", "Measure an engine's quality") { EvalPplCommand.Create(), EvalKldCommand.Create() };
}
