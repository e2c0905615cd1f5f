namespace Llmc.Runtime.Format;

/// <summary>
/// What a plan step launches, by the rows of the step: <see cref="Any"/>, or <see cref="ManyRows"/> (a kernel's
/// many-rows variant, <see cref="KernelLaunch.MinRows"/>) for steps of at least <see cref="MinRows"/> rows. The executor
/// chooses per step, so a decode row runs the lean matrix-vector code and a prefill chunk the code that reuses each
/// weight across many rows, each launching only the workgroups it needs.
/// </summary>
public readonly record struct StepCode<T>(T Any, T? ManyRows, int MinRows) where T : class
{
    public T For(int rows) => ManyRows is not null && rows >= MinRows ? ManyRows : Any;

    /// <summary>Both codes, the many-rows one when there is one.</summary>
    public IEnumerable<T> All => ManyRows is null ? [Any] : [Any, ManyRows];

    /// <summary>The same choice with each code mapped (e.g. from kernel-table entries to loaded kernels).</summary>
    public StepCode<TOther> Select<TOther>(Func<T, TOther> map) where TOther : class =>
        new(map(Any), ManyRows is null ? null : map(ManyRows), MinRows);
}

/// <summary>Splitting a kernel's codes into the code for any step and the many-rows variant.</summary>
public static class StepCode
{
    /// <summary>Whether a code with launch <paramref name="launch"/> is a kernel's many-rows variant.</summary>
    public static bool IsManyRows(KernelLaunch? launch) => launch is { MinRows: > 0 };

    /// <summary>
    /// The step code of one kernel from its kernel-table entries: <paramref name="choose"/> picks among the entries for
    /// any step and among the many-rows entries (where there are any); with <paramref name="batchInvariant"/> only
    /// among many-rows entries that round as the code for any step (<see cref="KernelLaunch.SameRounding"/>).
    /// </summary>
    public static StepCode<KernelEntry> Of(IReadOnlyList<KernelEntry> entries, Func<IReadOnlyList<KernelEntry>, KernelEntry> choose, bool batchInvariant = false) =>
        Of(entries[0].Name, entries, e => e.Launch, choose, batchInvariant);

    /// <summary>The step code of kernel <paramref name="kernel"/> from its <paramref name="codes"/>, each with its launch.</summary>
    public static StepCode<T> Of<T>(string kernel, IReadOnlyList<T> codes, Func<T, KernelLaunch?> launch, Func<IReadOnlyList<T>, T> choose,
        bool batchInvariant = false) where T : class
    {
        var many = codes.Where(c => IsManyRows(launch(c)) && (!batchInvariant || launch(c)!.SameRounding)).ToList();
        var any = codes.Where(c => !IsManyRows(launch(c))).ToList();
        if (any.Count == 0) throw new LlmcException($"kernel '{kernel}' has code only for steps of many rows");
        var chosen = many.Count == 0 ? null : choose(many);
        return new StepCode<T>(choose(any), chosen, chosen is null ? 0 : launch(chosen)!.MinRows);
    }
}
