package org.smtpdetect.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** What the launcher reads from Flink's BashJavaUtils, as taskmanager.sh does. */
class FlinkClusterProcessesTest {

    @Test
    void resultLinesAreTheOnesWithThePrefix() {
        String output = String.join("\n",
                "INFO  [] - Loading configuration property: taskmanager.numberOfTaskSlots, 2",
                "BASH_JAVA_UTILS_EXEC_RESULT:-Xmx536870902 -Xms536870902 -XX:MaxDirectMemorySize=268435458",
                "BASH_JAVA_UTILS_EXEC_RESULT:-D taskmanager.memory.network.min=134217730b -D taskmanager.cpu.cores=2.0",
                "");

        List<String> results = FlinkClusterProcesses.parseBashJavaUtilsOutput(output);

        assertThat(results).containsExactly(
                "-Xmx536870902 -Xms536870902 -XX:MaxDirectMemorySize=268435458",
                "-D taskmanager.memory.network.min=134217730b -D taskmanager.cpu.cores=2.0");
    }

    @Test
    void dynamicPropertiesBecomeSingleArguments() {
        assertThat(FlinkClusterProcesses.joinDynamicProperties(
                List.of("-D", "taskmanager.memory.network.min=134217730b", "-D", "taskmanager.cpu.cores=2.0")))
                .containsExactly("-Dtaskmanager.memory.network.min=134217730b", "-Dtaskmanager.cpu.cores=2.0");
    }
}
