using Llmc.Ir;
using Llmc.Runtime;
using Llmc.Targets;

namespace Llmc.Cli;

/// <summary>Runs a command body so that every failure ends as one line on stderr and a non-zero exit code.</summary>
public static class CliErrors
{
    public const int Failure = 1;

    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is LlmcException or IrException or TargetException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine("error: " + OneLine(e.Message));
            return Failure;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("error: cancelled");
            return Failure;
        }
        catch (Exception e) when (Environment.GetEnvironmentVariable("LLMC_DEBUG") is null)
        {
            // A bug of ours, not bad input: still one line, with the type to report it by. LLMC_DEBUG=1 shows the trace.
            Console.Error.WriteLine($"internal error: {e.GetType().Name}: {OneLine(e.Message)}");
            return Failure;
        }
    }

    private static string OneLine(string message) => message.ReplaceLineEndings(" | ");
}
