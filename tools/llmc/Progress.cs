using Spectre.Console;

namespace Llmc.Cli;

/// <summary>A spinner with the current step on stderr while a long task runs; silent when stderr is not a terminal.</summary>
public static class Progress
{
    public static T Show<T>(string title, Func<IProgress<string>, T> work)
    {
        if (Console.IsErrorRedirected) return work(new Progress<string>());
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Status().Start(title, ctx => work(new Reporter(ctx)));
    }

    private sealed class Reporter(StatusContext context) : IProgress<string>
    {
        public void Report(string value) => context.Status(Markup.Escape(value));
    }
}
