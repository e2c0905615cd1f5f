namespace Llmc.Runtime.Plan;

/// <summary>Names of the graph inputs and outputs the runtime feeds and reads; model builders use the same names.</summary>
public static class PlanRoles
{
    /// <summary>i32[seq]: the step's token ids.</summary>
    public const string Tokens = "tokens";

    /// <summary>i32[seq]: each token's position in its sequence (its KV cache row).</summary>
    public const string Positions = "positions";

    /// <summary>i32[out]: which of the step's rows need logits.</summary>
    public const string LogitRows = "logit_rows";

    /// <summary>f32[out, vocab].</summary>
    public const string Logits = "logits";
}
