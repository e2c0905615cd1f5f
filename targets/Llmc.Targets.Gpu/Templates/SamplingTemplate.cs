using Llmc.Ir;
using Llmc.Runtime.Devices;
using Llmc.Targets.Emit;
using Abi = Llmc.Runtime.Devices.SamplingKernelAbi;

namespace Llmc.Targets.Gpu.Templates;

/// <summary>
/// The engine's sampling kernel (<see cref="SamplingKernelAbi"/>; not an IR op): each workgroup picks the next token
/// from its logits row (workgroup y of the step's <c>out</c> rows, with that row's parameter words) as
/// <c>Sampler.Choose</c> does, without sorting. Each logit becomes x = (penalized logit) / T
/// (correctly rounded, as the host divides) and x its order-preserving 32-bit key, so every cut the host makes on its
/// sorted candidates is a key threshold found by bisection, each step one counting or summing pass over the values:
/// greedy is the largest key (lowest id among equals); top-k the largest t with k keys ≥ t (three thresholds per pass);
/// top-p the smallest t whose mass above it is below p × the top-k mass; the draw the largest t whose kept mass at or
/// above it reaches uniform × the kept mass, which is where the host's descending cumulative walk stops. Up to
/// <see cref="SamplingKernelAbi.MaxCandidates"/> top-k candidates are copied into shared memory first, so those later
/// passes skip the vocabulary. Masses are exp(x − max) in
/// 64-bit fixed point (<see cref="SamplingKernelAbi.MassFractionBits"/> fraction bits), so sums are exact and
/// independent of thread order. The repetition penalty's ids (distinct, from the host) are held in shared memory with
/// their penalized logits: counting passes subtract a penalized token's raw contribution and add its penalized one;
/// the maximum and the final id search skip the raw value.
/// </summary>
public sealed class SamplingTemplate : IGpuKernelTemplate
{
    private const int Threads = Abi.LocalSize;

    /// <summary>The sampling kernel of an engine whose logits rows have <paramref name="vocabSize"/> entries: logits, parameter words → token id.</summary>
    public static KernelInstance KernelFor(int vocabSize) => new(Abi.Template,
        [new TensorType(DType.F32, vocabSize), new TensorType(DType.I32, Abi.ParameterWords)], new TensorType(DType.I32, 1), new Attributes());

    public GpuKernelShape Shape(KernelInstance instance)
    {
        var vocab = instance.Operands[0][0].Size;
        if (vocab > Abi.MaxVocab)
            throw new TargetException($"a vocabulary of {vocab} tokens is more than the {Abi.MaxVocab} whose probability masses the sampling kernel can sum");
        return new GpuKernelShape(Threads, 1, Dim.Out,
        [
            new SharedArray("uint", "candidateKey", Abi.MaxCandidates),
            new SharedArray("int", "candidateId", Abi.MaxCandidates),
            new SharedArray("int", "historyId", Abi.MaxHistory),
            new SharedArray("float", "historyLogit", Abi.MaxHistory),
            new SharedArray("uint", "reduceA", Threads),
            new SharedArray("uint", "reduceB", Threads),
            new SharedArray("uint", "reduceC", Threads),
        ]);
    }

