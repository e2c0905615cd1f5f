namespace Llmc.Targets.Conformance;

/// <summary>
/// How one conformance case went on a target: the largest relative L2 error over its results and states (NaN where
/// none could be measured), the bound it is held to, and why it failed (null when it passed).
/// </summary>
public sealed record CaseOutcome(string Case, double Error, double Tolerance, string? Failure)
{
    public bool Passed => Failure is null;
}
