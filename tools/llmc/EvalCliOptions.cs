using System.CommandLine;
using Llmc.Runtime;

namespace Llmc.Cli;

/// <summary>The options every <c>llmc eval</c> command takes: the text (<c>--file</c>), <c>--ctx</c>, <c>--threads</c>, <c>--json</c>.</summary>
public sealed class EvalCliOptions
{
    private readonly Option<string> _file = new("--file", "-f") { Description = "UTF-8 text to score", Required = true };
    private readonly Option<int> _ctx = new("--ctx", "-c") { Description = "Tokens per chunk; the second half of each chunk is scored", DefaultValueFactory = _ => 512 };
    private readonly Option<int?> _threads = new("--threads") { Description = "CPU threads (default: all cores)" };
    private readonly Option<bool> _json = new("--json") { Description = "Print one JSON object instead of lines" };

    public void AddTo(Command command)
    {
        command.Options.Add(_file);
        command.Options.Add(_ctx);
        command.Options.Add(_threads);
        command.Options.Add(_json);
    }

    /// <summary>The text file's path and contents, refused when there is no such file.</summary>
    public (string Path, string Text) ReadText(ParseResult parse)
    {
        var path = parse.GetRequiredValue(_file);
        return File.Exists(path) ? (path, File.ReadAllText(path)) : throw new LlmcException($"{path}: no such file");
    }

    public int Ctx(ParseResult parse) => parse.GetValue(_ctx);

    /// <summary>Loads an engine with a KV pool of one whole context: evaluation runs its chunks one after another.</summary>
    public Engine Load(ParseResult parse, string path) =>
        Engine.Load(path, new EngineOptions { Threads = parse.GetValue(_threads), KvPool = new() { MaxSequences = 1 } });

    public bool Json(ParseResult parse) => parse.GetValue(_json);
}
