package org.smtpdetect.cli;

import org.junit.jupiter.api.Test;
import org.smtpdetect.kql.PrebuiltRules;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The linter over Elastic's 454 active prebuilt KQL query rules (detection-rules 14cf530f, vendored): how many load
 * and compile, and exactly which do not and why. The bar is 95%.
 */
class PrebuiltRulesTest {
    @Test
    void atLeast95PercentOfThePrebuiltQueryRulesLoadAndTheRestSayWhy() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = RulesCommand.run(new String[] {PrebuiltRules.directory().toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(code).isZero();
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(454);
        List<String> files = new ArrayList<>();
        Map<String, String> errors = new TreeMap<>();
        for (String l : lines) {
            String[] f = l.split("\t");
            files.add(f[1]);
            assertThat(f[0]).isIn("ok", "error");
            if (f[0].equals("ok")) assertThat(f).hasSize(4);
            else errors.put(f[1].substring(f[1].lastIndexOf('/') + 1), f[2]);
        }
        assertThat(files).isSorted();
        long ok = lines.stream().filter(l -> l.startsWith("ok\t")).count();
        assertThat(ok).isEqualTo(445).isGreaterThanOrEqualTo(432);
        assertThat(errors).hasSize(9);
        for (String suppressed : List.of("credential_access_credentials_in_s3_bucket.toml", "persistence_google_workspace_2sv_policy_disabled.toml",
                "persistence_google_workspace_password_policy_modified.toml", "persistence_google_workspace_role_modified.toml",
                "m365_defender_alert_external_alerts.toml", "m365_defender_incident_external_alerts.toml")) {
            assertThat(errors.get(suppressed)).startsWith("field 'rule.alert_suppression' (").contains("is not supported: Kibana suppresses");
        }
        for (String patterned : List.of("initial_access_entra_id_temporary_access_pass_created.toml", "persistence_entra_id_guest_account_promoted_to_member.toml")) {
            assertThat(errors.get(patterned)).contains("field 'query': field pattern [azure.auditlogs.properties.target_resources.*.modified_properties.*.")
                    .contains("matches fields that dynamic templates map").contains("at position");
        }
        assertThat(errors.get("privilege_escalation_endgame_process_injection_prevented.toml"))
                .isEqualTo("field 'rule.from' looks back now-1m, less than the interval 2m: events would be missed");
        String summary = err.toString(StandardCharsets.UTF_8);
        assertThat(summary).contains("454 rules in 454 files: 445 ok, 9 errors (98.0% ok)")
                .contains("6  field 'rule.alert_suppression' is not supported")
                .contains("warning\t").contains("can never match");
    }
}
