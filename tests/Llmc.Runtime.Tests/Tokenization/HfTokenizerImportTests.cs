using System.Text.Json.Nodes;
using Llmc.Runtime.Tokenization;

namespace Llmc.Runtime.Tests.Tokenization;

public class HfTokenizerImportTests
{
    [Fact]
    public void Stories260k_encodes_a_prompt_with_bos_by_default()
    {
        Assert.True(TestTokenizers.Stories260K.AddBos);
        Assert.Equal([1, 403, 407, 261, 378], TestTokenizers.Stories260K.Encode("Once upon a time"));
        Assert.Equal([403, 407, 261, 378], TestTokenizers.Stories260K.Encode("Once upon a time", addBos: false));
    }

    [Fact]
    public void Stories260k_model_describes_a_sentencepiece_tokenizer()
    {
        var model = TestTokenizers.Stories260K.Model;
        Assert.Equal(TokenizerKind.Spm, model.Kind);
        Assert.Equal(512, TestTokenizers.Stories260K.VocabSize);
        Assert.Equal((1, 2, 0), (model.BosId, model.EosId, model.UnknownId));
        Assert.True(model.AddPrefixSpace && model.EscapeSpaces && model.ByteFallback && model.StripLeadingSpace);
        Assert.False(model.AddEos);
        Assert.Equal(TokenType.Byte, model.TokenTypes[3]);
        Assert.True(TestTokenizers.Stories260K.IsSpecial(1));
        Assert.Null(model.ChatTemplate);
    }

    [Fact]
    public void SmolLm2_encodes_mixed_scripts_like_the_reference()
    {
        Assert.False(TestTokenizers.SmolLm2.AddBos);
        Assert.Equal([19556, 28, 216, 7906, 240, 178, 239, 230, 17], TestTokenizers.SmolLm2.Encode("Hello, 世界!"));
    }

    [Fact]
    public void SmolLm2_recognises_special_tokens_inside_text()
    {
        var ids = TestTokenizers.SmolLm2.Encode("<|im_start|>user\nHi<|im_end|>\n");
        Assert.Equal(1, ids[0]);
        Assert.Contains(2, ids);
        Assert.Equal(TestTokenizers.SmolLm2.Encode("user\nHi"), ids[1..Array.IndexOf(ids, 2)]);
        Assert.Equal("user\nHi\n", TestTokenizers.SmolLm2.Decode(ids));
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n", TestTokenizers.SmolLm2.Decode(ids, skipSpecial: false));
    }

    [Fact]
    public void SmolLm2_splits_every_digit()
    {
        var ids = TestTokenizers.SmolLm2.Encode("12345");
        Assert.Equal(5, ids.Length);
        Assert.Equal(["1", "2", "3", "4", "5"], ids.Select(TestTokenizers.SmolLm2.PieceOf));
    }

    [Fact]
    public void SmolLm2_model_takes_bos_eos_and_pad_from_tokenizer_config()
    {
        var model = TestTokenizers.SmolLm2.Model;
        Assert.Equal(TokenizerKind.ByteLevel, model.Kind);
        Assert.Equal(PreTokenizerKind.IndividualDigitsThenGpt2, model.PreTokenizer);
        Assert.Equal((1, 2, 2), (model.BosId, model.EosId, model.PadId));
        Assert.Equal(17, model.AddedTokens.Length);
    }

    [Fact]
    public void Merges_written_as_arrays_give_the_same_tokenizer()
    {
        var folder = CopyStoriesTokenizer(json =>
        {
            var merges = json["model"]!["merges"]!.AsArray();
            var pairs = merges.Select(merge => (JsonNode)new JsonArray([.. merge!.GetValue<string>().Split(' ').Select(p => JsonValue.Create(p))])).ToArray();
            merges.Clear();
            foreach (var pair in pairs)
                merges.Add(pair);
        });
        try
        {
            var tokenizer = new Tokenizer(HfTokenizerImport.Load(folder));
            foreach (var text in new[] { "Once upon a time", " a little girl named Lily 🦙 ", "\n\nend" })
                Assert.Equal(TestTokenizers.Stories260K.Encode(text), tokenizer.Encode(text));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("model", "Unigram")]
    [InlineData("normalizer", "NFKC")]
    public void Unsupported_components_are_refused_by_name(string section, string type)
    {
        var folder = CopyStoriesTokenizer(json =>
        {
            if (section == "model")
                json["model"]!["type"] = type;
            else
                json[section] = new JsonObject { ["type"] = type };
        });
        try
        {
            var error = Assert.Throws<ModelFileException>(() => HfTokenizerImport.Load(folder));
            Assert.Contains(Path.Combine(folder, "tokenizer.json"), error.Message);
            Assert.Contains(type, error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Missing_tokenizer_json_names_the_file()
    {
        var folder = Directory.CreateTempSubdirectory("llmc-tok-").FullName;
        try
        {
            var error = Assert.Throws<ModelFileException>(() => HfTokenizerImport.Load(folder));
            Assert.Equal(Path.Combine(folder, "tokenizer.json"), error.Path);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Chat_template_is_read_from_tokenizer_config()
    {
        const string template = "{% for message in messages %}{{ message['content'] }}{% endfor %}";
        var folder = CopyStoriesTokenizer(_ => { });
        try
        {
            var configPath = Path.Combine(folder, "tokenizer_config.json");
            var config = JsonNode.Parse(File.ReadAllText(configPath))!;
            config["chat_template"] = template;
            File.WriteAllText(configPath, config.ToJsonString());

            Assert.Equal(template, HfTokenizerImport.ReadChatTemplate(folder));
            Assert.Equal(template, HfTokenizerImport.Load(folder).ChatTemplate);
            Assert.Null(HfTokenizerImport.ReadChatTemplate(Llmc.Tests.TestPaths.Model("stories260k-hf")));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A temporary copy of the stories260K tokenizer files with tokenizer.json edited.</summary>
    private static string CopyStoriesTokenizer(Action<JsonNode> edit)
    {
        var source = Llmc.Tests.TestPaths.Model("stories260k-hf");
        var folder = Directory.CreateTempSubdirectory("llmc-tok-").FullName;
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(source, "tokenizer.json")))!;
        edit(json);
        File.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString());
        File.Copy(Path.Combine(source, "tokenizer_config.json"), Path.Combine(folder, "tokenizer_config.json"));
        return folder;
    }
}
