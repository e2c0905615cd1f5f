namespace Llmc.Ir;

/// <summary>Writes the graph after each compiler step when <c>LLMC_DUMP_IR</c> names a directory, to see what a pass did.</summary>
public static class IrDump
{
    public const string EnvironmentVariable = "LLMC_DUMP_IR";

    /// <summary>Writes <c>{index:00}-{passName}.ir</c> into the dump directory (creating it); does nothing when the variable is unset.</summary>
    public static void MaybeWrite(Graph g, int index, string passName)
    {
        var directory = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrEmpty(directory)) return;
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, $"{index:00}-{passName}.ir"), Printer.Print(g));
    }
}
