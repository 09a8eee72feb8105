package org.smtpdetect.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.kubernetes.operator.api.FlinkDeployment;
import org.apache.flink.kubernetes.operator.api.spec.FlinkDeploymentSpec;
import org.apache.flink.kubernetes.operator.api.spec.JobSpec;
import org.apache.flink.kubernetes.operator.api.spec.JobState;
import org.apache.flink.kubernetes.operator.api.spec.KubernetesDeploymentMode;
import org.apache.flink.kubernetes.operator.api.spec.UpgradeMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * k8s/: the FlinkDeployment is what the operator reads, and it agrees with the image, the
 * Secret, the volume, the job's options and the build.
 */
class FlinkDeploymentManifestTest {

    private static final String DEPLOYMENT = "k8s/flink-deployment.yaml";
    private static final String DOCKERFILE = "k8s/Dockerfile";
    private static final String SECRET = "k8s/secret.example.yaml";
    private static final String VOLUME_CLAIM = "k8s/state-pvc.example.yaml";
    private static final String MAIN_CONTAINER = "flink-main-container";
    private static final String LOCAL_SCHEME = "local://";

    private static JsonNode tree;
    private static FlinkDeployment deployment;
    private static FlinkDeploymentSpec spec;
    private static JobSpec job;

    @BeforeAll
    static void load() throws Exception {
        tree = ProjectFiles.yaml(DEPLOYMENT);
        deployment = ProjectFiles.JSON.treeToValue(tree, FlinkDeployment.class);
        spec = deployment.getSpec();
        job = spec.getJob();
    }

    @Test
    void theOperatorModelKeepsEveryField() {
        JsonNode roundTrip = ProjectFiles.JSON.valueToTree(deployment);

        assertThat(lostFields(tree, roundTrip, "")).isEmpty();
    }

    @Test
    void aMisspeltFieldIsDetected() throws Exception {
        ObjectNode misspelt = tree.deepCopy();
        ((ObjectNode) misspelt.get("spec").get("job")).put("upgradeMod", "savepoint");
        ((ObjectNode) misspelt.get("spec").get("jobManager")).putObject("resources").put("cpu", 2);

        FlinkDeployment parsed = ProjectFiles.JSON.treeToValue(misspelt, FlinkDeployment.class);

        assertThat(lostFields(misspelt, ProjectFiles.JSON.valueToTree(parsed), ""))
                .containsExactlyInAnyOrder("/spec/job/upgradeMod", "/spec/jobManager/resources");
    }

    @Test
    void isAnApplicationModeFlinkDeploymentForThisFlinkVersion() throws Exception {
        assertThat(deployment.getApiVersion()).isEqualTo("flink.apache.org/v1beta1");
        assertThat(deployment.getKind()).isEqualTo("FlinkDeployment");
        assertThat(deployment.getMetadata().getName()).isNotBlank();
        assertThat(spec.getMode()).isEqualTo(KubernetesDeploymentMode.NATIVE);

        String flinkMinor = minorVersion(ProjectFiles.pomProperty("flink.version"));
        assertThat(spec.getFlinkVersion().name()).isEqualTo("v" + flinkMinor.replace('.', '_'));
        assertThat(dockerfileBaseImage()).isEqualTo("flink:" + flinkMinor + "-java17");
        assertThat(spec.getImage()).isNotBlank();
        assertThat(spec.getServiceAccount()).isNotBlank();
    }

    @Test
    void theJarIsWhereTheImagePutsTheShadedJar() throws Exception {
        String[] copy = dockerfileCopyOf(".jar");

        assertThat(copy[0]).isEqualTo("target/" + ProjectFiles.shadedJarFinalName() + ".jar");
        assertThat(job.getJarURI()).isEqualTo(LOCAL_SCHEME + copy[1]);
        assertThat(copy[1]).isEqualTo("/opt/flink/usrlib/smtp-to-internet.jar");
    }

    @Test
    void theEntryClassIsTheJobInThisSourceTree() {
        String source = "src/main/java/" + job.getEntryClass().replace('.', '/') + ".java";
        assertThat(job.getEntryClass()).isEqualTo("org.smtpdetect.job.DetectionJob");
        // The job's sources arrive with the main-class change; until the launcher (Main) exists
        // there is no entry point of any kind to check against.
        if (Files.exists(ProjectFiles.path("src/main/java/org/smtpdetect/Main.java"))) {
            assertThat(ProjectFiles.path(source)).as("entryClass source").isRegularFile();
        }
    }

