using Llmc.Ir.Quantization;

namespace Llmc.Ir.Tests;

/// <summary>Single ops run through the interpreter against values worked out by hand.</summary>
public sealed class InterpreterOpTests
{
    private const string AttentionGraph = """
        graph att {
          input %q: f32[seq, 8]
          input %k: f32[seq, 4]
          input %v: f32[seq, 4]
          input %positions: i32[seq]
          input %block_tables: i32[kv_table]
          input %row_blocks: i32[seq]
          state %k_cache: f32[1, 4, 4]
          state %v_cache: f32[1, 4, 4]
          %y: f32[seq, 8] = attention(%q, %k, %v, %positions, %block_tables, %row_blocks, %k_cache, %v_cache) {context = 4, head_dim = 2, n_heads = 4, n_kv_heads = 2, scale = 0.7071067811865476}
          output %y
        }
        """;

    private static HostTensor RunSingle(string text, Dictionary<string, HostTensor> inputs, Dictionary<string, HostTensor>? weights = null)
    {
        var g = Parser.Parse(text);
        var outputs = ReferenceInterpreter.Run(g, inputs, name => weights![name], new Dictionary<string, HostTensor>());
        return Assert.Single(outputs).Value;
    }

    [Fact]
    public void Attention_at_a_single_position_returns_its_v_for_every_query_head()
    {
        var states = new Dictionary<string, HostTensor>();
        var inputs = KvBlockTable.AddOneBlock(new Dictionary<string, HostTensor>
        {
            ["q"] = Tensors.Random("q", [1, 8]),
            ["k"] = Tensors.Random("k", [1, 4]),
            ["v"] = Tensors.F([1, 4], 1, 2, 3, 4),
            ["positions"] = Tensors.I(0),
        }, rows: 1);
        var y = ReferenceInterpreter.Run(Parser.Parse(AttentionGraph), inputs, _ => throw new InvalidOperationException(), states)["y"];

        // Query heads 0 and 1 share kv head 0; heads 2 and 3 share kv head 1.
        Assert.Equal([1, 2, 1, 2, 3, 4, 3, 4], y.Floats);
        Assert.Equal(inputs["k"].Floats, states["k_cache"].Floats[..4]);
        Assert.Equal([1, 2, 3, 4], states["v_cache"].Floats[..4]);
        Assert.All(states["v_cache"].Floats[4..], x => Assert.Equal(0f, x));
    }

