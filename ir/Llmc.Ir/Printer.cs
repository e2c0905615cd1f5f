namespace Llmc.Ir;

/// <summary>Placeholder until the text printer lands.</summary>
public static class Printer
{
    public static string Print(Graph graph) => throw new NotImplementedException();
}
