package org.smtpdetect.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * An external service process started by the integration tests: output redirected to a log file in its run
 * directory, stopped with its children when the tests end or the JVM exits, and diagnosed with the tail of that
 * log when it does not come up.
 */
final class ServiceProcess {
    private static final Set<ServiceProcess> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(ServiceProcess::stop), "stop-test-services"));
    }

    /** Checks whether the service answers yet; exceptions count as "not yet". */
    @FunctionalInterface
    interface ReadinessProbe {
        boolean ready() throws Exception;
    }

    final String name;
    final Path runDir;
    final Path log;
    private final Process process;

    private ServiceProcess(String name, Path runDir, Path log, Process process) {
        this.name = name;
        this.runDir = runDir;
        this.log = log;
        this.process = process;
    }

    /** Starts {@code command} in {@code runDir} with its output appended to {@code runDir/service.log}. */
    static ServiceProcess start(String name, Path runDir, List<String> command, Map<String, String> env) {
        Path log = runDir.resolve("service.log");
        ProcessBuilder pb = new ProcessBuilder(command).directory(runDir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        try {
            ServiceProcess p = new ServiceProcess(name, runDir, log, pb.start());
            RUNNING.add(p);
            Files.writeString(runDir.resolve("pid"), Long.toString(p.process.pid()));
            return p;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name + ": " + command, e);
        }
    }

    /** Runs a short command to completion, failing with its output if it does not exit 0 in time. */
    static void run(List<String> command, Path workDir, Duration timeout) {
        run(command, workDir, Map.of(), timeout);
    }

    /** Like {@link #run(List, Path, Duration)}, with extra environment variables. */
    static void run(List<String> command, Path workDir, Map<String, String> env, Duration timeout) {
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
            pb.environment().putAll(env);
            Process p = pb.start();
            java.util.concurrent.CompletableFuture<String> output = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    return e.toString();
                }
            });
            boolean exited = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!exited) p.destroyForcibly().waitFor();
            if (!exited || p.exitValue() != 0) {
                throw new IllegalStateException(command + (exited ? " exited with " + p.exitValue() : " timed out")
                        + ":\n" + output.get(5, TimeUnit.SECONDS));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException(command + " failed", e);
        }
    }

    /** Whether a short command exits 0. */
    static boolean succeeds(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Polls {@code probe} until it answers true; fails with the log tail if the process dies or time runs out. */
    void awaitReady(Duration timeout, ReadinessProbe probe) {
        long deadline = System.nanoTime() + timeout.toNanos();
        Exception last = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException(name + " exited with " + process.exitValue() + " while starting" + logTail());
            }
            try {
                if (probe.ready()) return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop();
                throw new IllegalStateException(name + " start interrupted", e);
            } catch (Exception e) {
                last = e;
            }
            sleep(200);
        }
        stop();
        throw new IllegalStateException(name + " not ready after " + timeout.toSeconds() + " s (last probe error: "
                + last + ")" + logTail());
    }

    /** Stops the process and its descendants: TERM, then KILL after 20 s. Idempotent. */
    void stop() {
        RUNNING.remove(this);
        List<ProcessHandle> all = tree();
        all.forEach(ProcessHandle::destroy);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
    }

    /** SIGKILL to the process and its descendants, waiting until they are gone. */
    void kill() {
        RUNNING.remove(this);
        List<ProcessHandle> all = tree();
        all.forEach(ProcessHandle::destroyForcibly);
        for (ProcessHandle h : all) {
            try {
                h.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException(name + " did not die", e);
            }
        }
    }

    /** The process and its descendants, children first. */
    private List<ProcessHandle> tree() {
        List<ProcessHandle> all = new ArrayList<>();
        process.descendants().forEach(all::add);
        all.add(process.toHandle());
        return all;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** The last lines of the service log, formatted for an exception message. */
    String logTail() {
        return "\n--- last lines of " + log + " ---\n" + tail(log, 40);
    }

    static String tail(Path file, int lines) {
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    /** A port free on 127.0.0.1 right now. */
    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A fresh run directory {@code <work>/<name>-<pid of this JVM>}. Run directories of earlier test JVMs are
     * removed first, after stopping any of their processes that survived (a test JVM killed without its hooks).
     */
    static Path newRunDir(Path workDir, String name) {
        try {
            Files.createDirectories(workDir);
            try (Stream<Path> old = Files.list(workDir)) {
                old.filter(d -> d.getFileName().toString().startsWith(name + "-")).forEach(ServiceProcess::reap);
            }
            Path dir = workDir.resolve(name + "-" + ProcessHandle.current().pid());
            Files.createDirectories(dir);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void reap(Path oldRunDir) {
        try {
            Path pidFile = oldRunDir.resolve("pid");
            if (Files.exists(pidFile)) {
                ProcessHandle.of(Long.parseLong(Files.readString(pidFile).trim()))
                        .filter(h -> h.info().commandLine().map(c -> c.contains(oldRunDir.toString())).orElse(false))
                        .ifPresent(h -> {
                            h.descendants().forEach(ProcessHandle::destroyForcibly);
                            h.destroyForcibly();
                        });
            }
            deleteTree(oldRunDir);
        } catch (IOException | RuntimeException e) {
            // A leftover directory only costs disk space.
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** A required system property set by the failsafe configuration in pom.xml. */
    static String requiredProperty(String key) {
        String v = System.getProperty(key);
        if (v == null || v.isBlank()) {
            throw new IllegalStateException("system property " + key + " is not set: run integration tests with"
                    + " `mvn verify` (or run `mvn pre-integration-test` once and pass the failsafe system"
                    + " properties from pom.xml in the IDE)");
        }
        return v;
    }
}