    [Fact]
    public void Attention_with_equal_keys_averages_v_over_the_causal_prefix()
    {
        var k = Tensors.F([3, 4], 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
        var v = Tensors.F([3, 4], 3, 0, 0, 6, 0, 3, 6, 0, 0, 0, 0, 0);
        var y = RunSingle(AttentionGraph, KvBlockTable.AddOneBlock(new()
        {
            ["q"] = Tensors.Random("q", [3, 8]),
            ["k"] = k,
            ["v"] = v,
            ["positions"] = Tensors.I(0, 1, 2),
        }, rows: 3));
        float[] expected =
        [
            3, 0, 3, 0, 0, 6, 0, 6,
            1.5f, 1.5f, 1.5f, 1.5f, 3, 3, 3, 3,
            1, 1, 1, 1, 2, 2, 2, 2,
        ];
        Assert.Equal(expected, y.Floats, new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Attention_rows_of_two_sequences_read_only_their_own_scattered_blocks()
    {
        // A pool of four blocks of two positions. Sequence A holds blocks 3, 0; sequence B holds block 2.
        // One step: A's positions 1..3 (a prefill chunk crossing a block boundary), then B's position 1.
        var graph = Parser.Parse(PagedAttentionGraph);
        // Rows 0..3 of q, k and v are A's positions 0..3, rows 4 and 5 B's positions 0 and 1.
        var (q, k, v) = (Tensors.Random("q", [6, 8]), Tensors.Random("k", [6, 4]), Tensors.Random("v", [6, 4]));
        var pool = new Dictionary<string, int> { ["kv_blocks"] = 4, ["kv_block"] = 2 };
        var states = new Dictionary<string, HostTensor>();
        HostTensor Rows(HostTensor t, params int[] rows) =>
            new([rows.Length, t.Shape[1]], [.. rows.SelectMany(r => t.Floats.Skip(r * t.Shape[1]).Take(t.Shape[1]))]);
        Dictionary<string, HostTensor> Step(int[] rows, int[] positions, int[] tables, int[] rowBlocks) => new()
        {
            ["q"] = Rows(q, rows), ["k"] = Rows(k, rows), ["v"] = Rows(v, rows), ["positions"] = Tensors.I(positions),
            ["block_tables"] = Tensors.I(tables), ["row_blocks"] = Tensors.I(rowBlocks),
        };
        // Position 0 of each sequence first, then the mixed step.
        ReferenceInterpreter.Run(graph, Step([0, 4], [0, 0], [3, 0, 2], [0, 2]), _ => throw new InvalidOperationException(), states, pool);
        var mixed = ReferenceInterpreter.Run(graph, Step([1, 2, 3, 5], [1, 2, 3, 1], [3, 0, 2], [0, 0, 0, 2]), _ => throw new InvalidOperationException(), states, pool)["y"];

        // Each sequence alone, contiguous from block 0 of its own pool, gives the same rows.
        HostTensor Alone(int[] rows)
        {
            var own = new Dictionary<string, HostTensor>();
            var positions = Enumerable.Range(0, rows.Length).ToArray();
            return ReferenceInterpreter.Run(graph, Step(rows, positions, [0, 1], new int[rows.Length]), _ => throw new InvalidOperationException(), own, pool)["y"];
        }
        var a = Alone([0, 1, 2, 3]).Floats;
        var b = Alone([4, 5]).Floats;
        Assert.Equal(a[8..32], mixed.Floats[..24]);
        Assert.Equal(b[8..16], mixed.Floats[24..32]);
        // Block 1 was never named: its rows are still zero.
        Assert.All(states["k_cache"].Floats.Skip(2 * 4).Take(2 * 4), x => Assert.Equal(0f, x));
    }

    // The same attention over a pool the test sizes: blocks and positions per block are bound when it runs.
    private static readonly string PagedAttentionGraph =
        AttentionGraph.Replace("f32[1, 4, 4]", "f32[kv_blocks, kv_block, 4]").Replace("context = 4", "context = 8");

    [Fact]
    public void Rope_at_position_zero_is_identity_and_rotates_pairs_otherwise()
    {
        const string text = """
            graph r {
              input %x: f32[seq, 8]
              input %positions: i32[seq]
              weight %inv_freq: f32[2]
              %y: f32[seq, 8] = rope(%x, %positions, %inv_freq) {head_dim = 4}
              output %y
            }
            """;
        var x = Tensors.F([2, 8], 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8);
        var y = RunSingle(text, new() { ["x"] = x, ["positions"] = Tensors.I(0, 1) },
            new() { ["inv_freq"] = Tensors.F([2], (float)(Math.PI / 2), 0) });

        Assert.Equal(x.Floats[..8], y.Floats[..8]);
        // Position 1: pair (0, 2) of each head turns by 90 degrees, pair (1, 3) by 0.
        Assert.Equal([-3, 2, 1, 4, -7, 6, 5, 8], y.Floats[8..], new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Rms_norm_of_a_known_vector()
    {
        const string text = """
            graph n {
              input %x: f32[seq, 4]
              weight %w: f32[4]
              %y: f32[seq, 4] = rms_norm(%x, %w) {eps = 1E-06}
              output %y
            }
            """;
        // rms([3, -3, 3, -3]) = 3, so the normalised row is [1, -1, 1, -1] times the weight.
        var y = RunSingle(text, new() { ["x"] = Tensors.F([1, 4], 3, -3, 3, -3) }, new() { ["w"] = Tensors.F([4], 1, 2, 0.5f, -1) });
        Assert.Equal([1, -2, 0.5f, 1], y.Floats, new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Linear_matches_a_hand_computation()
    {
        const string text = """
            graph l {
              input %x: f32[seq, 3]
              weight %w: f32[4, 3]
              %y: f32[seq, 4] = linear(%x, %w)
              output %y
            }
            """;
        var w = Tensors.F([4, 3], 1, 0, 0, 0, 1, 0, 1, 1, 1, 2, -1, 0.5f);
        var y = RunSingle(text, new() { ["x"] = Tensors.F([2, 3], 1, 2, 3, -1, 0, 4) }, new() { ["w"] = w });
        Assert.Equal([2, 4], y.Shape);
        Assert.Equal([1, 2, 6, 1.5f, -1, 0, 3, 0], y.Floats);
    }

    [Fact]
    public void Embedding_then_gather_rows_picks_table_rows()
    {
        const string text = """
            graph e {
              input %tokens: i32[seq]
              input %rows: i32[out]
              weight %table: f32[3, 2]
              %x: f32[seq, 2] = embedding(%table, %tokens)
              %y: f32[out, 2] = gather_rows(%x, %rows)
              output %y
            }
            """;
        var y = RunSingle(text, new() { ["tokens"] = Tensors.I(2, 0, 1), ["rows"] = Tensors.I(2, 0) },
            new() { ["table"] = Tensors.F([3, 2], 10, 11, 20, 21, 30, 31) });
        Assert.Equal([2, 2], y.Shape);
        Assert.Equal([20, 21, 30, 31], y.Floats);
    }

    [Fact]
    public void Silu_mul_add_elementwise()
    {
        const string text = """
            graph s {
              input %a: f32[seq, 2]
              input %b: f32[seq, 2]
              %act: f32[seq, 2] = silu(%a)
              %prod: f32[seq, 2] = mul(%act, %b)
              %y: f32[seq, 2] = add(%prod, %b)
              output %y
            }
            """;
        var y = RunSingle(text, new() { ["a"] = Tensors.F([1, 2], 0, 2), ["b"] = Tensors.F([1, 2], 3, 1) });
        var silu2 = 2 / (1 + Math.Exp(-2));
        Assert.Equal([3, (float)(silu2 + 1)], y.Floats, new FloatTolerance(1e-6f));
    }

    /// <summary>Compares floats within an absolute tolerance.</summary>
    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
