package org.smtpdetect;

import org.smtpdetect.cli.CheckCommand;
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
 * Entry point of the jar. {@code check ...} runs the rule tester, which needs no Flink; anything else runs the
 * detection job (on an embedded Flink when started outside a cluster).
 */
public final class Main {
    /** Set by {@code mvn exec:java}: run the job in a child JVM whose system class path holds the project. */
    static final String FORK_PROPERTY = "smtp.fork-jvm";

    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("check")) {
            System.exit(CheckCommand.run(Arrays.copyOfRange(args, 1, args.length), System.in, System.out, System.err));
        }
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help"))) {
            System.out.println(usage());
            return;
        }
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

    static String usage() {
        StringBuilder b = new StringBuilder(String.join("\n",
                "SMTP to the Internet - Flink detection job",
                "",
                "  check [--explain] [--rule FILE] FILE...   test events against the rule (no Flink needed;",
                "        [--exceptions FILES] [--value-lists DIR]      with Kibana rule exceptions)",
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

    private static int runInChildJvm(String[] args) throws Exception {
        List<String> classpath = new ArrayList<>();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        for (ClassLoader l = loader; l != null; l = l.getParent()) {
            if (l instanceof URLClassLoader u) {
                for (URL url : u.getURLs()) classpath.add(Path.of(url.toURI()).toString());
            }
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--add-opens=java.base/java.util=ALL-UNNAMED", "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--add-opens=java.base/java.time=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
                "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED"));
        String log4j = System.getProperty("log4j.configurationFile");
        if (log4j != null) cmd.add("-Dlog4j.configurationFile=" + log4j);
        cmd.add("-cp");
        cmd.add(String.join(File.pathSeparator, classpath));
        cmd.add(Main.class.getName());
        cmd.addAll(Arrays.asList(args));
        return new ProcessBuilder(cmd).inheritIO().start().waitFor();
    }
}
