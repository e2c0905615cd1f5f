using System.Text.Json;
using Llmc.Runtime.Templates;
using Llmc.Tests;

namespace Llmc.Runtime.Tests.Templates;

/// <summary>
/// The shared corpus of real chat templates with transformers' renderings: <c>../shared/models/chat-templates</c>
/// (template and special tokens named in each expected file) and the tokenizer folders' <c>expected-chat.json</c>
/// (template and special tokens from their <c>tokenizer_config.json</c>).
/// </summary>
public static class ChatTemplateCorpus
{
    /// <summary>The fixed clock the expected renderings used for <c>strftime_now</c>.</summary>
    public static readonly DateTime Now = new(2024, 7, 26, 0, 0, 0, DateTimeKind.Utc);

    public static readonly string[] TokenizerFolders = ["qwen3-tokenizer", "gemma3-tokenizer", "llama3-tokenizer"];

    /// <summary>Every (source, case index): a chat-templates expected file's name, or a tokenizer folder's.</summary>
    public static IEnumerable<(string Source, int Case)> Cases()
    {
        foreach (var file in Directory.GetFiles(TestPaths.Model("chat-templates"), "*.expected.json").Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file)[..^".expected.json".Length];
            for (var i = 0; i < CaseCount(file); i++) yield return (name, i);
        }
        foreach (var folder in TokenizerFolders)
            for (var i = 0; i < CaseCount(TestPaths.Model(folder, "expected-chat.json")); i++) yield return (folder, i);
    }

    public static (string Template, Dictionary<string, string?> SpecialTokens, JsonElement Cases) Load(string source)
    {
        if (TokenizerFolders.Contains(source))
        {
            using var config = JsonDocument.Parse(File.ReadAllText(TestPaths.Model(source, "tokenizer_config.json")));
            var tokens = SpecialTokens.FromTokenizerConfig(config.RootElement);
            var expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Model(source, "expected-chat.json")));
            return (config.RootElement.GetProperty("chat_template").GetString()!, tokens, expected.RootElement.GetProperty("cases"));
        }
        var file = JsonDocument.Parse(File.ReadAllText(TestPaths.Model("chat-templates", source + ".expected.json"))).RootElement;
        var template = File.ReadAllText(TestPaths.Model("chat-templates", file.GetProperty("template").GetString()!));
        var special = SpecialTokens.FromTokenizerConfig(file.GetProperty("special_tokens"));
        return (template, special, file.GetProperty("cases"));
    }

    /// <summary>The request a case renders: its messages, tools, add_generation_prompt and template kwargs as variables.</summary>
    public static Dictionary<string, object?> Variables(JsonElement c)
    {
        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = TemplateJson.FromJson(c.GetProperty("messages")),
            ["add_generation_prompt"] = c.TryGetProperty("add_generation_prompt", out var add) ? add.GetBoolean() : true,
        };
        if (c.TryGetProperty("tools", out var tools)) variables["tools"] = TemplateJson.FromJson(tools);
        if (c.TryGetProperty("template_kwargs", out var kwargs))
            foreach (var p in kwargs.EnumerateObject()) variables[p.Name] = TemplateJson.FromJson(p.Value);
        return variables;
    }

    private static int CaseCount(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(file));
        return doc.RootElement.GetProperty("cases").GetArrayLength();
    }
}
