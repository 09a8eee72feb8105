package org.smtpdetect.job;

import org.junit.jupiter.api.Test;
import org.smtpdetect.config.JobOptions;
import org.smtpdetect.rule.Rule;
import org.smtpdetect.rule.RuleLoader;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DetectionJobTest {
    private static final Rule SEED = RuleLoader.loadDefault();

    private static Rule withOverride(String field) {
        return new Rule(SEED.ruleId() + "-x", SEED.name(), SEED.description(), SEED.version(), SEED.type(), SEED.language(),
                SEED.query(), SEED.index(), SEED.interval(), SEED.from(), SEED.lookBack(), SEED.maxSignals(), SEED.severity(),
                SEED.riskScore(), SEED.tags(), SEED.threat(), SEED.falsePositives(), SEED.references(), SEED.author(),
                SEED.license(), field);
    }

    @Test
    void eventTimeFieldComesFromTheOptionElseTheRulesTimestampOverride() {
        assertThat(DetectionJob.timestampField(JobOptions.fromArgs(), List.of(SEED))).isEqualTo("@timestamp");
        assertThat(DetectionJob.timestampField(JobOptions.fromArgs(), List.of(withOverride("event.ingested")))).isEqualTo("event.ingested");
        assertThat(DetectionJob.timestampField(JobOptions.fromArgs("--timestamp-field", "@timestamp"), List.of(withOverride("event.ingested"))))
                .isEqualTo("@timestamp");
        assertThatThrownBy(() -> DetectionJob.timestampField(JobOptions.fromArgs(), List.of(SEED, withOverride("event.ingested"))))
                .hasMessageContaining("--timestamp-field");
        assertThatThrownBy(() -> DetectionJob.timestampField(JobOptions.fromArgs(), List.of(withOverride("event.created"))))
                .hasMessageContaining("not supported");
    }

    @Test
    void kibanaRuleUuidIsOneIdForOneRuleOrPairsForSeveral() {
        Rule other = withOverride("@timestamp");
        assertThat(DetectionJob.settings(JobOptions.fromArgs(), List.of(SEED)).kibanaRuleUuid(SEED.ruleId())).isEqualTo(SEED.ruleId());
        assertThat(DetectionJob.settings(JobOptions.fromArgs("--kibana.rule-uuid", "so-1"), List.of(SEED)).kibanaRuleUuid(SEED.ruleId()))
                .isEqualTo("so-1");
        JobSettings pairs = DetectionJob.settings(JobOptions.fromArgs("--kibana.rule-uuid", other.ruleId() + "=so-2"), List.of(SEED, other));
        assertThat(pairs.kibanaRuleUuid(other.ruleId())).isEqualTo("so-2");
        assertThat(pairs.kibanaRuleUuid(SEED.ruleId())).isEqualTo(SEED.ruleId());
        assertThatThrownBy(() -> DetectionJob.settings(JobOptions.fromArgs("--kibana.rule-uuid", "so-1"), List.of(SEED, other)))
                .hasMessage("option --kibana.rule-uuid: 2 rules run; give rule_id=saved-object-id pairs, found 'so-1'");
        assertThatThrownBy(() -> DetectionJob.settings(JobOptions.fromArgs("--kibana.rule-uuid", "nope=so-3"), List.of(SEED)))
                .hasMessage("option --kibana.rule-uuid: no loaded rule has rule_id 'nope'");
    }

    @Test
    void fieldTypesReachTheRulesAndARuleNeedingThemFailsWithoutThem(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path rule = dir.resolve("r.toml");
        java.nio.file.Files.writeString(rule, "[rule]\nrule_id = \"acme\"\nname = \"Acme\"\ndescription = \"d\"\nauthor = [\"me\"]\n"
                + "risk_score = 21\nseverity = \"low\"\ntype = \"query\"\nlanguage = \"kuery\"\nindex = [\"logs-*\"]\n"
                + "query = \"acme.score > 5\"\n");
        java.nio.file.Path types = dir.resolve("types.tsv");
        java.nio.file.Files.writeString(types, "acme.score\tlong\n");
        assertThatThrownBy(() -> DetectionJob.loadRules(JobOptions.fromArgs("--rules", rule.toString())))
                .hasMessageContaining("field [acme.score] has no type");
        List<Rule> rules = DetectionJob.loadRules(JobOptions.fromArgs("--rules", rule.toString(), "--field-types", types.toString()));
        assertThat(rules.get(0).fieldTypes()).containsEntry("acme.score", "long\t-");
        assertThat(org.smtpdetect.rule.Detector.of(rules).schema().typeAt(org.smtpdetect.rule.Detector.of(rules).schema().slotOf("acme.score")))
                .isEqualTo(org.smtpdetect.event.FieldType.LONG);
        assertThatThrownBy(() -> JobOptions.fromArgs("--field-types", dir.resolve("missing.tsv").toString()))
                .hasMessage("option --field-types: cannot read " + dir.resolve("missing.tsv"));
    }

    @Test
    void statusRecordsCarryTheExecutionUuidOfTheirAlerts() throws Exception {
        var doc = new StatusDocuments("soc").map(new ExecutionStatus(SEED.ruleId(), 1_714_558_500_000L, 3, 3, 0, 0));
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(doc.json);
        assertThat(json.path("execution_uuid").asText())
                .isEqualTo(org.smtpdetect.alert.AlertIds.executionUuid("soc", SEED.ruleId(), 1_714_558_500_000L));
    }

    @Test
    void statusRecordsOfAFiringHaveOneIdPerExecutionSoAReplayOverwritesThem() {
        long t = 1_714_558_500_000L;
        StatusDocuments docs = new StatusDocuments("soc");
        assertThat(docs.map(new ExecutionStatus(SEED.ruleId(), t, 3, 3, 0, 0)).id).isEqualTo(SEED.ruleId() + "@" + t);
        assertThat(docs.map(new ExecutionStatus(SEED.ruleId(), t, 0, 0, 0, 0, 0, 4)).id).as("only excepted events")
                .isEqualTo(SEED.ruleId() + "@" + t);
        assertThat(docs.map(new ExecutionStatus(SEED.ruleId(), t, 0, 0, 0, 1)).id).as("a late alert's supplement").isNull();
    }

    @Test
    void schedulesComeFromTheRules() {
        JobSettings s = DetectionJob.settings(JobOptions.fromArgs(), List.of(SEED));
        ExecutionSchedule schedule = s.schedules().get(SEED.ruleId());
        assertThat(schedule.intervalMillis).isEqualTo(300_000);
        assertThat(schedule.lookBackMillis).isEqualTo(540_000);
        assertThat(schedule.maxSignals).isEqualTo(100);
    }
}
