using System.Text.Json;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests;

/// <summary>
/// <c>llmc template</c> prints exactly what transformers renders for a request (no newline added), from a model folder,
/// a tokenizer_config.json, a .jinja file or an engine; <c>llmc build --chat-template</c> sets an engine's template and
/// refuses one that does not parse.
/// </summary>
[Collection(StoriesCollection.Name)]
public sealed class TemplateCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llmc-template-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("llama3-tokenizer", "")]
    [InlineData("qwen3-tokenizer", "tokenizer_config.json")]
    [InlineData("gemma3-tokenizer", "")]
    public void Renders_a_tokenizer_folders_expected_chat_exactly(string folder, string file)
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Model(folder, "expected-chat.json")));
        var c = expected.RootElement.GetProperty("cases").EnumerateArray().Last(c => c.TryGetProperty("rendered", out _));
        var request = Path.Combine(_dir, "request.json");
        var fields = new Dictionary<string, JsonElement> { ["messages"] = c.GetProperty("messages"), ["add_generation_prompt"] = c.GetProperty("add_generation_prompt") };
        if (c.TryGetProperty("tools", out var tools)) fields["tools"] = tools;
        if (c.TryGetProperty("template_kwargs", out var kwargs)) foreach (var p in kwargs.EnumerateObject()) fields[p.Name] = p.Value;
        File.WriteAllText(request, JsonSerializer.Serialize(fields));

        var result = LlmcCli.Run("template", Path.Combine(TestPaths.Model(folder), file), "--request", request);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Equal(c.GetProperty("rendered").GetString(), result.Stdout);
    }

    [Fact]
    public void Build_sets_the_engines_template_and_template_renders_it_with_the_engines_tokens()
    {
        var engine = Path.Combine(_dir, "chat.llmc");
        var build = LlmcCli.Run("build", StoriesEngines.Source, "--target", "cpu-avx2", "-o", engine,
            "--chat-template", TestPaths.Model("chat-templates", "google-gemma-2-2b-it.jinja"));
        Assert.True(build.ExitCode == 0, build.Stderr);

        var request = Path.Combine(_dir, "request.json");
        File.WriteAllText(request, """{"messages": [{"role": "user", "content": "Hi"}]}""");
        var result = LlmcCli.Run("template", engine, "--request", request);
        Assert.True(result.ExitCode == 0, result.Stderr);
        // stories260K's BOS is <s>; add_generation_prompt defaults to true.
        Assert.Equal("<s><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n", result.Stdout);
    }

    [Fact]
    public void A_template_that_does_not_parse_fails_the_build_naming_file_construct_and_line()
    {
        var template = Path.Combine(_dir, "bad.jinja");
        File.WriteAllText(template, "{{ bos_token }}\n{% include 'other.jinja' %}");
        var engine = Path.Combine(_dir, "bad.llmc");
        var result = LlmcCli.Run("build", StoriesEngines.Source, "--target", "cpu-avx2", "-o", engine, "--chat-template", template);
        Assert.Equal(1, result.ExitCode);
        var line = Assert.Single(result.StderrLines);
        Assert.Contains(template, line);
        Assert.Contains("line 2: unsupported template statement 'include'", line);
        Assert.False(File.Exists(engine));
    }

    [Fact]
    public void A_request_the_template_refuses_is_one_line_with_the_templates_message()
    {
        var request = Path.Combine(_dir, "request.json");
        File.WriteAllText(request, """{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}""");
        var result = LlmcCli.Run("template", TestPaths.Model("chat-templates", "google-gemma-2-2b-it.jinja"), "--request", request);
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("error: the chat template refused the request: System role not supported", Assert.Single(result.StderrLines));
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("""{"messages": [}""", "not valid JSON")]
    [InlineData("""{"add_generation_prompt": true}""", "the request has no 'messages'")]
    [InlineData("""[1, 2]""", "the request must be a JSON object")]
    public void Malformed_requests_are_refused_by_name(string json, string message)
    {
        var request = Path.Combine(_dir, "request.json");
        File.WriteAllText(request, json);
        var result = LlmcCli.Run("template", TestPaths.Model("llama3-tokenizer"), "--request", request);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, Assert.Single(result.StderrLines));
    }

    [Fact]
    public void A_model_without_a_template_says_how_to_give_one()
    {
        var request = Path.Combine(_dir, "request.json");
        File.WriteAllText(request, """{"messages": []}""");
        var result = LlmcCli.Run("template", StoriesEngines.Source, "--request", request);
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("has no chat template (give one to llmc build with --chat-template FILE)", Assert.Single(result.StderrLines));
    }
}
