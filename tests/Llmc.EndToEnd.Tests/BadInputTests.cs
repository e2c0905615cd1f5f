using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using Llmc.Runtime.Format;

namespace Llmc.EndToEnd.Tests;

/// <summary>
/// Every kind of bad input ends with one line on stderr naming the file and the problem, a non-zero exit code,
/// no stack trace and no output file.
/// </summary>
[Collection(StoriesCollection.Name)]
public sealed class BadInputTests(StoriesEngines engines) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("llmc-bad-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Truncated_safetensors()
    {
        var model = CopyModel();
        var file = Path.Combine(model, "model.safetensors");
        using (var s = File.OpenWrite(file)) s.SetLength(s.Length / 2);
        AssertBuildFails(model, "model.safetensors");
    }

    [Fact]
    public void Safetensors_offsets_past_the_end_of_the_file()
    {
        var model = CopyModel();
        var file = Path.Combine(model, "model.safetensors");
        RewriteSafetensorsHeader(file, (header, fileLength) =>
        {
            var t = header["model.norm.weight"]!;
            var offsets = t["data_offsets"]!.AsArray();
            var size = offsets[1]!.GetValue<long>() - offsets[0]!.GetValue<long>();
            t["data_offsets"] = new JsonArray(fileLength + 64, fileLength + 64 + size);
        });
        AssertBuildFails(model, "model.safetensors", "model.norm.weight");
    }

    [Fact]
    public void Safetensors_unsupported_dtype()
    {
        var model = CopyModel();
        RewriteSafetensorsHeader(Path.Combine(model, "model.safetensors"), (header, _) => header["model.norm.weight"]!["dtype"] = "I32");
        AssertBuildFails(model, "model.safetensors", "I32");
    }

    [Fact]
    public void Unknown_architecture()
    {
        var model = CopyModel();
        var config = Path.Combine(model, "config.json");
        var json = JsonNode.Parse(File.ReadAllText(config))!;
        json["architectures"] = new JsonArray("Qwen3MoeForCausalLM");
        File.WriteAllText(config, json.ToJsonString());
        AssertBuildFails(model, "config.json", "Qwen3MoeForCausalLM");
    }

    [Fact]
    public void Missing_config_json()
    {
        var model = CopyModel();
        File.Delete(Path.Combine(model, "config.json"));
        AssertBuildFails(model, "config.json");
    }

    [Fact]
    public void Unknown_target()
    {
        AssertBuildFails(StoriesEngines.Source, "cpu-avx3", target: "cpu-avx3");
    }

    [Fact]
    public void Truncated_engine()
    {
        var engine = CopyEngine();
        using (var s = File.OpenWrite(engine)) s.SetLength(s.Length - 1000);
        AssertRunFails(engine);
    }

    [Fact]
    public void Bit_flipped_engine()
    {
        var engine = CopyEngine();
        var bytes = File.ReadAllBytes(engine);
        using (var file = EngineFile.Open(engine))
        {
            var section = file.Manifest.Sections.First(s => s.Name.StartsWith("tensor/", StringComparison.Ordinal));
            bytes[section.Offset + section.Length / 2] ^= 0x10;
        }
        File.WriteAllBytes(engine, bytes);
        AssertRunFails(engine, "checksum");
    }

    [Fact]
    public void Engine_for_another_target()
    {
        var source = engines.For("cpu-avx2");
        var engine = Path.Combine(_dir, "other-target.llmc");
        using (var file = EngineFile.Open(source))
        using (var writer = EngineWriter.Create(engine))
        {
            foreach (var s in file.Manifest.Sections) writer.AddSection(s.Name, file.Section(s.Name));
            // A target this runtime has no device for (the CUDA and Vulkan targets have their own bad-input tests).
            writer.Commit(file.Manifest with { Target = "metal-m3" });
        }
        AssertRunFails(engine, "metal-m3");
    }

    [Fact]
    public void Engine_whose_tensor_section_is_shorter_than_its_dtype_and_shape()
    {
        var source = engines.For("cpu-avx2");
        var engine = Path.Combine(_dir, "short-tensor.llmc");
        string tensor;
        using (var file = EngineFile.Open(source))
        using (var writer = EngineWriter.Create(engine))
        {
            foreach (var s in file.Manifest.Sections) writer.AddSection(s.Name, file.Section(s.Name));
            // f16 bytes declared as f32 (what a converter that forgot to widen would write): kernels would read past the section.
            var norm = file.Manifest.Tensors.First(t => t.Name.EndsWith("norm.weight", StringComparison.Ordinal));
            var widened = norm with { Shape = [norm.Shape[0] * 2] };
            tensor = norm.Name;
            writer.Commit(file.Manifest with { Tensors = [.. file.Manifest.Tensors.Select(t => t == norm ? widened : t)] });
        }
        AssertRunFails(engine, $"tensor '{tensor}'");
    }

    [Fact]
    public void Engine_whose_instruction_set_the_cpu_lacks()
    {
        // DOTNET_EnableAVX512=0 makes the runtime see a CPU without AVX-512, as on most laptops.
        var engine = engines.For("cpu-avx512");
        var result = LlmcCli.RunWith(new Dictionary<string, string> { ["DOTNET_EnableAVX512"] = "0" }, "run", engine, "--prompt", "hi");
        AssertOneLineError(result, engine, "AVX-512");
    }

    private void AssertBuildFails(string model, string mentioned, string? alsoMentioned = null, string target = "cpu-avx2")
    {
        var output = Path.Combine(_dir, "out.llmc");
        var result = LlmcCli.Run("build", model, "--target", target, "-o", output);
        AssertOneLineError(result, mentioned, alsoMentioned);
        Assert.False(File.Exists(output), "a failed build left its output file");
        Assert.Empty(Directory.EnumerateFiles(_dir, "out.llmc*"));
    }

    private static void AssertRunFails(string engine, string? alsoMentioned = null)
    {
        var result = LlmcCli.Run("run", engine, "--prompt", "hi", "--max-tokens", "4");
        AssertOneLineError(result, engine, alsoMentioned);
        Assert.Equal("", result.Stdout);
    }

    private static void AssertOneLineError(LlmcCli.Result result, string mentioned, string? alsoMentioned)
    {
        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(mentioned, line);
        if (alsoMentioned is not null) Assert.Contains(alsoMentioned, line, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", result.Stderr);
    }

    private string CopyModel()
    {
        var dest = Path.Combine(_dir, "model");
        Directory.CreateDirectory(dest);
        foreach (var f in Directory.EnumerateFiles(StoriesEngines.Source))
            File.Copy(f, Path.Combine(dest, Path.GetFileName(f)));
        return dest;
    }

    private string CopyEngine()
    {
        var dest = Path.Combine(_dir, "copy.llmc");
        File.Copy(engines.For("cpu-avx2"), dest);
        return dest;
    }

    /// <summary>Edits a safetensors JSON header in place, keeping the data bytes as they were.</summary>
    private static void RewriteSafetensorsHeader(string file, Action<JsonObject, long> edit)
    {
        var bytes = File.ReadAllBytes(file);
        var headerLength = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, headerLength))!.AsObject();
        edit(header, bytes.Length);
        var newHeader = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = new byte[(newHeader.Length + 7) / 8 * 8];
        Array.Fill(padded, (byte)' ');
        newHeader.CopyTo(padded, 0);
        using var output = File.Create(file);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded.Length);
        output.Write(length);
        output.Write(padded);
        output.Write(bytes, 8 + headerLength, bytes.Length - 8 - headerLength);
    }
}
