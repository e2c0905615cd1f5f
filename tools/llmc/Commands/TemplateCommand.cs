using System.CommandLine;
using System.Text.Json;
using Llmc.Compiler.Frontends.Gguf;
using Llmc.Runtime;
using Llmc.Runtime.Format;
using Llmc.Runtime.Templates;
using Llmc.Runtime.Tokenization;

namespace Llmc.Cli.Commands;

/// <summary>
/// <c>llmc template &lt;source&gt; --request r.json</c>: the prompt a model's chat template renders for a request,
/// printed exactly (no newline added), as transformers' <c>apply_chat_template</c> would render it.
/// </summary>
public static class TemplateCommand
{
    public static Command Create()
    {
        var source = new Argument<string>("source")
        {
            Description = "An engine file, a model folder, a tokenizer_config.json, a GGUF file, or a .jinja template file",
        };
        var request = new Option<string>("--request")
        {
            Description = "JSON file: messages, optional tools, add_generation_prompt (default true) and any other template variables",
            Required = true,
        };
        var command = new Command("template", "Render a model's chat template for a request") { source, request };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var requestPath = parse.GetRequiredValue(request);
            if (!File.Exists(requestPath)) throw new ModelFileException(requestPath, "no such request file");
            using var json = ParseJson(requestPath);
            var (text, tokens) = Load(parse.GetRequiredValue(source));
            try
            {
                Console.Out.Write(ChatTemplate.Parse(text).Render(json.RootElement, tokens, DateTime.Now));
            }
            catch (TemplateException e) when (e.Raised)
            {
                throw new LlmcException($"the chat template refused the request: {e.Message}");
            }
            return 0;
        }));
        return command;
    }

    private static JsonDocument ParseJson(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new ModelFileException(path, $"not valid JSON: {e.Message}");
        }
    }

    /// <summary>The template text and the special tokens it is rendered with.</summary>
    private static (string Template, Dictionary<string, string?> Tokens) Load(string path)
    {
        if (Directory.Exists(path) || Path.GetFileName(path) == "tokenizer_config.json")
        {
            var folder = Directory.Exists(path) ? path : Path.GetDirectoryName(Path.GetFullPath(path))!;
            var template = HfTokenizerImport.ReadChatTemplate(folder) ?? throw NoTemplate(path);
            var config = Path.Combine(folder, "tokenizer_config.json");
            if (!File.Exists(config)) return (template, []);
            using var json = ParseJson(config);
            return (template, SpecialTokens.FromTokenizerConfig(json.RootElement));
        }
        if (!File.Exists(path)) throw new ModelFileException(path, "no such file or folder");
        if (path.EndsWith(".jinja", StringComparison.OrdinalIgnoreCase)) return (File.ReadAllText(path), []);
        if (path.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
        {
            using var gguf = GgufFile.Open(path);
            var model = GgufTokenizerImport.Load(gguf);
            return (model.ChatTemplate ?? throw NoTemplate(path), SpecialTokens.Of(model));
        }
        using var engine = EngineFile.Open(path);
        return (engine.Manifest.ChatTemplate ?? throw NoTemplate(path), SpecialTokens.Of(engine.ReadTokenizer()));
    }

    private static ModelFileException NoTemplate(string path) =>
        new(path, "has no chat template (give one to llmc build with --chat-template FILE)");
}
