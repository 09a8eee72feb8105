package org.smtpdetect.deploy;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.FallbackKey;

/**
 * The configuration keys Flink 1.20 knows, read from its own option classes: every
 * {@code *Options} class in flink-core's {@code org.apache.flink.configuration} package plus the
 * option classes that live in flink-runtime and flink-streaming-java. Fallback and deprecated
 * keys are known too, but reported apart so a config can be kept free of deprecated names.
 */
final class FlinkConfigKeys {

    /** Option classes outside flink-core's configuration package. */
    private static final List<String> EXTRA_OPTION_CLASSES = List.of(
            "org.apache.flink.streaming.api.environment.ExecutionCheckpointingOptions",
            "org.apache.flink.streaming.api.environment.StreamPipelineOptions",
            "org.apache.flink.runtime.highavailability.JobResultStoreOptions",
            "org.apache.flink.runtime.jobgraph.SavepointConfigOptions",
            "org.apache.flink.runtime.shuffle.ShuffleServiceOptions");

    /** Reporter settings are per reporter name; their suffixes belong to each reporter. */
    private static final String REPORTER_PREFIX = "metrics.reporter.";

    private static final FlinkConfigKeys INSTANCE = new FlinkConfigKeys();

    private final Map<String, ConfigOption<?>> options = new HashMap<>();
    private final Map<String, String> deprecatedToCurrent = new HashMap<>();

    private FlinkConfigKeys() {
        List<Class<?>> classes = new ArrayList<>(flinkCoreOptionClasses());
        for (String name : EXTRA_OPTION_CLASSES) {
            try {
                classes.add(Class.forName(name));
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("Flink option class missing from the test classpath: " + name, e);
            }
        }
        for (Class<?> type : classes) {
            for (Field field : type.getFields()) {
                if (Modifier.isStatic(field.getModifiers()) && ConfigOption.class.isAssignableFrom(field.getType())) {
                    register(readOption(field));
                }
            }
        }
    }

    static FlinkConfigKeys get() {
        return INSTANCE;
    }

    int size() {
        return options.size();
    }

    /** True for a current, fallback or deprecated Flink key, or a reporter setting. */
    boolean isKnown(String key) {
        return options.containsKey(key) || deprecatedToCurrent.containsKey(key) || isReporterKey(key);
    }

    /** The current name of a deprecated key, if {@code key} is one. */
    Optional<String> currentNameOf(String key) {
        return Optional.ofNullable(deprecatedToCurrent.get(key));
    }

    Optional<ConfigOption<?>> option(String key) {
        return Optional.ofNullable(options.get(key));
    }

    /** The problems of a configuration: unknown keys, deprecated keys and values Flink cannot parse. */
    List<String> problems(Configuration configuration, boolean allowDeprecated) {
        List<String> problems = new ArrayList<>();
        for (String key : new TreeSet<>(configuration.keySet())) {
            if (!isKnown(key)) {
                problems.add("unknown Flink key: " + key);
                continue;
            }
            if (!allowDeprecated && currentNameOf(key).isPresent()) {
                problems.add("deprecated Flink key: " + key + " (now " + currentNameOf(key).get() + ")");
            }
            ConfigOption<?> option = options.get(key);
            if (option != null) {
                try {
                    configuration.get(option);
                } catch (RuntimeException e) {
                    problems.add("invalid value for " + key + ": " + e.getMessage());
                }
            }
        }
        return problems;
    }

    private static boolean isReporterKey(String key) {
        if (!key.startsWith(REPORTER_PREFIX)) {
            return false;
        }
        String rest = key.substring(REPORTER_PREFIX.length());
        int dot = rest.indexOf('.');
        return dot > 0 && dot < rest.length() - 1;
    }

    private void register(ConfigOption<?> option) {
        options.putIfAbsent(option.key(), option);
        for (FallbackKey fallback : option.fallbackKeys()) {
            if (fallback.isDeprecated()) {
                deprecatedToCurrent.putIfAbsent(fallback.getKey(), option.key());
            } else {
                options.putIfAbsent(fallback.getKey(), option);
            }
        }
    }

    private static ConfigOption<?> readOption(Field field) {
        try {
            return (ConfigOption<?>) field.get(null);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every {@code *Options} class in flink-core's configuration package. */
    private static List<Class<?>> flinkCoreOptionClasses() {
        String packagePath = CoreOptions.class.getPackageName().replace('.', '/') + '/';
        List<Class<?>> classes = new ArrayList<>();
        try (JarFile jar = new JarFile(jarOf(CoreOptions.class).toFile())) {
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                String name = entries.nextElement().getName();
                String simple = name.startsWith(packagePath) ? name.substring(packagePath.length()) : "";
                if (simple.endsWith("Options.class") && !simple.contains("/") && !simple.contains("$")) {
                    classes.add(Class.forName(name.substring(0, name.length() - ".class".length()).replace('/', '.')));
                }
            }
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("Cannot list Flink's option classes", e);
        }
        if (classes.size() < 20) {
            throw new IllegalStateException("Found only " + classes.size() + " option classes in flink-core");
        }
        return classes;
    }

    private static Path jarOf(Class<?> type) {
        try {
            return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
