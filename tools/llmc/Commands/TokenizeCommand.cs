using System.CommandLine;
using System.Text.Json;
using Llmc.Compiler.Frontends.Gguf;
using Llmc.Runtime;
using Llmc.Runtime.Format;
using Llmc.Runtime.Tokenization;

namespace Llmc.Cli.Commands;

/// <summary><c>llmc tokenize &lt;engine|folder|gguf&gt; --text T</c>: the token ids of a text.</summary>
public static class TokenizeCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source") { Description = "An engine file, a folder with tokenizer.json, or a GGUF file" };
        var text = new Option<string>("--text") { Description = "Text to tokenize", Required = true };
        var noBos = new Option<bool>("--no-bos") { Description = "Do not prepend BOS" };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\": [...]}" };
        var command = new Command("tokenize", "Show the token ids of a text") { source, text, noBos, json };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var tokenizer = new Tokenizer(Load(parse.GetRequiredValue(source)));
            var ids = tokenizer.Encode(parse.GetRequiredValue(text), parse.GetValue(noBos) ? false : null);
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, int[]> { ["ids"] = ids }, CliJson.Options));
            }
            else
            {
                foreach (var id in ids) Console.WriteLine($"{id,8} {JsonSerializer.Serialize(tokenizer.PieceOf(id), CliJson.Options)}");
            }
            return 0;
        }));
        return command;
    }

    private static TokenizerModel Load(string path)
    {
        if (Directory.Exists(path)) return HfTokenizerImport.Load(path);
        if (!File.Exists(path)) throw new ModelFileException(path, "no such file or folder");
        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            using var gguf = GgufFile.Open(path);
            return GgufTokenizerImport.Load(gguf);
        }
        using var engine = EngineFile.Open(path);
        return engine.ReadTokenizer();
    }
}
