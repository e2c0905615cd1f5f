using System.Text;

namespace Llmc.Targets.Emit;

/// <summary>
/// Writes brace-structured source (C#, CUDA C, GLSL) line by line with indentation, and knows the number
/// of the line it writes next so a toolchain's error position can be traced back to the kernel that rendered it.
/// </summary>
public sealed class SourceWriter
{
    private const string IndentUnit = "    ";

    private readonly StringBuilder _text = new();
    private int _depth;

    /// <summary>The 1-based number of the next line to be written.</summary>
    public int NextLine { get; private set; } = 1;

    public SourceWriter Line(string line = "")
    {
        if (line.Length > 0)
        {
            for (var i = 0; i < _depth; i++) _text.Append(IndentUnit);
            _text.Append(line);
        }
        _text.Append('\n');
        NextLine++;
        return this;
    }

    /// <summary>Writes <paramref name="header"/> (none when empty) and an opening brace; disposing the result closes the block.</summary>
    public IDisposable Block(string header)
    {
        if (header.Length > 0) Line(header);
        Line("{");
        _depth++;
        return new BlockEnd(this);
    }

    public override string ToString() => _text.ToString();

    private sealed class BlockEnd(SourceWriter writer) : IDisposable
    {
        private bool _closed;

        public void Dispose()
        {
            if (_closed) return;
            _closed = true;
            writer._depth--;
            writer.Line("}");
        }
    }
}
