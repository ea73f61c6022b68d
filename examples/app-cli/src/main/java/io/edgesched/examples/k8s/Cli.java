package io.edgesched.examples.k8s;

import picocli.CommandLine;

/** How the agent and controller mains run their command line: a bad option is one stderr line and exit 2. */
public final class Cli {
    /** Property of slf4j-simple's level for fabric8's informer reflector (see {@link #quietInformerStartErrors()}). */
    static final String REFLECTOR_LOG = "org.slf4j.simpleLogger.log.io.fabric8.kubernetes.client.informers.impl.cache.Reflector";

    private Cli() {
    }

    /** Parses and runs {@code app}; returns the exit code (2 for a bad option, after one line on stderr). */
    public static int run(String tool, Object app, String... args) {
        return run(tool, app, null, args);
    }

    /** As {@link #run(String, Object, String...)}, writing errors to {@code err} (null: stderr). */
    public static int run(String tool, Object app, java.io.PrintWriter err, String... args) {
        quietInformerStartErrors();
        CommandLine cl = new CommandLine(app);
        if (err != null) {
            cl.setErr(err);
        }
        cl.setParameterExceptionHandler((e, a) -> {
            e.getCommandLine().getErr().println(tool + ": " + e.getMessage() + " (see --help)");
            return CommandLine.ExitCode.USAGE;
        });
        return cl.execute(args);
    }

    /**
     * fabric8 logs a failed first listing with a stack trace (ERROR "listSyncAndWatch failed ..., will stop")
     * before the app can print its own one-line "cannot list from the API server" and exit 3. After start,
     * the informers retry and log at WARN. Set the property yourself to see the reflector's messages again.
     */
    static void quietInformerStartErrors() {
        if (System.getProperty(REFLECTOR_LOG) == null) {
            System.setProperty(REFLECTOR_LOG, "off");
        }
    }
}