    public void Render(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var u = d.Uint;
        kernel.Constant("Vocab", kernel.Instance.Operands[0][0].Size);
        w.Line($"int lid = {d.LocalId}, row = {d.GroupY};");
        w.Line($"int logitBase = row * Vocab, parameterBase = row * {Abi.ParameterWords};");
        w.Line($"float temperature = {d.BitsToFloat(Parameter(d, Abi.TemperatureWord))};");
        w.Line($"int topK = {d.Cast("int", Parameter(d, Abi.TopKWord))};");
        w.Line($"{u} topP = {Parameter(d, Abi.TopPWord)};");
        w.Line($"float minP = {d.BitsToFloat(Parameter(d, Abi.MinPWord))};");
        w.Line($"float penalty = {d.BitsToFloat(Parameter(d, Abi.PenaltyWord))};");
        w.Line($"{u} drawFraction = {Parameter(d, Abi.UniformWord)};");
        // The host sends at most MaxHistory ids; the clamp keeps a bad count from writing past the shared arrays.
        w.Line($"int historyCount = {d.Cast("int", d.Min(Parameter(d, Abi.HistoryCountWord), $"{Abi.MaxHistory}u"))};");
        w.Line("float scale = temperature > 0.0f ? temperature : 1.0f;");

        // The penalized logits of the history ids, as the host penalizes: positive ones divided, others multiplied.
        using (w.Block($"for (int s = lid; s < historyCount; s += {Threads})"))
        {
            w.Line($"int t = {d.Cast("int", d.Word(1, $"parameterBase + {Abi.HistoryWord} + s"))};");
            w.Line($"float raw = {Logit(kernel, "t")};");
            kernel.Divide("divided", "raw", "penalty");
            w.Line("historyId[s] = t;");
            w.Line("historyLogit[s] = raw > 0.0f ? divided : raw * penalty;");
        }
        w.Line(d.Barrier);

        MaximumPass(kernel);
        using (w.Block("if (temperature == 0.0f)"))
            w.Line($"if (lid == 0) {d.Word(2, "row")} = bestId;");
        using (w.Block("else"))
        {
            w.Line($"float xMax = {KeyValue(d, "bestKey")};");
            w.Line($"{u} high = 0u, low = 0u, candidates = 0u;");
            w.Line("bool compacted = false;");

            // Top-k: the largest t with at least k keys ≥ t; each pass counts at three thresholds, so two bits per pass.
            w.Line($"{u} topKCut = lowKey;");
            using (w.Block("if (topK > 0 && topK < Vocab)"))
            {
                w.Line($"{u} a = lowKey, b = bestKey, k = {d.Cast(u, "topK")};");
                using (w.Block("while (a < b)"))
                {
                    // a < m1 ≤ m2 ≤ m3 ≤ b, splitting (a, b] in four.
                    w.Line($"{u} quarter = (b - a) >> 2;");
                    w.Line($"{u} m1 = a + quarter + 1u, m2 = a + 2u * quarter + 1u, m3 = a + 3u * quarter + 1u;");
                    CountAtLeast(kernel, ["m1", "m2", "m3"]);
                    w.Line("if (c3 >= k) a = m3;");
                    w.Line("else if (c2 >= k) { a = m2; b = m3 - 1u; }");
                    w.Line("else if (c1 >= k) { a = m1; b = m2 - 1u; }");
                    w.Line("else b = m1 - 1u;");
                }
                w.Line("topKCut = a;");
            }
            using (w.Block($"if (topK > 0 && topK <= {Abi.MaxCandidates} && topK < Vocab)"))
                Compact(kernel);

            // Top-p: the smallest t whose candidates strictly above it hold less than p of the candidates' mass.
            w.Line($"{u} cut = topKCut;");
            using (w.Block("if (topP != 0u)"))
            {
                Stats(kernel, "topKCut", strict: false, minP: false);
                w.Line($"{u} massHigh = 0u, massLow = 0u;");
                ScaleByFraction(w, u, "massHigh", "massLow", "high", "low", "topP");
                w.Line($"{u} a = topKCut, b = bestKey;");
                using (w.Block("while (a < b)"))
                {
                    w.Line($"{u} m = a + ((b - a) >> 1);");
                    Stats(kernel, "m", strict: true, minP: false);
                    w.Line($"if ({Less("high", "low", "massHigh", "massLow")}) b = m; else a = m + 1u;");
                }
                w.Line("cut = a;");
            }

            // The draw: the largest t whose kept mass at or above it reaches uniform × the kept mass.
            Stats(kernel, "cut", strict: false, minP: true);
            w.Line($"{u} targetHigh = 0u, targetLow = 0u;");
            ScaleByFraction(w, u, "targetHigh", "targetLow", "high", "low", "drawFraction");
            w.Line($"{u} drawnKey = cut, b = bestKey;");
            using (w.Block("while (drawnKey < b)"))
            {
                w.Line($"{u} m = drawnKey + ((b - drawnKey) >> 1) + ((b - drawnKey) & 1u);");
                Stats(kernel, "m", strict: false, minP: true);
                w.Line($"if ({Less("high", "low", "targetHigh", "targetLow")}) b = m - 1u; else drawnKey = m;");
            }
            IdPass(kernel);
        }
    }

