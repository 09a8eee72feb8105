package org.smtpdetect.job;

import org.smtpdetect.connectors.exceptions.ExceptionsVersion;
import org.smtpdetect.exception.ExceptionSources;
import org.smtpdetect.exception.KibanaExport;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleLoader;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** Kibana exception exports for the job's tests: items that except events by host name. */
final class ExceptionFixtures {
    private ExceptionFixtures() {}

    /** The seed rule under another id (the harness tests' rule key). */
    static Rule seedAs(String ruleId) {
        Rule s = RuleLoader.loadDefault();
        return new Rule(ruleId, s.name(), s.description(), s.version(), s.type(), s.language(), s.query(), s.index(),
                s.interval(), s.from(), s.lookBack(), s.maxSignals(), s.severity(), s.riskScore(), s.tags(), s.threat(),
                s.falsePositives(), s.references(), s.author(), s.license(), s.timestampOverride());
    }

    /** An item excepting events of host {@code host}, expiring at {@code expire} unless null. */
    static String hostItem(String itemId, String host, Instant expire) {
        return "{\"item_id\":\"" + itemId + "\",\"list_id\":\"relays\",\"name\":\"NATed mail relay " + host + "\","
                + "\"namespace_type\":\"single\",\"type\":\"simple\",\"os_types\":[],"
                + (expire == null ? "" : "\"expire_time\":\"" + expire + "\",")
                + "\"entries\":[{\"field\":\"host.name\",\"operator\":\"included\",\"type\":\"match\",\"value\":\"" + host + "\"}]}";
    }

    /** Writes a Kibana export of list {@code relays} with these items to {@code file}. */
    static Path export(Path file, List<String> items) {
        return KibanaExport.write(file, "relays", "Mail relays", items);
    }

    /** The sources of an export with these items, written to {@code file}. */
    static ExceptionSources sources(Path file, String... items) {
        return ExceptionSources.read(List.of(export(file, List.of(items))), null);
    }

    static ExceptionsVersion version(long number, ExceptionSources sources) {
        return new ExceptionsVersion(number, System.currentTimeMillis(), sources);
    }
}