    @Test
    void upgradesGoThroughSavepointsWithKubernetesHa() {
        Map<String, String> flink = spec.getFlinkConfiguration();

        assertThat(job.getUpgradeMode()).isEqualTo(UpgradeMode.SAVEPOINT);
        assertThat(job.getState()).isEqualTo(JobState.RUNNING);
        assertThat(job.getParallelism()).isPositive()
                .isLessThanOrEqualTo(Integer.parseInt(flink.get("pipeline.max-parallelism")));
        assertThat(flink).containsEntry("high-availability.type", "kubernetes");
        for (String dir : List.of("high-availability.storageDir", "state.checkpoints.dir", "state.savepoints.dir")) {
            assertThat(flink.get(dir)).as(dir).startsWith("file:///flink-data/");
        }
        assertThat(spec.getJobManager().getResource().getMemory()).isNotBlank();
        assertThat(spec.getTaskManager().getResource().getMemory()).isNotBlank();
    }

    @Test
    void flinkConfigurationHoldsFlinkKeysAndJobOptionsOnly() {
        Configuration flinkKeys = new Configuration();
        List<String> unknown = new ArrayList<>();
        spec.getFlinkConfiguration().forEach((key, value) -> {
            if (key.startsWith(JobOptionContract.FLINK_CONFIG_PREFIX)) {
                if (!JobOptionContract.isOption(key.substring(JobOptionContract.FLINK_CONFIG_PREFIX.length()))) {
                    unknown.add("unknown job option: " + key);
                }
            } else {
                flinkKeys.setString(key, value);
            }
        });

        assertThat(unknown).isEmpty();
        // Deprecated names are allowed here: the operator itself reads state.savepoints.dir.
        assertThat(FlinkConfigKeys.get().problems(flinkKeys, true)).isEmpty();
    }

    @Test
    void everyArgumentIsADocumentedJobOption() {
        List<String> args = List.of(job.getArgs());
        List<String> problems = new ArrayList<>();

        for (int i = 0; i < args.size(); i += 2) {
            String option = args.get(i);
            if (!option.startsWith("--") || !JobOptionContract.isOption(option.substring(2))) {
                problems.add("not a job option: " + option);
            } else if (i + 1 >= args.size() || args.get(i + 1).startsWith("--")) {
                problems.add("no value for " + option);
            }
        }

        assertThat(problems).isEmpty();
        assertThat(args).contains("--kafka.bootstrap-servers", "--es.hosts");
    }

    @Test
    void credentialsComeFromTheExampleSecret() throws Exception {
        JsonNode secret = ProjectFiles.yaml(SECRET);
        String secretName = secret.at("/metadata/name").asText();
        JsonNode secretData = secret.get("stringData");
        Container main = mainContainer();

        assertThat(secret.get("kind").asText()).isEqualTo("Secret");
        assertThat(main.getEnvFrom()).extracting(EnvFromSource::getSecretRef).isNotEmpty()
                .allSatisfy(ref -> assertThat(ref.getName()).isEqualTo(secretName));

        List<String> args = List.of(job.getArgs());
        List<String> envValues = args.stream().filter(a -> a.startsWith(JobOptionContract.ENV_VALUE_PREFIX)).toList();
        assertThat(envValues).isNotEmpty();
        for (String value : envValues) {
            assertThat(secretData.has(value.substring(JobOptionContract.ENV_VALUE_PREFIX.length())))
                    .as("%s is a key of the example Secret", value).isTrue();
        }
        assertThat(args).contains("env:KAFKA_SASL_JAAS_CONFIG", "env:ES_API_KEY");
        secretData.fields().forEachRemaining(entry ->
                assertThat(entry.getValue().asText()).as("placeholder in %s", entry.getKey())
                        .satisfiesAnyOf(v -> assertThat(v).contains("CHANGE_ME"),
                                v -> assertThat(entry.getKey()).isEqualTo("ES_USERNAME")));
    }

    @Test
    void theCaFileIsMountedFromTheSecret() throws Exception {
        String secretName = ProjectFiles.yaml(SECRET).at("/metadata/name").asText();
        List<String> args = List.of(job.getArgs());
        String caFile = args.get(args.indexOf("--es.ca-file") + 1);

        Volume volume = volumes().stream().filter(v -> v.getSecret() != null).findFirst().orElseThrow();
        VolumeMount mount = mountOf(volume.getName());
        assertThat(volume.getSecret().getSecretName()).isEqualTo(secretName);
        assertThat(volume.getSecret().getItems()).anySatisfy(item -> {
            assertThat(ProjectFiles.yaml(SECRET).get("stringData").has(item.getKey())).isTrue();
            assertThat(mount.getMountPath() + "/" + item.getPath()).isEqualTo(caFile);
        });
    }

