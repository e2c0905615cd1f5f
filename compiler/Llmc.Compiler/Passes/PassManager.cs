using Llmc.Ir;

namespace Llmc.Compiler.Passes;

/// <summary>
/// Runs a pipeline: each pass, then the verifier when asked (always in tests; <c>LLMC_VERIFY=1</c> in builds),
/// then an IR dump when <c>LLMC_DUMP_IR</c> is set (numbered after the import dump, 00).
/// </summary>
public static class PassManager
{
    public const string VerifyVariable = "LLMC_VERIFY";

    public static bool VerifyFromEnvironment => Environment.GetEnvironmentVariable(VerifyVariable) == "1";

    /// <returns>The names of the passes that changed the graph.</returns>
    public static IReadOnlyList<string> Run(Graph graph, Pipeline pipeline, PassContext context, bool verify) =>
        Run(graph, pipeline.Passes.Select(PassRegistry.Get).ToList(), context, verify);

    public static IReadOnlyList<string> Run(Graph graph, IReadOnlyList<IPass> passes, PassContext context, bool verify)
    {
        var changed = new List<string>();
        for (var i = 0; i < passes.Count; i++)
        {
            var pass = passes[i];
            if (pass.Run(graph, context)) changed.Add(pass.Name);
            if (verify)
            {
                try
                {
                    Verifier.Verify(graph);
                }
                catch (IrException e)
                {
                    throw new IrException($"after pass '{pass.Name}': {e.Message}");
                }
            }
            IrDump.MaybeWrite(graph, i + 1, pass.Name);
        }
        return changed;
    }
}
