package org.smtpdetect;

import org.junit.jupiter.api.Test;
import org.smtpdetect.config.JobOptions;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {
    @Test
    void usageListsTheModesAndEveryOption() {
        String usage = Main.usage();
        assertThat(usage).contains("check [--explain]").contains("--input PATH").contains("--kafka.bootstrap-servers");
        for (String name : JobOptions.names()) assertThat(usage).contains("--" + name);
    }
}
