package io.edgesched.examples.bench;

import java.io.PrintStream;
import java.util.function.IntConsumer;

/**
 * Positional arguments of the small bench runners: {@code -h}/{@code --help} prints the usage and exits 0; an
 * option the runner does not know or a value that does not parse prints what is wrong and the usage, exit 2.
 */
final class BenchArgs {
    private final String usage;
    private final String[] args;
    private final PrintStream err;
    private final IntConsumer exit;

    BenchArgs(String usage, String[] args, PrintStream out, PrintStream err, IntConsumer exit) {
        this.usage = usage;
        this.args = args.clone();
        this.err = err;
        this.exit = exit;
        for (String a : args) {
            if (a.equals("-h") || a.equals("--help")) {
                out.println(usage);
                exit.accept(0);
                return;
            }
        }
    }

    static BenchArgs of(String usage, String[] args) {
        return new BenchArgs(usage, args, System.out, System.err, System::exit);
    }

    int intAt(int index, int fallback) {
        String text = textAt(index);
        if (text == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(text.replace("_", ""));
        } catch (NumberFormatException e) {
            return fail(index, text, "a whole number", fallback);
        }
    }

    double doubleAt(int index, double fallback) {
        String text = textAt(index);
        if (text == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return fail(index, text, "a number", fallback);
        }
    }

    /** The raw text, or null when absent; for values with their own parser (call {@link #bad} when it fails). */
    String textAt(int index) {
        return args.length > index ? args[index] : null;
    }

    <T> T bad(int index, String expected, T fallback) {
        return fail(index, args[index], expected, fallback);
    }

    private <T> T fail(int index, String text, String expected, T fallback) {
        err.println("argument " + (index + 1) + " '" + text + "' is not " + expected);
        err.println(usage);
        exit.accept(2);
        return fallback;
    }
}