    private static string Parameter(GpuDialect d, int word) => d.Word(1, $"parameterBase + {word.ToString(System.Globalization.CultureInfo.InvariantCulture)}");

    /// <summary>Logit <paramref name="id"/> of the workgroup's row.</summary>
    private static string Logit(GpuKernelSource kernel, string id) => kernel.Load(0, $"logitBase + {id}");

    private static string Less(string high, string low, string otherHigh, string otherLow) =>
        $"{high} < {otherHigh} || ({high} == {otherHigh} && {low} < {otherLow})";

    /// <summary>
    /// Declares float <c>{name}X</c> = <paramref name="logit"/> / scale (correctly rounded) and <c>{name}Key</c>, its
    /// order-preserving key: −0 is keyed as +0 so the two compare equal, as floats do on the host.
    /// </summary>
    private static void Key(GpuKernelSource kernel, string name, string logit)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"float {name}Logit = {logit};");
        kernel.Divide($"{name}X", $"{name}Logit", "scale");
        w.Line($"{d.Uint} {name}Key = {d.FloatToBits($"{name}X")};");
        w.Line($"{name}Key = {name}Key == 0x80000000u ? 0x80000000u : (({name}Key & 0x80000000u) != 0u ? ~{name}Key : {name}Key | 0x80000000u);");
    }

    /// <summary>The float whose key (<see cref="Key"/>) is <paramref name="key"/>: the mapping undone, exactly.</summary>
    private static string KeyValue(GpuDialect d, string key) => d.BitsToFloat($"({key} & 0x80000000u) != 0u ? {key} & 0x7fffffffu : ~{key}");

    /// <summary>Declares <c>{name}Key</c> and <c>{name}X</c> of compacted candidate <paramref name="index"/>: the key maps back to x exactly.</summary>
    private static void Candidate(GpuKernelSource kernel, string name, string index)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        w.Line($"{d.Uint} {name}Key = candidateKey[{index}];");
        w.Line($"float {name}X = {KeyValue(d, $"{name}Key")};");
    }

    /// <summary>
    /// Copies the top-k candidates (key ≥ <c>topKCut</c>, penalized values for history ids) into shared memory when they
    /// fit (ties at the cut can make more than k), setting <c>candidates</c> and <c>compacted</c>: the top-p, draw and id
    /// passes then read those few instead of the vocabulary. Each thread counts its own, a serial scan over the
    /// workgroup's counts gives each its offset, and a second walk writes them.
    /// </summary>
    private static void Compact(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var u = d.Uint;
        void Walk(string onRaw, string onHistory)
        {
            using (w.Block($"for (int i = lid; i < Vocab; i += {Threads})"))
            {
                Key(kernel, "e", Logit(kernel, "i"));
                using (w.Block("if (eKey >= topKCut)"))
                {
                    Penalized(kernel, "i");
                    w.Line($"if (!penalized) {{ {onRaw} }}");
                }
            }
            using (w.Block($"for (int s = lid; s < historyCount; s += {Threads})"))
            {
                Key(kernel, "h", "historyLogit[s]");
                w.Line($"if (hKey >= topKCut) {{ {onHistory} }}");
            }
        }
        w.Line($"{u} mine = 0u;");
        Walk("mine += 1u;", "mine += 1u;");
        w.Line("reduceA[lid] = mine;");
        w.Line(d.Barrier);
        using (w.Block("if (lid == 0)"))
        {
            w.Line($"{u} total = 0u;");
            w.Line($"for (int t = 0; t < {Threads}; t++) {{ reduceB[t] = total; total += reduceA[t]; }}");
            w.Line("reduceC[0] = total;");
        }
        w.Line(d.Barrier);
        w.Line("candidates = reduceC[0];");
        w.Line($"{u} at = reduceB[lid];");
        w.Line(d.Barrier);
        w.Line($"compacted = candidates <= {Abi.MaxCandidates}u;");
        using (w.Block("if (compacted)"))
            Walk("candidateKey[at] = eKey; candidateId[at] = i; at += 1u;", "candidateKey[at] = hKey; candidateId[at] = historyId[s]; at += 1u;");
        w.Line(d.Barrier);
    }

    /// <summary>Whether a history slot holds token <paramref name="id"/>: its raw logit is not the one to use.</summary>
    private static void Penalized(GpuKernelSource kernel, string id)
    {
        kernel.Writer.Line("bool penalized = false;");
        kernel.Writer.Line($"for (int s = 0; s < historyCount; s++) if (historyId[s] == {id}) penalized = true;");
    }

    /// <summary>
    /// Declares <c>bestKey</c> (the largest key), <c>bestId</c> (the lowest id holding it: the greedy token) and
    /// <c>lowKey</c> (at most the smallest key, a lower bound for the bisections).
    /// </summary>
    private static void MaximumPass(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var u = d.Uint;
        w.Line($"{u} bestKey = 0u, bestId = 0xffffffffu, lowKey = 0xffffffffu;");
        using (w.Block($"for (int i = lid; i < Vocab; i += {Threads})"))
        {
            Key(kernel, "e", Logit(kernel, "i"));
            w.Line("lowKey = eKey < lowKey ? eKey : lowKey;");
            // Ids rise along a thread's stride, so the first of equal keys is kept; the history scan runs only on a new best.
            using (w.Block("if (eKey > bestKey)"))
            {
                Penalized(kernel, "i");
                using (w.Block("if (!penalized)"))
                {
                    w.Line("bestKey = eKey;");
                    w.Line($"bestId = {d.Cast(u, "i")};");
                }
            }
        }
        using (w.Block($"for (int s = lid; s < historyCount; s += {Threads})"))
        {
            Key(kernel, "h", "historyLogit[s]");
            w.Line($"{u} id = {d.Cast(u, "historyId[s]")};");
            w.Line("lowKey = hKey < lowKey ? hKey : lowKey;");
            using (w.Block("if (hKey > bestKey || (hKey == bestKey && id < bestId))"))
            {
                w.Line("bestKey = hKey;");
                w.Line("bestId = id;");
            }
        }
        Tree(kernel, ["bestKey", "bestId", "lowKey"], (x, y) =>
        [
            $"if (reduceA[{y}] > reduceA[{x}] || (reduceA[{y}] == reduceA[{x}] && reduceB[{y}] < reduceB[{x}])) {{ reduceA[{x}] = reduceA[{y}]; reduceB[{x}] = reduceB[{y}]; }}",
            $"if (reduceC[{y}] < reduceC[{x}]) reduceC[{x}] = reduceC[{y}];",
        ]);
    }

    /// <summary>
    /// Sets the 64-bit fixed-point mass <c>high:low</c> of the tokens whose key is at least (or, when
    /// <paramref name="strict"/>, above) <paramref name="threshold"/> and, with <paramref name="minP"/>, whose
    /// exp(x − max) is at least min-p (the host's p ≥ min_p · p_max): the compacted candidates where there are, else the
    /// vocabulary.
    /// </summary>
    private static void Stats(GpuKernelSource kernel, string threshold, bool strict, bool minP)
    {
        var w = kernel.Writer;
        using (w.Block(""))
        {
            w.Line($"{kernel.Dialect.Uint} h = 0u, l = 0u;");
            using (w.Block("if (compacted)"))
            using (w.Block($"for (int c = lid; c < {kernel.Dialect.Cast("int", "candidates")}; c += {Threads})"))
                Accumulate(kernel, () => Candidate(kernel, "v", "c"), add: true, threshold, strict, minP);
            using (w.Block("else"))
            {
                using (w.Block($"for (int i = lid; i < Vocab; i += {Threads})"))
                    Accumulate(kernel, () => Key(kernel, "v", Logit(kernel, "i")), add: true, threshold, strict, minP);
                using (w.Block($"for (int s = lid; s < historyCount; s += {Threads})"))
                {
                    Accumulate(kernel, () => Key(kernel, "v", Logit(kernel, "historyId[s]")), add: false, threshold, strict, minP);
                    Accumulate(kernel, () => Key(kernel, "v", "historyLogit[s]"), add: true, threshold, strict, minP);
                }
            }
            Tree(kernel, ["h", "l"], (x, y) =>
            [
                $"reduceB[{x}] += reduceB[{y}];",
                $"reduceA[{x}] += reduceA[{y}] + (reduceB[{x}] < reduceB[{y}] ? 1u : 0u);",
            ]);
            w.Line("high = h;");
            w.Line("low = l;");
        }
    }

    /// <summary>
    /// Declares <c>c1</c>, <c>c2</c>, <c>c3</c>: how many keys (penalized ones for history ids) are at least each of the
    /// three <paramref name="thresholds"/>, in one pass over the vocabulary.
    /// </summary>
    private static void CountAtLeast(GpuKernelSource kernel, IReadOnlyList<string> thresholds)
    {
        var (w, u) = (kernel.Writer, kernel.Dialect.Uint);
        string[] counts = ["c1", "c2", "c3"];
        w.Line($"{u} {string.Join(", ", counts.Select(c => c + " = 0u"))};");
        void Count(string logit, string step)
        {
            using (w.Block(""))
            {
                Key(kernel, "v", logit);
                for (var j = 0; j < counts.Length; j++) w.Line($"if (vKey >= {thresholds[j]}) {counts[j]} {step};");
            }
        }
        using (w.Block($"for (int i = lid; i < Vocab; i += {Threads})"))
            Count(Logit(kernel, "i"), "+= 1u");
        using (w.Block($"for (int s = lid; s < historyCount; s += {Threads})"))
        {
            Count(Logit(kernel, "historyId[s]"), "-= 1u");
            Count("historyLogit[s]", "+= 1u");
        }
        Tree(kernel, counts, (x, y) => new[] { "reduceA", "reduceB", "reduceC" }.Select(r => $"{r}[{x}] += {r}[{y}];"));
    }

    // Adds (or removes: a penalized token's raw value) one token's fixed-point mass; sums wrap modulo 2^64
    // like the integers they are, so removals are exact.
    private static void Accumulate(GpuKernelSource kernel, Action declareKey, bool add, string threshold, bool strict, bool minP)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        using (w.Block(""))
        {
            declareKey();
            using (w.Block($"if (vKey {(strict ? ">" : ">=")} {threshold})"))
            {
                w.Line($"float e = {d.Call(MathFunction.Exp, "vX - xMax")};");
                using (w.Block(minP ? "if (e >= minP)" : ""))
                    AccumulateMass(w, d, add);
            }
        }
    }

    // e ≤ 1 times 2^40: the integer part of e·2^8 is the high word, its fraction's 32 bits the low word.
    private static void AccumulateMass(SourceWriter w, GpuDialect d, bool add)
    {
        w.Line($"float scaled = e * {d.Float(256)};");
        w.Line($"{d.Uint} eh = {d.Cast(d.Uint, "scaled")};");
        w.Line($"{d.Uint} el = {d.Cast(d.Uint, $"(scaled - {d.Cast("float", "eh")}) * {d.Float(4294967296.0)}")};");
        if (add)
        {
            w.Line("l += el;");
            w.Line("h += eh + (l < el ? 1u : 0u);");
        }
        else
        {
            w.Line("h -= eh + (l < el ? 1u : 0u);");
            w.Line("l -= el;");
        }
    }

    /// <summary>
    /// Declares the id search: the lowest id whose key is <c>drawnKey</c> (its penalized value for history ids), stored as the result.
    /// </summary>
    private static void IdPass(GpuKernelSource kernel)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        var u = d.Uint;
        w.Line($"{u} chosen = 0xffffffffu;");
        using (w.Block("if (compacted)"))
        using (w.Block($"for (int c = lid; c < {d.Cast("int", "candidates")}; c += {Threads})"))
            w.Line($"if (candidateKey[c] == drawnKey && {d.Cast(u, "candidateId[c]")} < chosen) chosen = {d.Cast(u, "candidateId[c]")};");
        using (w.Block("else"))
        {
            using (w.Block($"for (int i = lid; i < Vocab; i += {Threads})"))
            {
                Key(kernel, "e", Logit(kernel, "i"));
                using (w.Block($"if (eKey == drawnKey && {d.Cast(u, "i")} < chosen)"))
                {
                    Penalized(kernel, "i");
                    w.Line($"if (!penalized) chosen = {d.Cast(u, "i")};");
                }
            }
            using (w.Block($"for (int s = lid; s < historyCount; s += {Threads})"))
            {
                Key(kernel, "h", "historyLogit[s]");
                w.Line($"if (hKey == drawnKey && {d.Cast(u, "historyId[s]")} < chosen) chosen = {d.Cast(u, "historyId[s]")};");
            }
        }
        Tree(kernel, ["chosen"], (x, y) => [$"if (reduceA[{y}] < reduceA[{x}]) reduceA[{x}] = reduceA[{y}];"]);
        w.Line($"if (lid == 0) {d.Word(2, "row")} = chosen;");
    }

    /// <summary>
    /// Combines up to three per-thread values (in <c>reduceA</c>, <c>reduceB</c>, <c>reduceC</c>) over the workgroup with a
    /// shared-memory tree whose step <paramref name="combine"/> folds slot y into slot x; every thread then reads the totals
    /// back into the same variables. All threads must get here.
    /// </summary>
    private static void Tree(GpuKernelSource kernel, IReadOnlyList<string> values, Func<string, string, IEnumerable<string>> combine)
    {
        var (w, d) = (kernel.Writer, kernel.Dialect);
        string[] arrays = ["reduceA", "reduceB", "reduceC"];
        for (var i = 0; i < values.Count; i++) w.Line($"{arrays[i]}[lid] = {values[i]};");
        w.Line(d.Barrier);
        using (w.Block($"for (int stride = {Threads / 2}; stride > 0; stride >>= 1)"))
        {
            using (w.Block("if (lid < stride)"))
                foreach (var line in combine("lid", "lid + stride")) w.Line(line);
            w.Line(d.Barrier);
        }
        for (var i = 0; i < values.Count; i++) w.Line($"{values[i]} = {arrays[i]}[0];");
        w.Line(d.Barrier);
    }

    /// <summary>
    /// <paramref name="outHigh"/>:<paramref name="outLow"/> = (<paramref name="high"/>:<paramref name="low"/> × <paramref name="fraction"/>) / 2³²,
    /// truncated: a 64-bit value times a 32-bit fraction, from 16-bit partial products (no 64-bit type or high multiply needed).
    /// </summary>
    private static void ScaleByFraction(SourceWriter w, string u, string outHigh, string outLow, string high, string low, string fraction)
    {
        using (w.Block(""))
        {
            Multiply(w, u, "p", high, fraction);
            Multiply(w, u, "q", low, fraction);
            w.Line($"{outLow} = pLow + qHigh;");
            w.Line($"{outHigh} = pHigh + ({outLow} < qHigh ? 1u : 0u);");
        }
    }

    // {name}High:{name}Low = a × b, the full 64-bit product of two 32-bit words.
    private static void Multiply(SourceWriter w, string u, string name, string a, string b)
    {
        w.Line($"{u} {name}A0 = {a} & 0xffffu, {name}A1 = {a} >> 16, {name}B0 = {b} & 0xffffu, {name}B1 = {b} >> 16;");
        w.Line($"{u} {name}Mid1 = {name}A1 * {name}B0, {name}Mid2 = {name}A0 * {name}B1;");
        w.Line($"{u} {name}Low = {name}A0 * {name}B0;");
        w.Line($"{u} {name}High = {name}A1 * {name}B1 + ({name}Mid1 >> 16) + ({name}Mid2 >> 16);");
        w.Line($"{u} {name}Sum = {name}Low + ({name}Mid1 << 16);");
        w.Line($"{name}High += {name}Sum < {name}Low ? 1u : 0u;");
        w.Line($"{name}Low = {name}Sum;");
        w.Line($"{name}Sum = {name}Low + ({name}Mid2 << 16);");
        w.Line($"{name}High += {name}Sum < {name}Low ? 1u : 0u;");
        w.Line($"{name}Low = {name}Sum;");
    }
}
