namespace Llmc.Runtime.Tokenization;

/// <summary>What two adjacent tokens merge into, and how urgently (lower <paramref name="Priority"/> merges first).</summary>
internal readonly record struct MergeRule(double Priority, int MergedId);