    @Test
    void stateLivesOnTheSharedVolume() throws Exception {
        String claim = ProjectFiles.yaml(VOLUME_CLAIM).at("/metadata/name").asText();

        Volume volume = volumes().stream().filter(v -> v.getPersistentVolumeClaim() != null).findFirst().orElseThrow();
        assertThat(volume.getPersistentVolumeClaim().getClaimName()).isEqualTo(claim);
        assertThat(ProjectFiles.yaml(VOLUME_CLAIM).at("/spec/accessModes/0").asText()).isEqualTo("ReadWriteMany");
        String mountPath = mountOf(volume.getName()).getMountPath();
        assertThat(spec.getFlinkConfiguration().get("state.savepoints.dir")).isEqualTo("file://" + mountPath + "/savepoints");
    }

    @Test
    void metricsPortIsTheReportersPort() {
        Container main = mainContainer();
        Map<String, String> flink = spec.getFlinkConfiguration();

        assertThat(flink).containsEntry("metrics.reporter.prom.factory.class",
                "org.apache.flink.metrics.prometheus.PrometheusReporterFactory");
        assertThat(main.getPorts()).filteredOn(p -> "metrics".equals(p.getName()))
                .extracting(ContainerPort::getContainerPort)
                .containsExactly(Integer.parseInt(flink.get("metrics.reporter.prom.port")));
    }

    @Test
    void loggingIsTheProjectsConsoleLogConfiguration() throws Exception {
        Properties inManifest = ProjectFiles.properties(spec.getLogConfiguration().get("log4j-console.properties"));
        Properties inProject = ProjectFiles.properties(ProjectFiles.read("flink-conf/log4j-console.properties"));

        assertThat(inManifest).isEqualTo(inProject);
    }

    @Test
    void theImageShipsThePrometheusReporterPlugin() throws Exception {
        assertThat(ProjectFiles.read(DOCKERFILE)).contains("/opt/flink/plugins/metrics-prometheus/");
    }

    /** Paths (JSON pointers) of the fields of {@code original} that {@code roundTrip} lost or changed. */
    static List<String> lostFields(JsonNode original, JsonNode roundTrip, String path) {
        List<String> lost = new ArrayList<>();
        if (roundTrip == null || roundTrip.isMissingNode() || roundTrip.isNull() && !original.isNull()) {
            lost.add(path);
        } else if (original.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> fields = original.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                lost.addAll(lostFields(field.getValue(), roundTrip.get(field.getKey()), path + "/" + field.getKey()));
            }
        } else if (original.isArray()) {
            for (int i = 0; i < original.size(); i++) {
                lost.addAll(lostFields(original.get(i), roundTrip.get(i), path + "/" + i));
            }
        } else if (!sameScalar(original, roundTrip)) {
            lost.add(path + " (" + original + " became " + roundTrip + ")");
        }
        return lost;
    }

    private static boolean sameScalar(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        return a.asText().equals(b.asText());
    }

    private static Container mainContainer() {
        return spec.getPodTemplate().getSpec().getContainers().stream()
                .filter(c -> MAIN_CONTAINER.equals(c.getName()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("podTemplate has no container " + MAIN_CONTAINER));
    }

    private static List<Volume> volumes() {
        return spec.getPodTemplate().getSpec().getVolumes();
    }

    private static VolumeMount mountOf(String volumeName) {
        return mainContainer().getVolumeMounts().stream()
                .filter(m -> volumeName.equals(m.getName()))
                .findFirst()
                .orElseThrow(() -> new AssertionError("volume " + volumeName + " is not mounted in " + MAIN_CONTAINER));
    }

    private static String minorVersion(String version) {
        Matcher matcher = Pattern.compile("^(\\d+\\.\\d+)\\.").matcher(version);
        assertThat(matcher.find()).as("version %s", version).isTrue();
        return matcher.group(1);
    }

    private static String dockerfileBaseImage() throws Exception {
        return dockerfileInstructions("FROM").get(0)[0];
    }

    /** Source and destination of the Dockerfile's COPY whose source ends with {@code suffix}. */
    private static String[] dockerfileCopyOf(String suffix) throws Exception {
        return dockerfileInstructions("COPY").stream()
                .map(words -> List.of(words).stream().filter(w -> !w.startsWith("--")).toArray(String[]::new))
                .filter(words -> words.length == 2 && words[0].endsWith(suffix))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no COPY of a " + suffix + " in " + DOCKERFILE));
    }

    /** The arguments of each Dockerfile instruction of one kind, with continuation lines joined. */
    private static List<String[]> dockerfileInstructions(String instruction) throws Exception {
        String joined = ProjectFiles.read(DOCKERFILE).replaceAll("\\\\\\r?\\n", " ");
        List<String[]> result = new ArrayList<>();
        for (String line : joined.split("\\r?\\n")) {
            String trimmed = line.trim();
            if (trimmed.startsWith(instruction + " ")) {
                result.add(trimmed.substring(instruction.length()).trim().split("\\s+"));
            }
        }
        return result;
    }
}
