using System.Text.Json;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests;

/// <summary>The golden greedy outputs and position-0 logits shipped with stories260k-hf.</summary>
public static class ReferenceOutputs
{
    private static readonly JsonDocument Doc =
        JsonDocument.Parse(File.ReadAllText(TestPaths.Model("stories260k-hf", "reference-outputs.json")));

    public static (int[] PromptIds, int[] GeneratedIds) Case(string prompt)
    {
        var c = Doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("prompt").GetString() == prompt);
        return (Ints(c.GetProperty("prompt_ids")), Ints(c.GetProperty("generated_ids")));
    }

    public static float[] LogitsPosition0Bos =>
        Doc.RootElement.GetProperty("logits_position0_input_bos").EnumerateArray().Select(e => e.GetSingle()).ToArray();

    private static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();
}
