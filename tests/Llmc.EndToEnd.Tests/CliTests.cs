using System.Text.Json;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests;

/// <summary>The CLI's documented outputs, run as a separate process.</summary>
[Collection(StoriesCollection.Name)]
public sealed class CliTests(StoriesEngines engines)
{
    [Fact]
    public void Run_json_prints_one_object_with_the_reference_ids()
    {
        var (promptIds, expected) = ReferenceOutputs.Case("Once upon a time");
        var result = LlmcCli.Run("run", engines.For("cpu-avx2"), "--prompt", "Once upon a time", "--max-tokens", "200", "--temperature", "0", "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal(promptIds, root.GetProperty("prompt_tokens").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(expected[..200], root.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()));
        Assert.StartsWith(", there was a little girl named Lily.", root.GetProperty("text").GetString());
        Assert.Equal("length", root.GetProperty("finish_reason").GetString());
        Assert.True(root.GetProperty("stats").GetProperty("decode_tokens_per_s").GetDouble() > 0);
        Assert.True(root.GetProperty("stats").GetProperty("prefill_tokens_per_s").GetDouble() > 0);
    }

    [Fact]
    public void Run_streams_prompt_and_continuation()
    {
        var result = LlmcCli.Run("run", engines.For("cpu-avx2"), "--prompt", "Once upon a time", "--max-tokens", "12", "--temperature", "0");
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Once upon a time, there was a little girl named Lily", result.Stdout);
    }

    [Fact]
    public void Seeded_sampling_is_reproducible()
    {
        string[] args = ["run", engines.For("cpu-avx2"), "--prompt", "Once", "--max-tokens", "30", "--temperature", "1", "--seed", "7", "--json"];
        var a = LlmcCli.Run(args);
        var b = LlmcCli.Run(args);
        Assert.Equal(0, a.ExitCode);
        Assert.Equal(Tokens(a.Stdout), Tokens(b.Stdout));
    }

    [Theory]
    [InlineData("llamacpp-vocab-tests/ggml-vocab-llama-spm.gguf")]
    [InlineData("llamacpp-vocab-tests/ggml-vocab-gpt-2.gguf")]
    public void Tokenize_agrees_with_llama_cpp_expectations(string gguf)
    {
        var path = TestPaths.Model(gguf.Split('/'));
        var inputs = File.ReadAllText(path + ".inp").Split("\n__ggml_vocab_test__\n");
        var outputs = File.ReadAllLines(path + ".out");
        foreach (var i in new[] { 1, 5, 12, 30 })
        {
            var result = LlmcCli.Run("tokenize", path, "--text", inputs[i], "--no-bos", "--json");
            Assert.Equal(0, result.ExitCode);
            var expected = outputs[i].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse);
            using var doc = JsonDocument.Parse(result.Stdout);
            Assert.Equal(expected, doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        }
    }

    [Fact]
    public void Tokenize_an_engine_and_a_folder_alike()
    {
        var fromEngine = LlmcCli.Run("tokenize", engines.For("cpu-avx2"), "--text", "Once upon a time", "--json");
        var fromFolder = LlmcCli.Run("tokenize", StoriesEngines.Source, "--text", "Once upon a time", "--json");
        Assert.Equal("{\"ids\":[1,403,407,261,378]}", fromEngine.Stdout.Trim());
        Assert.Equal(fromEngine.Stdout, fromFolder.Stdout);
    }

    [Fact]
    public void Inspect_json_describes_the_engine()
    {
        var result = LlmcCli.Run("inspect", engines.For("cpu-avx2"), "--json");
        Assert.Equal(0, result.ExitCode);
        using var doc = JsonDocument.Parse(result.Stdout);
        var root = doc.RootElement;
        Assert.Equal("LlamaForCausalLM", root.GetProperty("architecture").GetString());
        Assert.Equal("cpu-avx2", root.GetProperty("target").GetString());
        // HF tensors plus RoPE frequencies, less what fusion stacks: per layer Q/K/V become one matrix, gate/up another.
        const int layers = 5;
        Assert.Equal(47 + 1 - layers * (2 + 1), root.GetProperty("tensor_count").GetInt32());
        Assert.True(root.GetProperty("plan_steps").GetInt32() >= layers * 5); // norm+QKV, attention, O+residual, norm+gate/up, down+residual
        Assert.Contains(root.GetProperty("kernels").EnumerateArray(), k => k.GetProperty("template").GetString() == "attention_rope");
    }

    [Fact]
    public void Run_takes_its_kv_pool_from_kv_memory_and_stops_where_that_pool_ends()
    {
        using var inspect = JsonDocument.Parse(LlmcCli.Run("inspect", engines.For("cpu-avx2"), "--json").Stdout);
        var twoBlocks = 2 * 16 * inspect.RootElement.GetProperty("kv_bytes_per_token").GetInt32();
        var result = LlmcCli.Run("run", engines.For("cpu-avx2"), "--prompt", "Once upon a time", "--max-tokens", "100", "--temperature", "0",
            "--kv-memory", twoBlocks.ToString(System.Globalization.CultureInfo.InvariantCulture), "--json");
        Assert.Equal(0, result.ExitCode);
        var (promptIds, expected) = ReferenceOutputs.Case("Once upon a time");
        // A sequence alone never outgrows the pool: 32 positions hold the prompt and the first 27 reference tokens.
        Assert.Equal(expected[..(32 - promptIds.Length)], Tokens(result.Stdout));
        using var doc = JsonDocument.Parse(result.Stdout);
        Assert.Equal("length", doc.RootElement.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public void Run_refuses_a_kv_block_that_does_not_divide_the_context_and_offers_no_max_sequences()
    {
        var block = LlmcCli.Run("run", engines.For("cpu-avx2"), "--prompt", "Once", "--kv-block", "7");
        Assert.Equal(1, block.ExitCode);
        Assert.Equal("error: KV block size 7 does not divide the engine's context of 512 positions", Assert.Single(block.StderrLines));
        var sequences = LlmcCli.Run("run", engines.For("cpu-avx2"), "--prompt", "Once", "--max-sequences", "4");
        Assert.NotEqual(0, sequences.ExitCode);
        Assert.Contains("Unrecognized command or argument '--max-sequences'", sequences.Stderr);
    }

    [Theory]
    [InlineData("--temperature", "-1")]
    [InlineData("--top-k", "-3")]
    [InlineData("--top-p", "2")]
    public void Run_refuses_bad_sampling_before_printing_anything(string option, string value)
    {
        var result = LlmcCli.Run("run", engines.For("cpu-avx2"), "--prompt", "Once upon a time", option, value);
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("error: ", Assert.Single(result.StderrLines));
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("build")]
    [InlineData("run")]
    [InlineData("tokenize")]
    [InlineData("inspect")]
    public void Every_command_has_help(string command)
    {
        var result = LlmcCli.Run(command, "--help");
        Assert.Equal(0, result.ExitCode);
        Assert.Contains("Usage:", result.Stdout);
    }

    private static int[] Tokens(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetInt32()).ToArray();
    }
}
