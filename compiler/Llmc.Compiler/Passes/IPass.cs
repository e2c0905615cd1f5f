using Llmc.Ir;

namespace Llmc.Compiler.Passes;

/// <summary>One graph transformation. It edits the graph in place and says whether it changed anything.</summary>
public interface IPass
{
    /// <summary>The name pipelines and <c>llmc build --passes</c> use.</summary>
    string Name { get; }

    /// <summary>What the pass does, for <c>llmc build --passes list</c>.</summary>
    string Description { get; }

    bool Run(Graph graph, PassContext context);
}
