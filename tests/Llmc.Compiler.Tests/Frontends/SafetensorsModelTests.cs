using System.Text.Json.Nodes;
using Llmc.Compiler.Frontends.Safetensors;
using Llmc.Runtime;
using Llmc.Tests;

namespace Llmc.Compiler.Tests.Frontends;

public sealed class SafetensorsModelTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public void SingleFileFolder()
    {
        using var model = SafetensorsModel.Open(TestPaths.Model("stories260k-hf"));
        Assert.Equal(47, model.Tensors.Count);
        Assert.Single(model.Files);
        Assert.EndsWith("model.safetensors", model.Tensors["model.norm.weight"].File);
    }

    [Fact]
    public void ShardedFolderIsOneTensorTable()
    {
        WriteStoriesAsTwoShards();

        using var original = SafetensorsFile.Open(TestPaths.Model("stories260k-hf", "model.safetensors"));
        using var model = SafetensorsModel.Open(_temp.Path);
        Assert.Equal(2, model.Files.Count);
        Assert.Equal(original.Tensors.Keys.Order(), model.Tensors.Keys.Order());
        foreach (var (name, tensor) in original.Tensors)
        {
            Assert.Equal(tensor.Shape, model.Tensors[name].Shape);
            Assert.True(tensor.Bytes.SequenceEqual(model.Tensors[name].Bytes), name);
        }
        Assert.EndsWith("model-00001-of-00002.safetensors", model.Tensors["model.embed_tokens.weight"].File);
        Assert.EndsWith("model-00002-of-00002.safetensors", model.Tensors["model.norm.weight"].File);
    }

    [Fact]
    public void MissingShardIsNamed()
    {
        WriteStoriesAsTwoShards();
        var missing = _temp.File("model-00002-of-00002.safetensors");
        File.Delete(missing);

        var error = Assert.Throws<ModelFileException>(() => SafetensorsModel.Open(_temp.Path));
        Assert.Equal(missing, error.Path);
        Assert.Equal("not found: model.safetensors.index.json lists this shard", error.Problem);
    }

    [Fact]
    public void IndexThatMisplacesATensor()
    {
        WriteStoriesAsTwoShards(misplace: "model.norm.weight");

        var error = Assert.Throws<ModelFileException>(() => SafetensorsModel.Open(_temp.Path));
        Assert.Equal(_temp.File("model.safetensors.index.json"), error.Path);
        Assert.Equal("lists tensor 'model.norm.weight' in model-00001-of-00002.safetensors, but it is in model-00002-of-00002.safetensors", error.Problem);
    }

    [Fact]
    public void FolderWithoutWeights()
    {
        var error = Assert.Throws<ModelFileException>(() => SafetensorsModel.Open(_temp.Path));
        Assert.Equal($"{_temp.Path}: no weights: expected model.safetensors or model.safetensors.index.json", error.Message);
    }

    /// <summary>Splits stories260k: the embedding and layers 0-1 in shard 1, the rest in shard 2, plus the index.</summary>
    private void WriteStoriesAsTwoShards(string? misplace = null)
    {
        using var original = SafetensorsFile.Open(TestPaths.Model("stories260k-hf", "model.safetensors"));
        string[] shardNames = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"];
        var shards = new[] { new SafetensorsBuilder(), new SafetensorsBuilder() };
        var weightMap = new JsonObject();
        foreach (var (name, tensor) in original.Tensors)
        {
            var shard = name.StartsWith("model.embed", StringComparison.Ordinal) || name.StartsWith("model.layers.0.", StringComparison.Ordinal)
                || name.StartsWith("model.layers.1.", StringComparison.Ordinal) ? 0 : 1;
            shards[shard].Add(name, "F32", tensor.Shape, tensor.Bytes);
            weightMap[name] = shardNames[name == misplace ? 1 - shard : shard];
        }
        for (var i = 0; i < 2; i++)
            File.WriteAllBytes(_temp.File(shardNames[i]), shards[i].Build());
        var index = new JsonObject { ["metadata"] = new JsonObject { ["total_size"] = 1040128 }, ["weight_map"] = weightMap };
        File.WriteAllText(_temp.File("model.safetensors.index.json"), index.ToJsonString());
    }
}
