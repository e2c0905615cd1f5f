using System.Diagnostics;
using Llmc.Tests;

namespace Llmc.EndToEnd.Tests;

/// <summary>Runs the llmc CLI (the build copied beside the tests) as a separate process, as a user would.</summary>
public static class LlmcCli
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    public static Result Run(params string[] args) => RunWith(new Dictionary<string, string>(), args);

    /// <summary>Runs with extra environment variables, e.g. to hide an instruction set from the runtime.</summary>
    public static Result RunWith(IReadOnlyDictionary<string, string> environment, params string[] args) => Start(environment, null, args);

    /// <summary>Runs with <paramref name="input"/> on standard input, then end of input.</summary>
    public static Result RunWithInput(string input, params string[] args) => Start(new Dictionary<string, string>(), input, args);

    private static Result Start(IReadOnlyDictionary<string, string> environment, string? input, string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        foreach (var (name, value) in environment) start.Environment[name] = value;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "llmc.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        if (input is not null)
        {
            process.StandardInput.Write(input);
            process.StandardInput.Close();
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("llmc " + string.Join(' ', args) + " did not finish in 5 minutes");
        }
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }
}
