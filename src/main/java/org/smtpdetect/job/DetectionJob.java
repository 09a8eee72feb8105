package org.smtpdetect.job;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ReadableConfig;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.smtpdetect.config.InvalidConfigurationException;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.exception.ExceptionSet;
import org.smtpdetect.exception.ExceptionSources;
import org.smtpdetect.rule.Detector;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The job's entry point. Three modes, chosen by the options:
 * <ul>
 *   <li>{@code --kafka.bootstrap-servers ...}: streaming from Kafka to Elasticsearch;</li>
 *   <li>{@code --input PATH}: a bounded replay (backtest) of NDJSON files, written to files or stdout;</li>
 *   <li>no options: the replay of a bundled sample on an embedded Flink, to see the job work.</li>
 * </ul>
 * Bad options or rules fail here, before anything runs, with a message naming the option or field.
 */
public final class DetectionJob {
    private static final Logger LOG = LoggerFactory.getLogger(DetectionJob.class);

    private DetectionJob() {}

    public static void main(String[] args) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        JobOptions options;
        List<Rule> rules;
        JobSettings settings;
        try {
            options = JobOptions.parse(args, flinkOptions(env.getConfiguration()), System::getenv);
            rules = loadRules(options);
            settings = settings(options, rules);
        } catch (IllegalArgumentException e) {
            throw startupError(args, e);
        }
        LOG.info("Starting with rules {} and options {}", rules.stream().map(Rule::name).toList(), options);
        if (options.integer("parallelism") > 0) env.setParallelism(options.integer("parallelism"));
        try {
            if (!options.text("kafka.bootstrap-servers").isEmpty()) {
                StreamingJob.run(env, settings, options);
            } else {
                ReplayJob.run(env, settings, options);
            }
        } catch (IllegalArgumentException e) {
            // Options, files and services checked before the job runs: what to fix, in one line.
            throw startupError(args, e);
        }
    }

    /**
     * Prints {@code error: <what to fix>} alone; the stack trace only with {@code --verbose} (or at DEBUG for
     * this logger), since for a wrong option, file, address or password it only buries the line that matters.
     */
    static InvalidConfigurationException startupError(String[] args, IllegalArgumentException e) {
        System.err.println("error: " + e.getMessage());
        if (JobOptions.verboseRequested(args)) e.printStackTrace();
        LOG.debug("start-up failed", e);
        return e instanceof InvalidConfigurationException ice ? ice : new InvalidConfigurationException("invalid configuration: " + e.getMessage(), e);
    }

    /** Loads the rule files (or the seed rule) and compiles them once, so a bad query fails here. */
    static List<Rule> loadRules(JobOptions options) {
        List<Rule> rules = new ArrayList<>();
        if (options.list("rules").isEmpty()) {
            rules.add(RuleLoader.loadDefault());
        } else {
            for (String file : options.list("rules")) rules.addAll(RuleLoader.load(Path.of(file)));
        }
        if (!options.text("field-types").isEmpty()) {
            java.util.Map<String, String> types = org.smtpdetect.event.FieldTypes.readOverrides(Path.of(options.text("field-types")));
            rules.replaceAll(r -> r.withFieldTypes(types));
        }
        Detector.of(rules);
        return rules;
    }

    /** The settings, with the rule exceptions read and compiled: a file that does not compile fails here. */
    static JobSettings settings(JobOptions options, List<Rule> rules) {
        return new JobSettings(rules, timestampField(options, rules), options.duration("max-out-of-orderness"),
                options.duration("idleness"), options.duration("caught-up-idleness"), options.bool("early-alerts"), options.text("space-id"),
                JobSettings.kibanaRuleUuids(options.list("kibana.rule-uuid"), rules), loadExceptions(options, rules));
    }

    /** Reads the exception files and value lists and compiles them for the rules, logging what to look at. */
    static JobSettings.Exceptions loadExceptions(JobOptions options, List<Rule> rules) {
        List<String> files = options.list("exceptions");
        String valueLists = options.text("value-lists").isEmpty() ? null : options.text("value-lists");
        ExceptionSources sources = ExceptionSources.read(files.stream().map(Path::of).toList(),
                valueLists == null ? null : Path.of(valueLists));
        ExceptionSet compiled = ExceptionSet.compile(sources, rules, Detector.fieldTypes(rules));
        if (!files.isEmpty()) LOG.info("Rule exceptions version 0: {} from {}", compiled.summary(), files);
        for (String w : compiled.warnings()) LOG.warn("Rule exceptions: {}", w);
        return new JobSettings.Exceptions(files, valueLists, options.duration("exceptions-poll-interval"), sources);
    }

    /**
     * The event-time field: the option when given, else the rules' {@code timestamp_override} (Kibana reads
     * {@code event.ingested} then). One field serves the whole job, so rules that disagree need the option.
     */
    static String timestampField(JobOptions options, List<Rule> rules) {
        if (options.isSet("timestamp-field")) return options.text("timestamp-field");
        java.util.Set<String> overrides = new java.util.TreeSet<>();
        for (Rule r : rules) overrides.add(r.timestampOverride() == null ? Detector.TIMESTAMP : r.timestampOverride());
        if (overrides.size() > 1) {
            throw new IllegalArgumentException("rules read event time from different fields " + overrides
                    + "; choose one with option --timestamp-field");
        }
        String field = overrides.iterator().next();
        if (!field.equals(Detector.TIMESTAMP) && !field.equals(Detector.EVENT_INGESTED)) {
            throw new IllegalArgumentException("rule timestamp_override " + field + " is not supported; use option --timestamp-field");
        }
        return field;
    }

    /** Job options set in the Flink configuration as {@code smtp.*}. */
    static Map<String, String> flinkOptions(ReadableConfig config) {
        return config instanceof Configuration c ? c.toMap() : Map.of();
    }
}
