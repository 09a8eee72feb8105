package org.smtpdetect;

import org.smtpdetect.cli.CheckCommand;
import org.smtpdetect.cli.RulesCommand;
import org.smtpdetect.config.InvalidConfigurationException;
import org.smtpdetect.config.JobOptions;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Entry point of the jar. {@code check ...} runs the rule tester and {@code rules ...} the rule linter, which need
 * no Flink; anything else runs the detection job (on an embedded Flink when started outside a cluster).
 */
public final class Main {
    /** Set by {@code mvn exec:java}: run the job in a child JVM whose system class path holds the project. */
    static final String FORK_PROPERTY = "smtp.fork-jvm";
    /** Set on that child: the pid of the JVM that started it, which it must not outlive. */
    static final String PARENT_PID_PROPERTY = "smtp.parent-pid";
    /** How long a stopped parent waits for its child to stop before killing it. */
    private static final long CHILD_STOP_TIMEOUT_S = 30;

    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("check")) {
            System.exit(CheckCommand.run(Arrays.copyOfRange(args, 1, args.length), System.in, System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("rules")) {
            System.exit(RulesCommand.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help"))) {
            System.out.println(usage());
            return;
        }
        if (args.length > 0 && !args[0].startsWith("--")) {
            System.err.println("error: unknown mode '" + args[0] + "'\n\n" + usage());
            System.exit(2);
        }
        if (!flinkAvailable()) {
            System.err.println(usage() + "\n" + NO_FLINK);
            System.exit(2);
        }
        watchParent();
        if (Boolean.getBoolean(FORK_PROPERTY)) {
            // Flink's embedded cluster loads job classes through the system class loader, which under
            // exec:java holds only Maven itself; a child JVM with the project's class path fixes that.
            System.exit(runInChildJvm(args));
        }
        try {
            // Loaded by name so that 'check' never touches Flink classes.
            Class.forName("org.smtpdetect.job.DetectionJob").getMethod("main", String[].class).invoke(null, (Object) args);
        } catch (InvocationTargetException e) {
            // The job already printed what to fix; a stack trace would only bury it.
            if (e.getCause() instanceof InvalidConfigurationException) System.exit(2);
            if (e.getCause() instanceof Exception cause) throw cause;
            throw e;
        }
    }

    static final String NO_FLINK = String.join("\n",
            "The detection job needs Flink, which this jar leaves to the cluster. Run it with",
            "  flink run -c org.smtpdetect.job.DetectionJob target/smtp-to-internet.jar --kafka.bootstrap-servers ... --es.hosts ...",
            "or, from the project directory, on an embedded Flink:",
            "  mvn -q exec:java -Dexec.args=\"--kafka.bootstrap-servers ... --es.hosts ...\"",
            "'check' and 'rules' need no Flink: java -jar target/smtp-to-internet.jar check events.ndjson");

    /** Flink and its logging API, which the shaded jar does not carry (plain {@code java -jar}). */
    static boolean flinkAvailable() {
        try {
            Class.forName("org.slf4j.LoggerFactory", false, Main.class.getClassLoader());
            Class.forName("org.apache.flink.streaming.api.environment.StreamExecutionEnvironment", false, Main.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    /** In the child JVM of {@code mvn exec:java}: exit when the parent is gone, however it died. */
    private static void watchParent() {
        String pid = System.getProperty(PARENT_PID_PROPERTY);
        if (pid == null) return;
        java.util.Optional<ProcessHandle> parent = ProcessHandle.of(Long.parseLong(pid));
        if (parent.isEmpty()) System.exit(1);
        parent.get().onExit().thenRun(() -> {
            System.err.println("The process that started this job (pid " + pid + ") has exited; stopping.");
            System.exit(1);
        });
    }

    static String usage() {
        StringBuilder b = new StringBuilder(String.join("\n",
                "SMTP to the Internet - Flink detection job",
                "",
                "  check [--explain] [--rule FILE] FILE...   test events against the rule (no Flink needed;",
                "        [--exceptions FILES] [--value-lists DIR]      with Kibana rule exceptions)",
                "  rules [--field-types FILE] [--dsl] PATH... load and compile rule files or directories, one line",
                "                                            per rule: ok or error with the reason (no Flink needed)",
                "  (no options)                              replay the bundled sample on an embedded Flink",
                "  --input PATH[,PATH] [--output FILE]       replay (backtest) NDJSON files or directories",
                "  --kafka.bootstrap-servers ... --es.hosts ...   stream from Kafka to Elasticsearch",
                "",
                "Options (also settable in the Flink configuration as smtp.<name>):",
                ""));
        for (JobOptions.Option o : JobOptions.OPTIONS) {
            b.append(String.format("  --%-36s %s%n", o.name() + (o.defaultValue().isEmpty() ? "" : " (" + o.defaultValue() + ")"),
                    o.description().replace("`", "")));
        }
        b.append(String.format("  --%-36s %s%n", "kafka.property.<name>", "any Kafka client property (security.protocol, sasl.*, ssl.*)"));
        return b.toString();
    }

    /**
     * Runs the job in a child JVM and returns its exit code. A SIGTERM or SIGINT to this JVM (a service manager,
     * a script, Ctrl-C) is passed on to the child, and this JVM waits for it to stop; the child also exits if
     * this JVM dies without a chance to do so (SIGKILL).
     */
    private static int runInChildJvm(String[] args) throws Exception {
        List<String> classpath = new ArrayList<>();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        for (ClassLoader l = loader; l != null; l = l.getParent()) {
            if (l instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) classpath.add(Path.of(url.toURI()).toString());
            }
        }
        // Started with plain 'java -cp' (tests, scripts): the application class loader is no URLClassLoader.
        if (classpath.isEmpty()) classpath.addAll(Arrays.asList(System.getProperty("java.class.path").split(File.pathSeparator)));
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--add-opens=java.base/java.time=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED"));
        String log4j = System.getProperty("log4j.configurationFile");
        if (log4j != null) cmd.add("-Dlog4j.configurationFile=" + log4j);
        cmd.add("-D" + PARENT_PID_PROPERTY + "=" + ProcessHandle.current().pid());
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, classpath));
        cmd.add(Main.class.getName());
        cmd.addAll(Arrays.asList(args));
        Process child = new ProcessBuilder(cmd).inheritIO().start();
        Thread forward = new Thread(() -> stopChild(child), "stop-job-jvm");
        Runtime.getRuntime().addShutdownHook(forward);
        int exit = child.waitFor();
        try {
            Runtime.getRuntime().removeShutdownHook(forward);
        } catch (IllegalStateException shuttingDown) {
            // The hook is running already and waits for the child itself.
        }
        return exit;
    }

    private static void stopChild(Process child) {
        if (!child.isAlive()) return;
        child.destroy(); // SIGTERM: the child runs its own shutdown hooks
        try {
            if (!child.waitFor(CHILD_STOP_TIMEOUT_S, java.util.concurrent.TimeUnit.SECONDS)) {
                System.err.println("The job JVM did not stop within " + CHILD_STOP_TIMEOUT_S + " s; killing it.");
                child.destroyForcibly().waitFor();
            }
        } catch (InterruptedException e) {
            child.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
