using System.Text.Json;
using System.Text.Json.Nodes;
using Llmc.Runtime;

namespace Llmc.Compiler.Frontends.Safetensors;

/// <summary>
/// The weights of a HuggingFace model folder: one <c>model.safetensors</c>, or the shards listed in
/// <c>model.safetensors.index.json</c> (<c>weight_map</c>: tensor name → shard file), seen as one tensor table.
/// </summary>
public sealed class SafetensorsModel : IDisposable
{
    public const string SingleFileName = "model.safetensors";

    public const string IndexFileName = "model.safetensors.index.json";

    private readonly List<SafetensorsFile> _files;

    private SafetensorsModel(string folder, List<SafetensorsFile> files, Dictionary<string, SafetensorsTensor> tensors)
    {
        Folder = folder;
        _files = files;
        Tensors = tensors;
    }

    public string Folder { get; }

    /// <summary>The opened files (one, or every shard in index order).</summary>
    public IReadOnlyList<SafetensorsFile> Files => _files;

    public IReadOnlyDictionary<string, SafetensorsTensor> Tensors { get; }

    public static SafetensorsModel Open(string folder)
    {
        var indexPath = Path.Combine(folder, IndexFileName);
        var singlePath = Path.Combine(folder, SingleFileName);
        if (File.Exists(indexPath))
            return OpenSharded(folder, indexPath);
        if (File.Exists(singlePath))
            return OpenFiles(folder, [singlePath], weightMap: null, indexPath);
        throw new ModelFileException(folder, $"no weights: expected {SingleFileName} or {IndexFileName}");
    }

    public void Dispose()
    {
        foreach (var file in _files)
            file.Dispose();
    }

    private static SafetensorsModel OpenSharded(string folder, string indexPath)
    {
        var weightMap = ReadWeightMap(indexPath);
        var shardPaths = weightMap.Values.Distinct(StringComparer.Ordinal).Select(shard => Path.Combine(folder, shard)).ToList();
        foreach (var shardPath in shardPaths)
        {
            if (!File.Exists(shardPath))
                throw new ModelFileException(shardPath, $"not found: {IndexFileName} lists this shard");
        }
        return OpenFiles(folder, shardPaths, weightMap, indexPath);
    }

    private static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(indexPath));
        }
        catch (JsonException e)
        {
            throw new ModelFileException(indexPath, $"not valid JSON: {e.Message}", e);
        }
        if (root is not JsonObject index || index["weight_map"] is not JsonObject map)
            throw new ModelFileException(indexPath, "has no weight_map object");

        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (tensor, shard) in map)
        {
            if (shard is not JsonValue value || !value.TryGetValue<string>(out var fileName) || fileName.Length == 0)
                throw new ModelFileException(indexPath, $"weight_map entry '{tensor}' is not a file name");
            // A shard name is a file beside the index, never a path that escapes the folder.
            if (Path.GetFileName(fileName) != fileName)
                throw new ModelFileException(indexPath, $"weight_map entry '{tensor}' names '{fileName}', which is not a plain file name");
            weightMap[tensor] = fileName;
        }
        return weightMap;
    }

    private static SafetensorsModel OpenFiles(string folder, List<string> paths, Dictionary<string, string>? weightMap, string indexPath)
    {
        var files = new List<SafetensorsFile>();
        try
        {
            var tensors = new Dictionary<string, SafetensorsTensor>(StringComparer.Ordinal);
            foreach (var path in paths)
            {
                var file = SafetensorsFile.Open(path);
                files.Add(file);
                foreach (var (name, tensor) in file.Tensors)
                {
                    if (!tensors.TryAdd(name, tensor))
                        throw new ModelFileException(path, $"tensor '{name}' is also in {tensors[name].File}");
                }
            }
            if (weightMap is not null)
                CheckWeightMap(indexPath, weightMap, tensors);
            return new SafetensorsModel(folder, files, tensors);
        }
        catch
        {
            foreach (var file in files)
                file.Dispose();
            throw;
        }
    }

    private static void CheckWeightMap(string indexPath, Dictionary<string, string> weightMap, Dictionary<string, SafetensorsTensor> tensors)
    {
        foreach (var (name, shard) in weightMap)
        {
            if (!tensors.TryGetValue(name, out var tensor))
                throw new ModelFileException(indexPath, $"lists tensor '{name}' in {shard}, but that shard does not hold it");
            if (Path.GetFileName(tensor.File) != shard)
                throw new ModelFileException(indexPath, $"lists tensor '{name}' in {shard}, but it is in {Path.GetFileName(tensor.File)}");
        }
    }
}
