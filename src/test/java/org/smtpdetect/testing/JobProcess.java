package org.smtpdetect.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The job as a user runs it locally ({@code mvn exec:java} forks exactly this): a JVM of its own running
 * {@code org.smtpdetect.Main} on the embedded Flink, with the shaded jar and a plain Flink runtime on its class path
 * and the local log configuration, its output in a log file. {@link #terminate()} sends SIGTERM, as a service manager
 * would.
 *
 * <pre>{@code
 * try (JobProcess job = JobProcess.start(workDir, "--kafka.bootstrap-servers", ...)) {
 *     job.awaitLog(l -> l.contains("Checkpoints every"), Duration.ofSeconds(60));
 * }
 * }</pre>
 */
public final class JobProcess implements AutoCloseable {
    private static final List<String> OPENS = List.of("--add-opens=java.base/java.util=ALL-UNNAMED",
            "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.time=ALL-UNNAMED",
            "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
            "--add-opens=java.base/java.net=ALL-UNNAMED");

    private final Process process;
    private final Path log;

    private JobProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /** Starts the job with {@code args}; its output goes to {@code <workDir>/job-<n>.log}. */
    public static JobProcess start(Path workDir, String... args) {
        Path jar = Path.of(ServiceProcess.requiredProperty("project.jar"));
        Path flinkClasspath = Path.of(System.getProperty("basedir", "")).toAbsolutePath().resolve("target/flink-cluster.classpath");
        try {
            Files.createDirectories(workDir);
            String classpath = jar + java.io.File.pathSeparator + Files.readString(flinkClasspath).trim();
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.add("-Xmx1g");
            cmd.addAll(OPENS);
            cmd.add("-Dlog4j.configurationFile=" + System.getProperty("job.log4j", "log4j2-local.properties"));
            cmd.add("-cp");
            cmd.add(classpath);
            cmd.add("org.smtpdetect.Main");
            cmd.addAll(List.of(args));
            Path log;
            int n = 0;
            do {
                log = workDir.resolve("job-" + n++ + ".log");
            } while (Files.exists(log));
            Process p = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).start();
            return new JobProcess(p, log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines logged so far. */
    public List<String> logLines() {
        try {
            return Files.readAllLines(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public long pid() {
        return process.pid();
    }

    public Path logFile() {
        return log;
    }

    /** Waits until a logged line satisfies {@code line}; fails with the log's tail if the job exits or time runs out. */
    public String awaitLog(Predicate<String> line, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (String l : logLines()) {
                if (line.test(l)) return l;
            }
            if (!process.isAlive()) throw new AssertionError("the job exited with " + process.exitValue() + " first" + tail());
            Thread.sleep(100);
        }
        throw new AssertionError("no such line after " + timeout.toSeconds() + " s" + tail());
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM, then waits for the JVM to exit; returns its exit code. */
    public int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new AssertionError("the job did not exit within 60 s of SIGTERM" + tail());
        }
        return process.exitValue();
    }

    /** The last lines of the log, for assertion messages. */
    public String tail() {
        List<String> lines = logLines();
        return "\n--- last lines of " + log + " ---\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
